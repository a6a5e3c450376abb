// The real-dataset readers on small generated files in the official formats: exact pixels and labels
// (CHW records -> NHWC, the official normalisation constants), subsets, where the files are looked for,
// and the messages for missing and corrupt files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { cropAndFlip } from '../../../src/engine/data/batches';
import type { LoadedDataset } from '../../../src/engine/data/dataset';
import { readIdx } from '../../../src/engine/data/idx';
import { DatasetNotFoundError, dataDirectory, defaultDataDirectory } from '../../../src/engine/data/locate';
import { loadDataset } from '../../../src/engine/data/registry';
import type { DatasetName } from '../../../src/spec/types';
import {
  type CifarRecord,
  cifarFile,
  cifarRecords,
  type IdxSplit,
  idxFile,
  tempDir,
  writeCifar10,
  writeCifar100,
  writeIdxDataset,
} from '../../helpers/datasetFiles';

// The published constants (docs/science.md section 1; the MNIST / Fashion-MNIST ones every recipe uses),
// written out here rather than imported, so that a typo in the reader cannot hide.
const CIFAR10 = { mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] };
const CIFAR100 = { mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761] };
const MNIST = { mean: 0.1307, std: 0.3081 };
const FASHION = { mean: 0.286, std: 0.353 };

const load = (dataset: DatasetName, path: string | undefined, trainSize: number, testSize: number) =>
  loadDataset({ dataset, trainSize, testSize, augment: false, path });

/** Every value of a CIFAR split against the records: x[n][h][w][c] = (pixel[c][h][w] / 255 - mean_c) / std_c. */
function assertCifarSplit(
  split: LoadedDataset['train'],
  records: readonly CifarRecord[],
  norm: { mean: number[]; std: number[] },
): void {
  assert.equal(split.n, records.length);
  assert.equal(split.x.length, records.length * 32 * 32 * 3);
  assert.deepEqual(
    [...split.y],
    records.map((r) => r.label),
  );
  let worst = 0;
  for (let n = 0; n < records.length; n++) {
    for (let h = 0; h < 32; h++) {
      for (let w = 0; w < 32; w++) {
        for (let c = 0; c < 3; c++) {
          const raw = records[n].pixels[c * 1024 + h * 32 + w];
          const expected = (raw / 255 - norm.mean[c]) / norm.std[c];
          const got = split.x[((n * 32 + h) * 32 + w) * 3 + c];
          worst = Math.max(worst, Math.abs(got - expected));
        }
      }
    }
  }
  assert.ok(worst < 1e-6, `largest pixel error ${worst}`);
}

function assertIdxSplit(
  split: LoadedDataset['train'],
  raw: IdxSplit,
  n: number,
  norm: { mean: number; std: number },
) {
  assert.equal(split.n, n);
  assert.deepEqual([...split.y], [...raw.labels.subarray(0, n)]);
  assert.equal(split.x.length, n * 784);
  let worst = 0;
  for (let i = 0; i < n * 784; i++) {
    worst = Math.max(worst, Math.abs(split.x[i] - (raw.images[i] / 255 - norm.mean) / norm.std));
  }
  assert.ok(worst < 1e-6, `largest pixel error ${worst}`);
}

describe('random-crop padding', () => {
  test('pads with black as it reads after normalisation (about -2 sigma), as the official pipeline pads before it', async () => {
    // A CIFAR-10 file whose first training image has a black pixel: the loader's own value for it is the
    // oracle, beside the published constants.
    const dir = tempDir('wdlab-pad-');
    const files = writeCifar10(dir, 2, 1);
    files.train[0].pixels.fill(0, 0, 1); // red, row 0, column 0
    files.train[0].pixels.fill(0, 1024, 1025); // green
    files.train[0].pixels.fill(0, 2048, 2049); // blue
    writeFileSync(join(files.folder, 'data_batch_1.bin'), cifarFile(files.train.slice(0, 2), 1));
    const ds = await load('cifar10', dir, 10, 1);
    const black = Array.from(ds.train.x.subarray(0, 3));
    assert.deepEqual(
      ds.padValue,
      black.map((v, c) => (Math.abs(v - ds.padValue![c]) < 1e-6 ? ds.padValue![c] : v)),
    );
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(ds.padValue![c] - -CIFAR10.mean[c] / CIFAR10.std[c]) < 1e-6);
      assert.ok(ds.padValue![c] < -2, `channel ${c}: ${ds.padValue![c]}`);
    }
    // Shifted by 4 pixels right and down, the first 4 rows and columns are that black, never 0.
    const img = ds.train.x.subarray(0, 3072);
    const out = cropAndFlip(img, [32, 32, 3], -4, -4, false, ds.padValue);
    for (let r = 0; r < 32; r++)
      for (let col = 0; col < 32; col++)
        for (let c = 0; c < 3; c++) {
          const v = out[(r * 32 + col) * 3 + c];
          if (r < 4 || col < 4) assert.equal(v, black[c]);
          else assert.equal(v, img[((r - 4) * 32 + (col - 4)) * 3 + c]);
        }
  });
});

