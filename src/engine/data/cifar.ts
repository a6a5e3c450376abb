// CIFAR-10 and CIFAR-100, "binary version" (https://www.cs.toronto.edu/~kriz/cifar.html): each file is a
// sequence of fixed-size records with no header. CIFAR-10 (data_batch_1..5.bin, test_batch.bin): 1 label
// byte (0..9), then 3072 pixel bytes. CIFAR-100 (train.bin, test.bin): a coarse label byte (0..19), a fine
// label byte (0..99), then 3072 pixel bytes; the paper's 100 classes are the fine labels. The pixels are
// channel-major (1024 red, 1024 green, 1024 blue, each 32 rows of 32 in row-major order); the engine wants
// NHWC, so each record is transposed CHW -> HWC while it is decoded.
//
// Normalisation (docs/science.md section 1, the official code's constants): x = (p / 255 - mean_c) / std_c with
// CIFAR-10 mean (0.4914, 0.4822, 0.4465) std (0.2023, 0.1994, 0.2010) and CIFAR-100 mean
// (0.5071, 0.4867, 0.4408) std (0.2675, 0.2565, 0.2761).
//
// A subset is the first trainSize / testSize records in file order (data_batch_1 first), the same whatever
// the sizes, and only those records are read from disk.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checkSizes, type DatasetLoader, type LoadedDataset } from './dataset';
import { dataDirectory, findDatasetFiles } from './locate';
import { blackAfter, type ChannelNormalization, pixelTable } from './normalize';

export const CIFAR_SHAPE: [number, number, number] = [32, 32, 3];
const PIXELS = 32 * 32;
const IMAGE_BYTES = PIXELS * 3;
/** Records decoded per read: bounds the scratch buffer (about 3 MB) whatever the subset size. */
const RECORDS_PER_READ = 1000;

export const CIFAR10_NORMALIZATION: ChannelNormalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2023, 0.1994, 0.201],
};
export const CIFAR100_NORMALIZATION: ChannelNormalization = {
  mean: [0.5071, 0.4867, 0.4408],
  std: [0.2675, 0.2565, 0.2761],
};

export interface CifarFormat {
  title: string;
  /** Label bytes before the pixels: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
  labelBytes: 1 | 2;
  /** Classes of the label that is used (the last label byte). */
  classes: number;
  /** Classes of the coarse label (CIFAR-100), checked but not used. */
  coarseClasses?: number;
  normalization: ChannelNormalization;
}

export const CIFAR10_FORMAT: CifarFormat = {
  title: 'CIFAR-10',
  labelBytes: 1,
  classes: 10,
  normalization: CIFAR10_NORMALIZATION,
};
export const CIFAR100_FORMAT: CifarFormat = {
  title: 'CIFAR-100',
  labelBytes: 2,
  classes: 100,
  coarseClasses: 20,
  normalization: CIFAR100_NORMALIZATION,
};

/** How many whole records a file holds; throws when its size is not a whole number of records. */
function recordCount(file: string, fd: number, format: CifarFormat): number {
  const record = format.labelBytes + IMAGE_BYTES;
  const size = fstatSync(fd).size;
  if (size === 0 || size % record !== 0) {
    throw new Error(
      `${file}: ${size} bytes is not a whole number of ${format.title} records (${record} bytes each: ${format.labelBytes === 1 ? '1 label byte' : '2 label bytes (coarse, fine)'} + 3072 pixel bytes); the file is truncated or not ${format.title} binary`,
    );
  }
  return size / record;
}

/**
 * The first `n` records of `files` (in order), decoded into normalised NHWC floats and labels. Checks every
 * file's size and every decoded label; reads only the records it returns.
 */
export function readCifarRecords(
  files: readonly string[],
  n: number,
  format: CifarFormat,
  split: string,
): { x: Float32Array; y: Int32Array } {
  const record = format.labelBytes + IMAGE_BYTES;
  const fds = files.map((f) => openSync(f, 'r'));
  try {
    const counts = files.map((f, i) => recordCount(f, fds[i], format));
    const available = counts.reduce((a, b) => a + b, 0);
    if (n > available) {
      throw new Error(
        `${format.title} has ${available} ${split} examples in ${files.join(', ')}, fewer than the ${n} asked for (data.${split}Size)`,
      );
    }
    const lut = pixelTable(format.normalization);
    const x = new Float32Array(n * IMAGE_BYTES);
    const y = new Int32Array(n);
    const buffer = Buffer.alloc(Math.min(n, RECORDS_PER_READ) * record);
    let done = 0;
    for (let f = 0; f < files.length && done < n; f++) {
      for (let first = 0; first < counts[f] && done < n; ) {
        const take = Math.min(counts[f] - first, n - done, RECORDS_PER_READ);
        const bytes = take * record;
        const got = readSync(fds[f], buffer, 0, bytes, first * record);
        if (got !== bytes)
          throw new Error(`${files[f]}: short read at record ${first} (${got} of ${bytes} bytes)`);
        for (let r = 0; r < take; r++) {
          const at = r * record;
          if (format.coarseClasses !== undefined && buffer[at] >= format.coarseClasses) {
            throw new Error(
              `${files[f]}: record ${first + r} has coarse label ${buffer[at]}; ${format.title} coarse labels are 0..${format.coarseClasses - 1} (is this ${format.title} binary?)`,
            );
          }
          const label = buffer[at + format.labelBytes - 1];
          if (label >= format.classes) {
            throw new Error(
              `${files[f]}: record ${first + r} has label ${label}; ${format.title} labels are 0..${format.classes - 1} (is this ${format.title} binary?)`,
            );
          }
          const i = done + r;
          y[i] = label;
          const pixels = at + format.labelBytes;
          const out = i * IMAGE_BYTES;
          for (let p = 0; p < PIXELS; p++) {
            const o = out + p * 3;
            x[o] = lut[buffer[pixels + p]];
            x[o + 1] = lut[256 + buffer[pixels + PIXELS + p]];
            x[o + 2] = lut[512 + buffer[pixels + 2 * PIXELS + p]];
          }
        }
        first += take;
        done += take;
      }
    }
    return { x, y };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

function cifarLoader(name: 'cifar10' | 'cifar100', format: CifarFormat): DatasetLoader {
  return {
    name,
    load: async (options): Promise<LoadedDataset> => {
      checkSizes(options);
      const files = findDatasetFiles(name, dataDirectory({ path: options.path, baseDir: options.baseDir }));
      const train = readCifarRecords(files.train, options.trainSize, format, 'train');
      const test = readCifarRecords(files.test, options.testSize, format, 'test');
      return {
        name,
        inputShape: [...CIFAR_SHAPE],
        numClasses: format.classes,
        isImage: true,
        padValue: blackAfter(format.normalization),
        train: { ...train, n: options.trainSize },
        test: { ...test, n: options.testSize },
      };
    },
  };
}

export const cifar10Loader = cifarLoader('cifar10', CIFAR10_FORMAT);
export const cifar100Loader = cifarLoader('cifar100', CIFAR100_FORMAT);
