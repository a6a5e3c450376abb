// MNIST and Fashion-MNIST in the IDX format (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE
// MNIST DATABASE"): a 4-byte magic number (0x00, 0x00, the element type 0x08 = unsigned byte, the number of
// dimensions), then each dimension as a big-endian 32-bit integer, then the elements in row-major order.
// Images: magic 0x00000803, dimensions [n, 28, 28]; labels: magic 0x00000801, dimension [n], values 0..9.
// Files are read plain or gzipped (`<name>.gz`, how they are published), through node:zlib.
//
// Normalisation (the constants every MNIST recipe uses, e.g. torchvision's examples): x = (p / 255 - mean)
// / std with MNIST mean 0.1307 std 0.3081 and Fashion-MNIST mean 0.2860 std 0.3530. Examples are
// [28, 28, 1] (NHWC with one channel).
//
// A subset is the first trainSize / testSize examples in file order, and only those bytes are decoded
// (a gzipped file is decompressed up to them and no further).
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { checkSizes, type DatasetLoader, type LoadedDataset } from './dataset';
import { dataDirectory, findDatasetFiles } from './locate';
import { blackAfter, type ChannelNormalization, pixelTable } from './normalize';

export const IDX_IMAGE_SHAPE: [number, number, number] = [28, 28, 1];
const IMAGE_BYTES = 28 * 28;
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;
const CLASSES = 10;

export const MNIST_NORMALIZATION: ChannelNormalization = { mean: [0.1307], std: [0.3081] };
export const FASHION_MNIST_NORMALIZATION: ChannelNormalization = { mean: [0.286], std: [0.353] };

type IdxKind = 'images' | 'labels';

const KIND: Record<IdxKind, { magic: number; dims: number; header: number; record: number; what: string }> = {
  images: { magic: IDX_IMAGES_MAGIC, dims: 3, header: 16, record: IMAGE_BYTES, what: 'images [n, 28, 28]' },
  labels: { magic: IDX_LABELS_MAGIC, dims: 1, header: 8, record: 1, what: 'labels [n]' },
};

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/**
 * The first `bytes` bytes of a file's (decompressed) content, fewer if it is shorter, and the content's
 * total size when it is known without decompressing everything (plain files).
 */
async function readPrefix(file: string, bytes: number): Promise<{ data: Buffer; total?: number }> {
  if (!file.endsWith('.gz')) {
    const fd = openSync(file, 'r');
    try {
      const total = fstatSync(fd).size;
      const data = Buffer.alloc(Math.min(bytes, total));
      let got = 0;
      while (got < data.length) {
        const n = readSync(fd, data, got, data.length - got, got);
        if (n === 0) break;
        got += n;
      }
      return { data: data.subarray(0, got), total };
    } finally {
      closeSync(fd);
    }
  }
  const chunks: Buffer[] = [];
  let got = 0;
  const source = createReadStream(file);
  const gunzip = createGunzip();
  try {
    await new Promise<void>((resolve, reject) => {
      source.on('error', reject);
      gunzip.on('error', (e) => reject(new Error(`${file}: not a valid gzip file (${e.message})`)));
      gunzip.on('end', resolve);
      gunzip.on('data', (chunk: Buffer) => {
        if (got > bytes) return;
        chunks.push(chunk);
        got += chunk.length;
        // More than needed: stop decompressing, the rest is never inflated. A file read to its end (all of
        // its examples) waits for 'end', where zlib checks the gzip CRC and length.
        if (got > bytes) resolve();
      });
      source.pipe(gunzip);
    });
  } finally {
    source.unpipe(gunzip);
    source.destroy();
    gunzip.destroy();
  }
  const data = Buffer.concat(chunks);
  return { data: data.subarray(0, Math.min(bytes, data.length)) };
}

/**
 * The first `n` elements of an IDX file of `kind`, after checking its magic number, its dimensions and
 * its length. Returns the raw bytes (images: n * 784, labels: n) and the count the header declares.
 */