describe('CIFAR-10 binary', () => {
  test('decodes every record: labels, CHW -> NHWC pixels, official normalisation; files in batch order', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 3, 4);
    const ds = await load('cifar10', dir, 15, 4);
    assert.equal(ds.name, 'cifar10');
    assert.deepEqual(ds.inputShape, [32, 32, 3]);
    assert.equal(ds.numClasses, 10);
    assert.equal(ds.isImage, true);
    assertCifarSplit(ds.train, files.train, CIFAR10);
    assertCifarSplit(ds.test, files.test, CIFAR10);
    // A pixel checked by hand: record 0 of data_batch_1, green channel, row 2, column 5.
    const raw = files.train[0].pixels[1024 + 2 * 32 + 5];
    assert.equal(ds.train.x[(2 * 32 + 5) * 3 + 1], Math.fround((raw / 255 - 0.4822) / 0.1994));
  });

  test('a subset is the first N records, across batch files, identical to the start of a larger load', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 3, 4);
    const all = await load('cifar10', dir, 15, 4);
    // 7 = all 3 of data_batch_1, all 3 of data_batch_2, the first of data_batch_3.
    const some = await load('cifar10', dir, 7, 2);
    assertCifarSplit(some.train, files.train.slice(0, 7), CIFAR10);
    assert.deepEqual(some.train.x, all.train.x.subarray(0, 7 * 3072));
    assert.deepEqual(some.test.y, all.test.y.subarray(0, 2));
    const none = await load('cifar10', dir, 0, 0);
    assert.equal(none.train.n, 0);
    assert.equal(none.train.x.length, 0);
  });

  test('data.path may be the data directory or the cifar-10-batches-bin folder itself', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 2, 2);
    const ds = await load('cifar10', files.folder, 10, 2);
    assertCifarSplit(ds.train, files.train, CIFAR10);
  });

  test('a relative data.path resolves against baseDir (the spec file folder)', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(join(dir, 'data'), 1, 1);
    const ds = await loadDataset(
      { dataset: 'cifar10', trainSize: 5, testSize: 1, augment: false, path: './data' },
      { baseDir: dir },
    );
    assertCifarSplit(ds.train, files.train, CIFAR10);
  });

  test('asking for more examples than the files hold names the files and the count', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 2, 3);
    await assert.rejects(load('cifar10', dir, 11, 1), (e: Error) => {
      assert.match(e.message, /CIFAR-10 has 10 train examples in .*data_batch_1\.bin.*data_batch_5\.bin/);
      assert.match(e.message, /fewer than the 11 asked for \(data\.trainSize\)/);
      return true;
    });
    await assert.rejects(
      load('cifar10', dir, 1, 4),
      new RegExp(
        `CIFAR-10 has 3 test examples in ${re(join(files.folder, 'test_batch.bin'))}, fewer than the 4`,
      ),
    );
  });

  test('a truncated batch file is an error naming the file and the record size', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 2, 2);
    const batch3 = join(files.folder, 'data_batch_3.bin');
    truncateSync(batch3, 2 * 3073 - 100);
    await assert.rejects(
      load('cifar10', dir, 2, 2),
      new RegExp(
        `${re(batch3)}: 6046 bytes is not a whole number of CIFAR-10 records \\(3073 bytes each: 1 label byte \\+ 3072 pixel bytes\\); the file is truncated`,
      ),
    );
  });

  test('a label outside 0..9 is an error naming the file and the record', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 2, 2);
    const records = cifarRecords(2, 1, 10);
    records[1].label = 10;
    const batch1 = join(files.folder, 'data_batch_1.bin');
    writeFileSync(batch1, cifarFile(records, 1));
    await assert.rejects(
      load('cifar10', dir, 4, 1),
      new RegExp(`${re(batch1)}: record 1 has label 10; CIFAR-10 labels are 0\\.\\.9`),
    );
    // Record 1 is not read when the subset stops before it.
    const ds = await load('cifar10', dir, 1, 1);
    assert.equal(ds.train.y[0], records[0].label);
  });

  test('missing files: the message names the folder, every file, and the download command', async () => {
    const dir = tempDir('wdlab-c10-');
    await assert.rejects(load('cifar10', dir, 1, 1), (e: Error) => {
      assert.ok(e instanceof DatasetNotFoundError);
      const [first] = e.message.split('\n');
      assert.equal(
        first,
        `CIFAR-10 not found: put data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin and test_batch.bin in ${join(dir, 'cifar-10-batches-bin')}/ (the folder that https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz extracts to), or download them with: npx wdlab download cifar10 --data-dir ${dir}`,
      );
      assert.match(e.message, /data\.path of the spec/);
      return true;
    });
  });

  test('an incomplete folder: the message lists exactly the missing files', async () => {
    const dir = tempDir('wdlab-c10-');
    const files = writeCifar10(dir, 1, 1);
    rmSync(join(files.folder, 'data_batch_4.bin'));
    rmSync(join(files.folder, 'test_batch.bin'));
    await assert.rejects(
      load('cifar10', dir, 1, 1),
      new RegExp(
        `CIFAR-10 is incomplete in ${re(files.folder)}/: data_batch_4\\.bin and test_batch\\.bin are missing; .*npx wdlab download cifar10 --data-dir ${re(dir)}\\n`,
      ),
    );
  });
});

