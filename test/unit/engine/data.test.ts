// The data layer: synthetic datasets (determinism, shapes, balance, normalisation, learnability),
// seeded epoch order, batch gathering, and the crop+flip augmentation of docs/science.md section 1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  augmentBatch,
  cropAndFlip,
  datasetLoader,
  epochPermutation,
  gatherBatch,
  generateSyntheticImages,
  generateSyntheticVectors,
  type LoadedDataset,
  loadDataset,
} from '../../../src/engine/data';
import type { DataSplit } from '../../../src/engine/data/dataset';

const bytes = (a: Float32Array | Int32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// Generated once and shared: 2048 + 1000 images take well under a second.
const images = generateSyntheticImages({ trainSize: 2048, testSize: 1000 });
const vectors = generateSyntheticVectors({ trainSize: 4096, testSize: 1000 });

function classFractions(y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const label of y) counts[label]++;
  return counts.map((c) => c / y.length);
}

/** Nearest class mean on raw inputs (train means, test accuracy). */
function nearestClassMean(ds: LoadedDataset): number {
  const d = ds.inputShape.reduce((a, b) => a * b, 1);
  const k = ds.numClasses;
  const means = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < ds.train.n; i++) {
    const c = ds.train.y[i];
    counts[c]++;
    for (let j = 0; j < d; j++) means[c * d + j] += ds.train.x[i * d + j];
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] /= counts[c];
  return accuracy(ds.test, k, (x, i, c) => {
    let dist = 0;
    for (let j = 0; j < d; j++) dist -= (x[i * d + j] - means[c * d + j]) ** 2;
    return dist;
  });
}

function accuracy(
  split: DataSplit,
  k: number,
  score: (x: Float32Array, i: number, c: number) => number,
): number {
  let correct = 0;
  for (let i = 0; i < split.n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (score(split.x, i, c) > score(split.x, i, best)) best = c;
    if (best === split.y[i]) correct++;
  }
  return correct / split.n;
}

/** Multinomial logistic regression by full-batch gradient descent (float64). */
function logisticRegression(ds: LoadedDataset, epochs: number, lr: number): number {
  const d = ds.inputShape[0];
  const k = ds.numClasses;
  const w = new Float64Array((d + 1) * k);
  const grad = new Float64Array(w.length);
  const p = new Float64Array(k);
  const logits = (x: Float32Array, i: number, out: Float64Array): void => {
    for (let c = 0; c < k; c++) {
      let s = w[d * k + c];
      for (let j = 0; j < d; j++) s += x[i * d + j] * w[j * k + c];
      out[c] = s;
    }
  };
  for (let e = 0; e < epochs; e++) {
    grad.fill(0);
    for (let i = 0; i < ds.train.n; i++) {
      logits(ds.train.x, i, p);
      const max = Math.max(...p);
      let z = 0;
      for (let c = 0; c < k; c++) z += p[c] = Math.exp(p[c] - max);
      for (let c = 0; c < k; c++) {
        const r = (p[c] / z - (c === ds.train.y[i] ? 1 : 0)) / ds.train.n;
        for (let j = 0; j < d; j++) grad[j * k + c] += r * ds.train.x[i * d + j];
        grad[d * k + c] += r;
      }
    }
    for (let j = 0; j < w.length; j++) w[j] -= lr * grad[j];
  }
  const out = new Float64Array(k);
  return accuracy(ds.test, k, (x, i, c) => {
    logits(x, i, out);
    return out[c];
  });
}

