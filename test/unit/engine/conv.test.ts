// The custom conv gradient (src/engine/ops/conv.ts) against three independent oracles: tfjs's own cpu
// backprop kernels, the same custom gradient on cpu (wasm must agree), and central finite differences of
// a float64 reference convolution written here from the definition.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import {
  backendHasConvFilterGradient,
  type ConvPadding,
  conv2d,
  conv2dCustomGradient,
} from '../../../src/engine/ops/conv';
import { tf } from '../../../src/engine/tf';
import { wasmDir } from '../../helpers/backend';

interface Config {
  label: string;
  x: [number, number, number, number];
  kernel: [number, number, number, number];
  strides: number;
  padding: ConvPadding;
}

const CONFIGS: Config[] = [
  { label: '3x3 same s1', x: [2, 8, 8, 3], kernel: [3, 3, 3, 5], strides: 1, padding: 'same' },
  { label: '3x3 same s2', x: [2, 8, 8, 4], kernel: [3, 3, 4, 6], strides: 2, padding: 'same' },
  { label: '1x1 valid s2', x: [2, 8, 8, 3], kernel: [1, 1, 3, 5], strides: 2, padding: 'valid' },
  { label: '1x1 same s2', x: [2, 8, 8, 3], kernel: [1, 1, 3, 5], strides: 2, padding: 'same' },
  { label: '3x3 same s1 on 7x7', x: [2, 7, 7, 3], kernel: [3, 3, 3, 5], strides: 1, padding: 'same' },
  { label: '3x3 same s2 on 7x7', x: [2, 7, 7, 3], kernel: [3, 3, 3, 5], strides: 2, padding: 'same' },
  { label: '3x3 valid s1 on 7x7', x: [2, 7, 7, 3], kernel: [3, 3, 3, 5], strides: 1, padding: 'valid' },
  { label: '3x3 valid s2 on 8x8', x: [2, 8, 8, 3], kernel: [3, 3, 3, 5], strides: 2, padding: 'valid' },
  {
    label: '2x2 same s1 (asymmetric padding)',
    x: [2, 6, 6, 2],
    kernel: [2, 2, 2, 3],
    strides: 1,
    padding: 'same',
  },
];

/** Deterministic pseudo-random values in [-1, 1) (a tiny LCG; independent of tfjs's generators). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** ||a - b|| / ||b|| */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

interface Gradients {
  dx: Float32Array;
  dw: Float32Array;
  db: Float32Array;
}

type ConvFn = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;

/** Gradients of L = sum(r * conv(x, W, b)) with a fixed random r, so dy is not all ones. */
function gradients(config: Config, conv: ConvFn): Gradients {
  const x = tf.tensor4d(values(size(config.x), 1), config.x);
  const w = tf.tensor4d(values(size(config.kernel), 2), config.kernel);
  const b = tf.tensor1d(values(config.kernel[3], 3));
  const yShape = tf.tidy(() => conv(x, w, b).shape);
  const r = tf.tensor(values(size(yShape), 4), yShape);
  const [dx, dw, db] = tf.grads((xs, ws, bs) =>
    tf.sum(tf.mul(conv(xs as tf.Tensor4D, ws as tf.Tensor4D, bs as tf.Tensor1D), r)),
  )([x, w, b]);
  const out = {
    dx: dx.dataSync() as Float32Array,
    dw: dw.dataSync() as Float32Array,
    db: db.dataSync() as Float32Array,
  };
  tf.dispose([x, w, b, r, dx, dw, db]);
  return out;
}

const builtIn =
  (c: Config): ConvFn =>
  (x, w, b) =>
    tf.add(tf.conv2d(x, w, c.strides, c.padding), b);
const custom =
  (c: Config): ConvFn =>
  (x, w, b) =>
    tf.add(conv2dCustomGradient(x, w, c.strides, c.padding), b);

function assertClose(actual: Gradients, expected: Gradients, tolerance: number, label: string): void {
  for (const key of ['dx', 'dw', 'db'] as const) {
    const err = relativeError(actual[key], expected[key]);
    assert.ok(err < tolerance, `${label}: ${key} relative error ${err.toExponential(2)} >= ${tolerance}`);
  }
}

/** The convolution from its definition in float64, with TensorFlow's padding rule (independent oracle). */
function referenceConv(
  x: Float64Array,
  xShape: readonly number[],
  w: Float64Array,
  wShape: readonly number[],
  strides: number,
  padding: ConvPadding,
): { y: Float64Array; shape: number[] } {
  const [n, h, wd, cin] = xShape;
  const [kh, kw, , cout] = wShape;
  const out = (size: number, k: number) =>
    padding === 'same' ? Math.ceil(size / strides) : Math.floor((size - k) / strides) + 1;
  const ho = out(h, kh);
  const wo = out(wd, kw);
  const padBefore = (size: number, o: number, k: number) =>
    padding === 'same' ? Math.floor(Math.max((o - 1) * strides + k - size, 0) / 2) : 0;
  const top = padBefore(h, ho, kh);
  const left = padBefore(wd, wo, kw);
  const y = new Float64Array(n * ho * wo * cout);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let a = 0; a < kh; a++)
          for (let c = 0; c < kw; c++) {
            const r = i * strides + a - top;
            const q = j * strides + c - left;
            if (r < 0 || r >= h || q < 0 || q >= wd) continue;
            for (let ci = 0; ci < cin; ci++) {
              const xv = x[((b * h + r) * wd + q) * cin + ci];
              for (let co = 0; co < cout; co++) {
                y[((b * ho + i) * wo + j) * cout + co] += xv * w[((a * kw + c) * cin + ci) * cout + co];
              }
            }
          }
  return { y, shape: [n, ho, wo, cout] };
}