describe('CIFAR-100 binary', () => {
  test('the fine label (second byte) is the class; the CIFAR-100 constants normalise', async () => {
    const dir = tempDir('wdlab-c100-');
    const files = writeCifar100(dir, 6, 3);
    const ds = await load('cifar100', dir, 6, 3);
    assert.equal(ds.numClasses, 100);
    assert.deepEqual(ds.inputShape, [32, 32, 3]);
    assert.equal(ds.isImage, true);
    assert.ok(
      files.train.some((r) => r.label >= 20),
      'some fine labels are beyond the coarse range',
    );
    assertCifarSplit(ds.train, files.train, CIFAR100);
    assertCifarSplit(ds.test, files.test, CIFAR100);
    const some = await load('cifar100', join(dir, 'cifar-100-binary'), 2, 1);
    assertCifarSplit(some.train, files.train.slice(0, 2), CIFAR100);
  });

  test('a CIFAR-10 file where CIFAR-100 is expected fails on its size', async () => {
    const dir = tempDir('wdlab-c100-');
    const files = writeCifar100(dir, 2, 2);
    // 2 CIFAR-10 records are 6146 bytes: not a whole number of 3074-byte CIFAR-100 records.
    writeFileSync(join(files.folder, 'train.bin'), cifarFile(cifarRecords(2, 1, 10), 1));
    await assert.rejects(
      load('cifar100', dir, 1, 1),
      /train\.bin: 6146 bytes is not a whole number of CIFAR-100 records/,
    );
  });

  test('a coarse label outside 0..19 is an error', async () => {
    const dir = tempDir('wdlab-c100-');
    const files = writeCifar100(dir, 2, 2);
    const records = cifarRecords(2, 3, 100);
    records[0].coarse = 20;
    writeFileSync(join(files.folder, 'train.bin'), cifarFile(records, 2));
    await assert.rejects(
      load('cifar100', dir, 1, 1),
      /train\.bin: record 0 has coarse label 20; CIFAR-100 coarse labels are 0\.\.19/,
    );
  });

  test('missing files name cifar-100-binary/ and its download', async () => {
    const dir = tempDir('wdlab-c100-');
    await assert.rejects(
      load('cifar100', dir, 1, 1),
      new RegExp(
        `CIFAR-100 not found: put train\\.bin and test\\.bin in ${re(join(dir, 'cifar-100-binary'))}/ .*npx wdlab download cifar100 --data-dir ${re(dir)}`,
      ),
    );
  });
});