describe('synthetic-images', () => {
  test('shapes, sizes and metadata', () => {
    assert.equal(images.name, 'synthetic-images');
    assert.deepEqual(images.inputShape, [32, 32, 3]);
    assert.equal(images.numClasses, 10);
    assert.equal(images.isImage, true);
    assert.equal(images.train.n, 2048);
    assert.equal(images.train.x.length, 2048 * 3072);
    assert.equal(images.train.y.length, 2048);
    assert.equal(images.test.n, 1000);
    assert.equal(images.test.x.length, 1000 * 3072);
  });

  test('deterministic for a seed, different for another; train and test streams disjoint', () => {
    const again = generateSyntheticImages({ trainSize: 2048, testSize: 1000 });
    assert.ok(bytes(again.train.x).equals(bytes(images.train.x)));
    assert.ok(bytes(again.test.y).equals(bytes(images.test.y)));
    const other = generateSyntheticImages({ trainSize: 64, testSize: 8, seed: 7 });
    assert.ok(!bytes(other.train.x).equals(bytes(images.train.x.subarray(0, 64 * 3072))));
    assert.ok(!bytes(images.test.x.subarray(0, 3072)).equals(bytes(images.train.x.subarray(0, 3072))));
  });

  test('labels in range and roughly balanced (5%..15% each)', () => {
    for (const split of [images.train, images.test]) {
      for (const label of split.y) assert.ok(label >= 0 && label < 10);
      for (const f of classFractions(split.y, 10)) assert.ok(f > 0.05 && f < 0.15, `class fraction ${f}`);
    }
  });

  test('normalised per channel over the training split: mean 0, std 1', () => {
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      let s2 = 0;
      const n = images.train.x.length / 3;
      for (let i = ch; i < images.train.x.length; i += 3) {
        s += images.train.x[i];
        s2 += images.train.x[i] ** 2;
      }
      const mean = s / n;
      assert.ok(Math.abs(mean) < 1e-4, `channel ${ch} mean ${mean}`);
      assert.ok(Math.abs(Math.sqrt(s2 / n - mean ** 2) - 1) < 1e-4, `channel ${ch} std`);
    }
    assert.equal(images.normalization.mean.length, 3);
    assert.equal(images.normalization.std.length, 3);
  });

  test('needs spatial features: nearest class mean on raw pixels beats chance but is far from perfect', () => {
    const acc = nearestClassMean(images);
    assert.ok(acc > 0.2 && acc < 0.7, `nearest-class-mean accuracy ${acc}`);
  });

  test('4096 + 1024 images generate in under two seconds of CPU time', () => {
    const t0 = process.cpuUsage();
    generateSyntheticImages({ trainSize: 4096, testSize: 1024 });
    const { user, system } = process.cpuUsage(t0);
    assert.ok(user + system < 2e6, `${(user + system) / 1e3} ms`);
  });
});

describe('synthetic-vectors', () => {
  test('shapes, determinism, balance', () => {
    assert.deepEqual(vectors.inputShape, [64]);
    assert.equal(vectors.isImage, false);
    assert.equal(vectors.train.x.length, 4096 * 64);
    const again = generateSyntheticVectors({ trainSize: 4096, testSize: 1000 });
    assert.ok(bytes(again.train.x).equals(bytes(vectors.train.x)));
    assert.ok(bytes(again.train.y).equals(bytes(vectors.train.y)));
    for (const f of classFractions(vectors.train.y, 10))
      assert.ok(f > 0.05 && f < 0.15, `class fraction ${f}`);
  });

  test('prefix-stable: a smaller trainSize gives the first examples of a larger one', () => {
    const small = generateSyntheticVectors({ trainSize: 100, testSize: 10 });
    assert.ok(bytes(small.train.x).equals(bytes(vectors.train.x.subarray(0, 100 * 64))));
    assert.ok(bytes(small.test.y).equals(bytes(vectors.test.y.subarray(0, 10))));
  });

  test('learnable: logistic regression clearly beats chance', () => {
    const acc = logisticRegression(vectors, 60, 2);
    assert.ok(acc > 0.4, `logistic regression accuracy ${acc}`);
  });
});

describe('registry', () => {
  test('loads the synthetic sets by name with the spec sizes', async () => {
    const ds = await loadDataset({
      dataset: 'synthetic-vectors',
      trainSize: 10,
      testSize: 5,
      augment: false,
    });
    assert.equal(ds.train.n, 10);
    assert.equal(ds.test.n, 5);
    assert.equal(datasetLoader('synthetic-images').name, 'synthetic-images');
  });

  test('the real datasets have loaders too (their readers: realData.test.ts)', () => {
    for (const name of ['cifar10', 'cifar100', 'mnist', 'fashion-mnist'] as const) {
      assert.equal(datasetLoader(name).name, name);
    }
  });
});

