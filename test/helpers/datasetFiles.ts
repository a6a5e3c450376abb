// Test helper: small files in the exact on-disk formats of the real datasets, written from known bytes so
// that tests can check every decoded value. CIFAR binary: records of label byte(s) + 3072 channel-major
// pixels (https://www.cs.toronto.edu/~kriz/cifar.html); IDX: big-endian header + unsigned bytes
// (http://yann.lecun.com/exdb/mnist/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A fresh folder under the system temp folder, removed when the test file ends. */
export { scratchDir as tempDir } from './scratch';

/** Deterministic bytes: a small LCG, so each generated file differs from the others. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

export interface CifarRecord {
  /** CIFAR-100 only: the coarse label (0..19). */
  coarse?: number;
  label: number;
  /** 3072 bytes, channel-major: R plane, G plane, B plane, each 32x32 row-major. */
  pixels: Uint8Array;
}

/** `n` records whose labels cycle through the classes and whose pixels come from `seed`. */
export function cifarRecords(n: number, seed: number, classes: number): CifarRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    coarse: classes === 100 ? (seed + i) % 20 : undefined,
    label: (seed * 37 + i * 17) % classes,
    pixels: bytes(3072, seed * 1000 + i),
  }));
}

export function cifarFile(records: readonly CifarRecord[], labelBytes: 1 | 2): Buffer {
  const record = labelBytes + 3072;
  const out = Buffer.alloc(records.length * record);
  records.forEach((r, i) => {
    const at = i * record;
    if (labelBytes === 2) out[at] = r.coarse ?? 0;
    out[at + labelBytes - 1] = r.label;
    out.set(r.pixels, at + labelBytes);
  });
  return out;
}

/**
 * A CIFAR-10 folder `<dir>/cifar-10-batches-bin/` with `perBatch` records in each of the 5 training
 * batches and `test` records in test_batch.bin. Returns the records in reading order.
 */
export function writeCifar10(
  dir: string,
  perBatch: number,
  test: number,
): { folder: string; train: CifarRecord[]; test: CifarRecord[] } {
  const folder = join(dir, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  const train: CifarRecord[] = [];
  for (let b = 1; b <= 5; b++) {
    const records = cifarRecords(perBatch, b, 10);
    writeFileSync(join(folder, `data_batch_${b}.bin`), cifarFile(records, 1));
    train.push(...records);
  }
  const testRecords = cifarRecords(test, 9, 10);
  writeFileSync(join(folder, 'test_batch.bin'), cifarFile(testRecords, 1));
  // The official archive also holds these; the reader must not mind them.
  writeFileSync(join(folder, 'batches.meta.txt'), 'airplane\nautomobile\n');
  writeFileSync(join(folder, 'readme.html'), '<html></html>');
  return { folder, train, test: testRecords };
}

/** A CIFAR-100 folder `<dir>/cifar-100-binary/` (train.bin, test.bin: coarse + fine label bytes). */
export function writeCifar100(
  dir: string,
  train: number,
  test: number,
): { folder: string; train: CifarRecord[]; test: CifarRecord[] } {
  const folder = join(dir, 'cifar-100-binary');
  mkdirSync(folder, { recursive: true });
  const trainRecords = cifarRecords(train, 3, 100);
  const testRecords = cifarRecords(test, 4, 100);
  writeFileSync(join(folder, 'train.bin'), cifarFile(trainRecords, 2));
  writeFileSync(join(folder, 'test.bin'), cifarFile(testRecords, 2));
  return { folder, train: trainRecords, test: testRecords };
}

/** An IDX file of unsigned bytes: magic 0x0000080<dims>, the dimensions big-endian, then the data. */
export function idxFile(dims: readonly number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, Buffer.from(data)]);
}

export interface IdxSplit {
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * An MNIST-style folder `<dir>/<folder>/` with the four IDX files (gzipped when `gzip`), `train` and `test`
 * examples. Returns the raw bytes.
 */
export function writeIdxDataset(
  dir: string,
  folder: string,
  train: number,
  test: number,
  gzip: boolean,
): { folder: string; train: IdxSplit; test: IdxSplit } {
  const out = join(dir, folder);
  mkdirSync(out, { recursive: true });
  const write = (name: string, content: Buffer) =>
    writeFileSync(join(out, gzip ? `${name}.gz` : name), gzip ? gzipSync(content) : content);
  const split = (prefix: string, n: number, seed: number): IdxSplit => {
    const images = bytes(n * 784, seed);
    const labels = Uint8Array.from({ length: n }, (_, i) => (seed + 3 * i) % 10);
    write(`${prefix}-images-idx3-ubyte`, idxFile([n, 28, 28], images));
    write(`${prefix}-labels-idx1-ubyte`, idxFile([n], labels));
    return { images, labels };
  };
  return { folder: out, train: split('train', train, 5), test: split('t10k', test, 6) };
}