describe('MNIST / Fashion-MNIST IDX', () => {
  for (const gzip of [false, true]) {
    test(`MNIST ${gzip ? '.gz' : 'plain'}: labels and pixels with the MNIST constants, [28, 28, 1]`, async () => {
      const dir = tempDir('wdlab-mnist-');
      const files = writeIdxDataset(dir, 'mnist', 10, 4, gzip);
      const ds = await load('mnist', dir, 10, 4);
      assert.deepEqual(ds.inputShape, [28, 28, 1]);
      assert.equal(ds.numClasses, 10);
      assert.equal(ds.isImage, true);
      assertIdxSplit(ds.train, files.train, 10, MNIST);
      assertIdxSplit(ds.test, files.test, 4, MNIST);
      // Subsets: the first examples, the same values.
      const some = await load('mnist', files.folder, 3, 1);
      assertIdxSplit(some.train, files.train, 3, MNIST);
      assert.deepEqual(some.train.x, ds.train.x.subarray(0, 3 * 784));
    });
  }

  test('Fashion-MNIST uses its own folder and constants', async () => {
    const dir = tempDir('wdlab-fashion-');
    const files = writeIdxDataset(dir, 'fashion-mnist', 5, 2, true);
    const ds = await load('fashion-mnist', dir, 5, 2);
    assertIdxSplit(ds.train, files.train, 5, FASHION);
    assertIdxSplit(ds.test, files.test, 2, FASHION);
    // Not an MNIST folder.
    await assert.rejects(load('mnist', dir, 1, 1), /MNIST not found/);
  });

  test("torchvision's layout (MNIST/raw) is found under the data directory", async () => {
    const dir = tempDir('wdlab-mnist-');
    const files = writeIdxDataset(dir, 'MNIST/raw', 3, 2, false);
    const ds = await load('mnist', dir, 3, 2);
    assertIdxSplit(ds.train, files.train, 3, MNIST);
  });

  test('a gzipped file is decompressed only up to the examples asked for; a whole read checks the CRC', async () => {
    const dir = tempDir('wdlab-mnist-');
    const files = writeIdxDataset(dir, 'mnist', 200, 2, true);
    const file = join(files.folder, 'train-images-idx3-ubyte.gz');
    // Damage the compressed data near its end (random pixels: about 157 kB, several read chunks).
    const gz = readFileSync(file);
    assert.ok(gz.length > 150_000);
    gz[gz.length - 200] ^= 0xff;
    writeFileSync(file, gz);
    const one = await readIdx(file, 'images', 1);
    assert.equal(one.count, 200);
    assert.deepEqual([...one.data], [...files.train.images.subarray(0, 784)]);
    await assert.rejects(readIdx(file, 'images', 200), new RegExp(`${re(file)}: not a valid gzip file`));
  });

  test('wrong magic numbers: an images file that holds labels, and a file that is no IDX at all', async () => {
    const dir = tempDir('wdlab-mnist-');
    const files = writeIdxDataset(dir, 'mnist', 3, 2, false);
    const images = join(files.folder, 'train-images-idx3-ubyte');
    writeFileSync(images, idxFile([3], Uint8Array.of(1, 2, 3)));
    await assert.rejects(
      load('mnist', dir, 1, 1),
      new RegExp(
        `${re(images)}: magic number 0x00000801, expected 0x00000803 \\(IDX images \\[n, 28, 28\\] of unsigned bytes\\); this is an IDX labels file`,
      ),
    );
    writeFileSync(images, Buffer.from('<html>Not Found</html>'));
    await assert.rejects(
      load('mnist', dir, 1, 1),
      /magic number 0x3c68746d, expected 0x00000803 .*not an IDX file of this kind/,
    );
  });

  test('wrong dimensions, a truncated file and mismatched counts are errors naming the files', async () => {
    const dir = tempDir('wdlab-mnist-');
    const files = writeIdxDataset(dir, 'mnist', 3, 2, false);
    const images = join(files.folder, 'train-images-idx3-ubyte');
    const labels = join(files.folder, 'train-labels-idx1-ubyte');
    const original = readFileSync(images);
    writeFileSync(images, idxFile([3, 27, 28], new Uint8Array(3 * 27 * 28)));
    await assert.rejects(
      load('mnist', dir, 1, 1),
      new RegExp(`${re(images)}: images are 27x28, expected 28x28`),
    );
    writeFileSync(images, original.subarray(0, original.length - 10));
    await assert.rejects(
      load('mnist', dir, 1, 1),
      new RegExp(
        `${re(images)}: 2358 bytes, but its header declares 3 images \\(2368 bytes\\); the file is truncated`,
      ),
    );
    writeFileSync(images, original);
    writeFileSync(labels, idxFile([2], Uint8Array.of(1, 2)));
    await assert.rejects(
      load('mnist', dir, 1, 1),
      new RegExp(`${re(images)} holds 3 images but ${re(labels)} holds 2 labels`),
    );
    writeFileSync(labels, idxFile([3], Uint8Array.of(1, 12, 2)));
    await assert.rejects(
      load('mnist', dir, 3, 1),
      new RegExp(`${re(labels)}: label 1 is 12; labels are 0\\.\\.9`),
    );
    await assert.rejects(
      load('mnist', dir, 4, 1),
      new RegExp(`${re(images)}: holds 3 images, fewer than the 4 asked for`),
    );
  });

  test('a truncated .gz (the header promises more than the data) is an error', async () => {
    const dir = tempDir('wdlab-mnist-');
    const files = writeIdxDataset(dir, 'mnist', 3, 2, true);
    const file = join(files.folder, 'train-images-idx3-ubyte.gz');
    // A whole gzip stream whose content stops after 2 of the 3 images its header declares.
    writeFileSync(file, gzipSync(idxFile([3, 28, 28], files.train.images).subarray(0, 16 + 2 * 784)));
    await assert.rejects(
      load('mnist', dir, 3, 1),
      new RegExp(`${re(file)}: the decompressed data end after 1584 bytes, but its header declares 3 images`),
    );
    writeFileSync(file, Buffer.from('plain text, not gzip'));
    await assert.rejects(load('mnist', dir, 1, 1), new RegExp(`${re(file)}: not a valid gzip file`));
  });

  test('missing files: which four files, plain or .gz, in which folder, and the command', async () => {
    const dir = tempDir('wdlab-mnist-');
    await assert.rejects(
      load('fashion-mnist', dir, 1, 1),
      new RegExp(
        `Fashion-MNIST not found: put train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte \\(each plain or \\.gz\\) in ${re(join(dir, 'fashion-mnist'))}/ .*npx wdlab download fashion-mnist --data-dir ${re(dir)}`,
      ),
    );
    const files = writeIdxDataset(dir, 'mnist', 2, 2, true);
    renameSync(join(files.folder, 't10k-labels-idx1-ubyte.gz'), join(dir, 'elsewhere.gz'));
    await assert.rejects(
      load('mnist', dir, 1, 1),
      /MNIST is incomplete in .*mnist\/: t10k-labels-idx1-ubyte is missing \(each plain or \.gz\)/,
    );
  });
});