describe('conv2d custom gradient on cpu vs tfjs built-in backprop kernels', () => {
  test('dX, dW, db agree to < 1e-4 relative error', async () => {
    await initBackend('cpu');
    for (const c of CONFIGS) assertClose(gradients(c, custom(c)), gradients(c, builtIn(c)), 1e-4, c.label);
  });

  test('the forward value is tf.conv2d itself', async () => {
    await initBackend('cpu');
    const c = CONFIGS[1];
    const x = tf.tensor4d(values(size(c.x), 5), c.x);
    const w = tf.tensor4d(values(size(c.kernel), 6), c.kernel);
    const a = conv2dCustomGradient(x, w, c.strides, c.padding);
    const b = tf.conv2d(x, w, c.strides, c.padding);
    assert.deepEqual(a.shape, b.shape);
    assert.deepEqual(a.dataSync(), b.dataSync());
    tf.dispose([x, w, a, b]);
  });

  test('central finite differences of a float64 reference conv (3x3 same stride 2, 5x5 input)', async () => {
    await initBackend('cpu');
    const xShape = [1, 5, 5, 2];
    const wShape = [3, 3, 2, 3];
    const x64 = Float64Array.from(values(size(xShape), 7));
    const w64 = Float64Array.from(values(size(wShape), 8));
    // L = 0.5 * sum(r * y^2) is quadratic in x and in W, so a central difference is exact up to rounding.
    const r = Float64Array.from(values(size([1, 3, 3, 3]), 9));
    const loss = (xv: Float64Array, wv: Float64Array): number => {
      const { y } = referenceConv(xv, xShape, wv, wShape, 2, 'same');
      return y.reduce((s, v, i) => s + 0.5 * r[i] * v * v, 0);
    };
    const numeric = (which: 'x' | 'w'): Float64Array => {
      const base = which === 'x' ? x64 : w64;
      const grad = new Float64Array(base.length);
      const h = 1e-3;
      for (let i = 0; i < base.length; i++) {
        const plus = Float64Array.from(base);
        const minus = Float64Array.from(base);
        plus[i] += h;
        minus[i] -= h;
        grad[i] =
          which === 'x'
            ? (loss(plus, w64) - loss(minus, w64)) / (2 * h)
            : (loss(x64, plus) - loss(x64, minus)) / (2 * h);
      }
      return grad;
    };
    const x = tf.tensor4d(Float32Array.from(x64), xShape as [number, number, number, number]);
    const w = tf.tensor4d(Float32Array.from(w64), wShape as [number, number, number, number]);
    const rt = tf.tensor(Float32Array.from(r), [1, 3, 3, 3]);
    const [dx, dw] = tf.grads((xs, ws) => {
      const y = conv2dCustomGradient(xs as tf.Tensor4D, ws as tf.Tensor4D, 2, 'same');
      return tf.mul(0.5, tf.sum(tf.mul(rt, tf.square(y))));
    })([x, w]);
    const errX = relativeError(dx.dataSync(), numeric('x'));
    const errW = relativeError(dw.dataSync(), numeric('w'));
    assert.ok(errX < 1e-5, `dX vs finite differences: ${errX.toExponential(2)}`);
    assert.ok(errW < 1e-5, `dW vs finite differences: ${errW.toExponential(2)}`);
    tf.dispose([x, w, rt, dx, dw]);
  });

  test('cpu has the built-in filter gradient, so conv2d uses it there', async () => {
    await initBackend('cpu');
    assert.equal(backendHasConvFilterGradient(), true);
  });
});

describe('conv2d on wasm', () => {
  test('the custom gradient on wasm agrees with cpu to < 5e-3 relative L2', async () => {
    await initBackend('cpu');
    const expected = CONFIGS.map((c) => gradients(c, custom(c)));
    await initBackend('wasm', { wasmDir: wasmDir() });
    for (const [i, c] of CONFIGS.entries()) {
      assertClose(gradients(c, custom(c)), expected[i], 5e-3, `wasm ${c.label}`);
    }
  });

  test('wasm lacks Conv2DBackpropFilter, and the layer op trains there through the custom gradient', async () => {
    await initBackend('cpu');
    const c = CONFIGS[1];
    const layer = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => conv2d(x, w, b, c.strides, c.padding);
    const expected = gradients(c, builtIn(c));
    await initBackend('wasm', { wasmDir: wasmDir() });
    assert.equal(backendHasConvFilterGradient(), false);
    assertClose(gradients(c, layer), expected, 5e-3, 'wasm conv2d layer op');
  });
});