export async function readIdx(
  file: string,
  kind: IdxKind,
  n: number,
): Promise<{ count: number; data: Uint8Array }> {
  const spec = KIND[kind];
  const { data, total } = await readPrefix(file, spec.header + n * spec.record);
  const tooShort = () =>
    new Error(
      `${file}: ${data.length} bytes is too short for an IDX header (${spec.header} bytes for ${spec.what})`,
    );
  if (data.length < 4) throw tooShort();
  const magic = data.readUInt32BE(0);
  if (magic !== spec.magic) {
    const isOther = magic === KIND[kind === 'images' ? 'labels' : 'images'].magic;
    throw new Error(
      `${file}: magic number ${hex(magic)}, expected ${hex(spec.magic)} (IDX ${spec.what} of unsigned bytes)${isOther ? `; this is an IDX ${kind === 'images' ? 'labels' : 'images'} file` : '; not an IDX file of this kind, or corrupt'}`,
    );
  }
  if (data.length < spec.header) throw tooShort();
  const count = data.readUInt32BE(4);
  if (kind === 'images') {
    const rows = data.readUInt32BE(8);
    const cols = data.readUInt32BE(12);
    if (rows !== 28 || cols !== 28) {
      throw new Error(`${file}: images are ${rows}x${cols}, expected 28x28 (MNIST / Fashion-MNIST)`);
    }
  }
  const expected = spec.header + count * spec.record;
  if (total !== undefined && total !== expected) {
    throw new Error(
      `${file}: ${total} bytes, but its header declares ${count} ${kind} (${expected} bytes); the file is ${total < expected ? 'truncated' : 'longer than its header says'}`,
    );
  }
  if (n > count) {
    throw new Error(`${file}: holds ${count} ${kind}, fewer than the ${n} asked for`);
  }
  if (data.length < spec.header + n * spec.record) {
    throw new Error(
      `${file}: the decompressed data end after ${data.length} bytes, but its header declares ${count} ${kind} (${expected} bytes); the file is truncated`,
    );
  }
  return { count, data: data.subarray(spec.header, spec.header + n * spec.record) };
}

/** One split: `n` normalised images and their labels, from an images file and a labels file. */
export async function readIdxSplit(
  imagesFile: string,
  labelsFile: string,
  n: number,
  norm: ChannelNormalization,
  split: string,
): Promise<{ x: Float32Array; y: Int32Array }> {
  const [images, labels] = await Promise.all([
    readIdx(imagesFile, 'images', n),
    readIdx(labelsFile, 'labels', n),
  ]);
  if (images.count !== labels.count) {
    throw new Error(
      `${imagesFile} holds ${images.count} images but ${labelsFile} holds ${labels.count} labels; the ${split} files do not belong together`,
    );
  }
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.data[i];
    if (label >= CLASSES)
      throw new Error(`${labelsFile}: label ${i} is ${label}; labels are 0..${CLASSES - 1}`);
    y[i] = label;
  }
  const lut = pixelTable(norm);
  const x = new Float32Array(n * IMAGE_BYTES);
  for (let i = 0; i < x.length; i++) x[i] = lut[images.data[i]];
  return { x, y };
}

function idxLoader(name: 'mnist' | 'fashion-mnist', norm: ChannelNormalization): DatasetLoader {
  return {
    name,
    load: async (options): Promise<LoadedDataset> => {
      checkSizes(options);
      const files = findDatasetFiles(name, dataDirectory({ path: options.path, baseDir: options.baseDir }));
      const [train, test] = await Promise.all([
        readIdxSplit(files.train[0], files.train[1], options.trainSize, norm, 'train'),
        readIdxSplit(files.test[0], files.test[1], options.testSize, norm, 'test'),
      ]);
      return {
        name,
        inputShape: [...IDX_IMAGE_SHAPE],
        numClasses: CLASSES,
        isImage: true,
        padValue: blackAfter(norm),
        train: { ...train, n: options.trainSize },
        test: { ...test, n: options.testSize },
      };
    },
  };
}

export const mnistLoader = idxLoader('mnist', MNIST_NORMALIZATION);
export const fashionMnistLoader = idxLoader('fashion-mnist', FASHION_MNIST_NORMALIZATION);