describe('the data directory', () => {
  test('data.path (relative to the spec folder), else $WDLAB_DATA, else $XDG_CACHE_HOME or ~/.cache', () => {
    assert.deepEqual(dataDirectory({ path: 'data', baseDir: '/specs', env: { WDLAB_DATA: '/env' } }), {
      dir: '/specs/data',
      source: 'data.path',
    });
    assert.deepEqual(dataDirectory({ path: '/abs/data', baseDir: '/specs' }).dir, '/abs/data');
    assert.equal(dataDirectory({ path: 'rel' }).dir, join(process.cwd(), 'rel'));
    assert.deepEqual(dataDirectory({ env: { WDLAB_DATA: '/env/data', XDG_CACHE_HOME: '/xdg' } }), {
      dir: '/env/data',
      source: 'WDLAB_DATA',
    });
    assert.deepEqual(dataDirectory({ env: { XDG_CACHE_HOME: '/xdg' } }), {
      dir: '/xdg/wdlab/datasets',
      source: 'default',
    });
    assert.equal(
      defaultDataDirectory({ HOME: '/home/u' }).endsWith(join('.cache', 'wdlab', 'datasets')),
      true,
    );
    // A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
    assert.equal(defaultDataDirectory({ XDG_CACHE_HOME: 'rel' }), defaultDataDirectory({}));
  });

  test('$WDLAB_DATA is where loadDataset looks without data.path, and the command then needs no path flag', async () => {
    const dir = tempDir('wdlab-env-');
    const files = writeCifar10(dir, 1, 1);
    const saved = { WDLAB_DATA: process.env.WDLAB_DATA, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
    try {
      process.env.WDLAB_DATA = dir;
      assertCifarSplit((await load('cifar10', undefined, 5, 1)).train, files.train, CIFAR10);
      delete process.env.WDLAB_DATA;
      const cache = tempDir('wdlab-cache-');
      process.env.XDG_CACHE_HOME = cache;
      await assert.rejects(load('cifar10', undefined, 1, 1), (e: Error) => {
        assert.match(e.message, /or download them with: npx wdlab download cifar10\n/);
        assert.ok(e.message.includes(join(cache, 'wdlab', 'datasets', 'cifar-10-batches-bin')));
        assert.match(e.message, /the default cache folder; set data\.path .*wdlab\.dataDirectory/);
        return true;
      });
      assert.equal(existsSync(join(cache, 'wdlab')), false, 'looking creates nothing');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

function re(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