describe('epoch order', () => {
  test('a permutation, reproducible from (seed, epoch), different across epochs and seeds', () => {
    const p = epochPermutation(1000, 3, 0);
    assert.deepEqual(
      [...p].sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.deepEqual(epochPermutation(1000, 3, 0), p);
    assert.notDeepEqual(epochPermutation(1000, 3, 1), p);
    assert.notDeepEqual(epochPermutation(1000, 4, 0), p);
  });

  test('gatherBatch copies the chosen examples in order', () => {
    const split: DataSplit = {
      x: Float32Array.from({ length: 12 }, (_, i) => i),
      y: Int32Array.from([7, 8, 9]),
      n: 3,
    };
    const { x, y } = gatherBatch(split, [2, 0], [2, 2]);
    assert.deepEqual([...x], [8, 9, 10, 11, 0, 1, 2, 3]);
    assert.deepEqual([...y], [9, 7]);
    assert.throws(() => gatherBatch(split, [3], [2, 2]), /out of range/);
  });
});

describe('augmentation (docs/science.md section 1: crop 32 with 4-pixel zero padding, then flip)', () => {
  // A 3x4 image with 2 channels: value = 100*row + 10*col + channel.
  const shape: [number, number, number] = [3, 4, 2];
  const img = Float32Array.from({ length: 24 }, (_, i) => {
    const ch = i % 2;
    const col = Math.floor(i / 2) % 4;
    const row = Math.floor(i / 8);
    return 100 * row + 10 * col + ch + 1;
  });
  const px = (a: Float32Array, row: number, col: number): number[] => {
    const o = (row * 4 + col) * 2;
    return [a[o], a[o + 1]];
  };

  test('offset (0, 0) without flip is the identity', () => {
    assert.deepEqual(cropAndFlip(img, shape, 0, 0, false), img);
  });

  test('a crop offset (dx, dy) shifts pixels and fills zeros', () => {
    const out = cropAndFlip(img, shape, 1, -1, false);
    // out[r][c] = in[r - 1][c + 1]
    assert.deepEqual(px(out, 0, 0), [0, 0]);
    assert.deepEqual(px(out, 0, 3), [0, 0]);
    assert.deepEqual(px(out, 1, 0), [11, 12]);
    assert.deepEqual(px(out, 2, 2), [131, 132]);
    assert.deepEqual(px(out, 2, 3), [0, 0]);
    const expected = Float32Array.from([
      ...[0, 0, 0, 0, 0, 0, 0, 0],
      ...[11, 12, 21, 22, 31, 32, 0, 0],
      ...[111, 112, 121, 122, 131, 132, 0, 0],
    ]);
    assert.deepEqual(out, expected);
  });

  test('flip mirrors columns (after the crop)', () => {
    const flipped = cropAndFlip(img, shape, 0, 0, true);
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 4; c++) assert.deepEqual(px(flipped, r, c), px(img, r, 3 - c));
    const both = cropAndFlip(img, shape, 1, 0, true);
    // crop: C[r][c] = in[r][c+1]; flip: out[r][c] = C[r][3-c] = in[r][4-c]
    assert.deepEqual(px(both, 0, 0), [0, 0]);
    assert.deepEqual(px(both, 0, 1), px(img, 0, 3));
    assert.deepEqual(px(both, 2, 3), px(img, 2, 1));
  });

  test('augmentBatch: seeded, varied, values come from the image or the zero padding', () => {
    const n = 16;
    const batch = images.train.x.slice(0, n * 3072);
    const a = augmentBatch(batch, n, [32, 32, 3], 1, 0, 0);
    assert.deepEqual(augmentBatch(batch, n, [32, 32, 3], 1, 0, 0), a);
    assert.notDeepEqual(augmentBatch(batch, n, [32, 32, 3], 1, 0, 1), a);
    assert.notDeepEqual(augmentBatch(batch, n, [32, 32, 3], 1, 1, 0), a);
    assert.deepEqual(batch, images.train.x.slice(0, n * 3072), 'input modified');
    // Every augmented image is one of the 9*9*2 crops/flips of its source.
    for (let i = 0; i < n; i++) {
      const src = batch.subarray(i * 3072, (i + 1) * 3072);
      const got = bytes(a.subarray(i * 3072, (i + 1) * 3072));
      let found = false;
      for (let dx = -4; dx <= 4 && !found; dx++)
        for (let dy = -4; dy <= 4 && !found; dy++)
          for (const flip of [false, true])
            if (bytes(cropAndFlip(src, [32, 32, 3], dx, dy, flip)).equals(got)) found = true;
      assert.ok(found, `image ${i} is not a crop/flip of its source`);
    }
  });
});
