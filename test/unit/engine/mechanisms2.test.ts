// Mechanism 2 against independent oracles (docs/science.md sections 4 and 7): the exact Jacobian norm against
// float64 central differences of a float64 re-implementation of the network (with and without BN in
// inference mode), the projection estimator's unbiasedness, the Gauss-Newton norm against float64
// differences in the weight scale, and the deep-linear-network identities of section 7 item 4.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { createRng } from '../../../src/engine/data/random';
import {
  GN_SCALE_STEP,
  gaussNewtonNorm,
  scaleDirectionalDerivative,
} from '../../../src/engine/metrics/gaussNewton';
import {
  type DifferentiableModel,
  jacobianNormExact,
  jacobianProjectionSamples,
} from '../../../src/engine/metrics/jacobian';
import { Mlp } from '../../../src/engine/models/mlp';
import { BN_EPSILON } from '../../../src/engine/ops/batchNorm';
import { tf } from '../../../src/engine/tf';

before(async () => {
  await initBackend('cpu');
});

const relClose = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.abs(expected),
    `${what}: ${actual} vs ${expected} (relative error ${Math.abs(actual / expected - 1)})`,
  );

const N = 16;
const D = 5;
const C = 3;

/** An MLP 5-8-3 with random (non-zero) biases and, with BN, moving statistics far from 0 / 1. */
function smallMlp(batchNorm: boolean): Mlp {
  const model = Mlp.create({ inputShape: [D], numClasses: C, hidden: [8], batchNorm, seed: 7 });
  const rng = createRng('mlp-state');
  for (const layer of model.layers) {
    layer.bias.assign(tf.tensor1d(Float32Array.from({ length: layer.bias.size }, () => 0.3 * rng.normal())));
  }
  for (const [name, v] of model.stateVariables()) {
    const values = Float32Array.from({ length: v.size }, () =>
      name.endsWith('movingMean') ? 0.5 * rng.normal() : 0.2 + 2 * rng.uniform(),
    );
    v.assign(tf.tensor1d(values));
  }
  return model;
}

/** The network in float64 on the host, from the model's own variables: dense -> (BN inference) -> ReLU -> dense. */
function hostForward(model: Mlp, weightScale = 1): (x: Float64Array) => Float64Array {
  const read = (t: tf.Tensor) => Float64Array.from(t.dataSync(), (v) => v * weightScale);
  const [hidden, fc] = model.layers;
  const [w1, b1, w2, b2] = [read(hidden.kernel), read(hidden.bias), read(fc.kernel), read(fc.bias)];
  const state = model.stateVariables();
  const mean = state.get('fc1.bn.movingMean');
  const variance = state.get('fc1.bn.movingVariance');
  const [m, v] = mean && variance ? [mean.dataSync(), variance.dataSync()] : [undefined, undefined];
  const h = b1.length;
  return (x) => {
    const a = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      let z = b1[j];
      for (let i = 0; i < x.length; i++) z += x[i] * w1[i * h + j];
      if (m && v) z = (z - m[j]) / Math.sqrt(v[j] + BN_EPSILON);
      a[j] = Math.max(0, z);
    }
    const out = Float64Array.from(b2);
    for (let j = 0; j < h; j++) for (let c = 0; c < out.length; c++) out[c] += a[j] * w2[j * out.length + c];
    return out;
  };
}

function inputs(seed: string): { x: tf.Tensor2D; rows: Float64Array[] } {
  const rng = createRng(seed);
  const flat = Float32Array.from({ length: N * D }, () => rng.normal());
  const rows = Array.from({ length: N }, (_, i) => Float64Array.from(flat.subarray(i * D, (i + 1) * D)));
  return { x: tf.tensor2d(flat, [N, D]), rows };
}

/** E_x ||J_x||_F^2 by float64 central differences of the float64 network (h = 1e-6). */
function jacobianNormReference(f: (x: Float64Array) => Float64Array, rows: Float64Array[]): number {
  const h = 1e-6;
  let total = 0;
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const plus = Float64Array.from(row);
      const minus = Float64Array.from(row);
      plus[i] += h;
      minus[i] -= h;
      const [fp, fm] = [f(plus), f(minus)];
      for (let c = 0; c < fp.length; c++) total += ((fp[c] - fm[c]) / (2 * h)) ** 2;
    }
  }
  return total / rows.length;
}

/**
 * E_x ||J_theta theta||^2 in float64 from the float64 network with every kernel and bias scaled:
 * `derivative` = a central difference with h = 1e-6 (the true derivative), `richardson` = the metric's own
 * scheme (h = GN_SCALE_STEP) in float64, which isolates the float32 rounding of the metric.
 */
function gnNormReference(model: Mlp, rows: Float64Array[], scheme: 'derivative' | 'richardson'): number {
  const diff = (h: number) => {
    const [fp, fm] = [hostForward(model, 1 + h), hostForward(model, 1 - h)];
    return (row: Float64Array) => {
      const [a, b] = [fp(row), fm(row)];
      return a.map((v, c) => (v - b[c]) / (2 * h));
    };
  };
  const [wide, narrow] =
    scheme === 'derivative' ? [diff(1e-6), diff(1e-6)] : [diff(GN_SCALE_STEP), diff(GN_SCALE_STEP / 2)];
  let total = 0;
  for (const row of rows) {
    const [d1, d2] = [wide(row), narrow(row)];
    for (let c = 0; c < d1.length; c++)
      total += (scheme === 'derivative' ? d1[c] : (4 * d2[c] - d1[c]) / 3) ** 2;
  }
  return total / rows.length;
}

async function noLeak<T>(f: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await f();
  assert.equal(tf.memory().numTensors, before, 'live tensors unchanged');
  return out;
}

describe('Jacobian norm E_x ||d logits / d x||_F^2 (docs/science.md section 4)', () => {
  for (const batchNorm of [false, true]) {
    test(`exact = float64 central differences (MLP 5-8-3${batchNorm ? ', BN in inference mode' : ''})`, async () => {
      const model = smallMlp(batchNorm);
      const { x, rows } = inputs('jacobian');
      const f = hostForward(model);
      // The float64 twin computes what the model computes.
      const logits = model.forward(x, false).dataSync();
      rows.forEach((row, i) => {
        f(row).forEach((v, c) => {
          assert.ok(Math.abs(v - logits[i * C + c]) < 1e-5 * (1 + Math.abs(v)));
        });
      });
      const exact = await noLeak(() => jacobianNormExact(model, x));
      const reference = jacobianNormReference(f, rows);
      console.log(`# jacobianNorm (BN ${batchNorm}): exact ${exact} vs float64 differences ${reference}`);
      relClose(exact, reference, 1e-5, 'exact Jacobian norm');
      model.dispose();
      x.dispose();
    });
  }

  test('the projection estimate is unbiased: 2000 single-projection draws average to the exact value (4 sigma)', async () => {
    const model = smallMlp(true);
    const { x } = inputs('projection');
    const exact = await jacobianNormExact(model, x);
    const samples = await noLeak(() => jacobianProjectionSamples(model, x, 2000, createRng('draws')));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((a, s) => a + (s - mean) ** 2, 0) / (samples.length - 1));
    const se = sd / Math.sqrt(samples.length);
    console.log(
      `# projection: mean ${mean} +- ${se} (1 s.e.) vs exact ${exact}: ${((mean - exact) / se).toFixed(2)} sigma`,
    );
    assert.ok(Math.abs(mean - exact) < 4 * se, `mean ${mean}, exact ${exact}, standard error ${se}`);
    assert.ok(se < 0.05 * exact, 'the bound is tight enough to mean something');
    model.dispose();
    x.dispose();
  });
});

describe('Gauss-Newton norm theta^T G theta, G = E[J_theta^T J_theta] (docs/science.md section 4)', () => {
  for (const batchNorm of [false, true]) {
    test(`= E_x ||J_theta theta||^2 by float64 differences in the weight scale (MLP 5-8-3, biases${batchNorm ? ', BN' : ''})`, async () => {
      const model = smallMlp(batchNorm);
      const { x, rows } = inputs('gn');
      const gn = await noLeak(() => gaussNewtonNorm(model, x));
      const scheme = gnNormReference(model, rows, 'richardson');
      const derivative = gnNormReference(model, rows, 'derivative');
      console.log(
        `# gnNorm (BN ${batchNorm}): ${gn}; float64, same scheme ${scheme}; float64 derivative ${derivative}`,
      );
      // float32 rounding of the metric: tight.
      relClose(gn, scheme, 2e-5, 'GN norm vs its own scheme in float64');
      // The scheme's truncation is zero for this net without BN (a polynomial of degree 2 in the scale);
      // with BN, a unit whose (s z - moving mean) changes sign for s in [0.98, 1.02] adds a kink error.
      relClose(gn, derivative, batchNorm ? 1e-3 : 2e-5, 'GN norm vs the true derivative');
      model.dispose();
      x.dispose();
    });
  }

  test('restores every weight bit for bit', async () => {
    const model = smallMlp(true);
    const { x } = inputs('restore');
    const before = model.trainableVariables().map((v) => Array.from(v.dataSync()));
    await gaussNewtonNorm(model, x);
    assert.deepEqual(
      model.trainableVariables().map((v) => Array.from(v.dataSync())),
      before,
    );
    model.dispose();
    x.dispose();
  });
});

describe('deep networks without biases (docs/science.md section 7 item 4)', () => {
  /** A bias-free deep linear net x W1 W2 W3 (L + 1 = 3 weight matrices) on the metric interface. */
  function deepLinear(dims: number[]): DifferentiableModel & { weights: tf.Variable[] } {
    const rng = createRng('deep-linear');
    const weights = dims.slice(1).map((out, k) => {
      const fanIn = dims[k];
      return tf.variable(
        tf.tensor2d(
          Float32Array.from({ length: fanIn * out }, () => rng.normal() / Math.sqrt(fanIn)),
          [fanIn, out],
        ),
      );
    });
    return {
      weights,
      forward: (x) => tf.tidy(() => weights.reduce<tf.Tensor2D>((h, w) => tf.matMul(h, w), x as tf.Tensor2D)),
      trainableVariables: () => weights,
    };
  }

  /** Whitened inputs: x = +-sqrt(d) e_i, so E[x] = 0 and E[x x^T] = I exactly. */
  function whitened(d: number): tf.Tensor2D {
    const rows: number[][] = [];
    for (let i = 0; i < d; i++) {
      for (const sign of [1, -1])
        rows.push(Array.from({ length: d }, (_, j) => (j === i ? sign * Math.sqrt(d) : 0)));
    }
    return tf.tensor2d(rows);
  }

  test('deep linear, whitened inputs: ||theta||_G^2 = (L+1)^2 ||J_x||_F^2 and J_theta theta = (L+1) f(x)', async () => {
    const dims = [6, 7, 5, 4];
    const model = deepLinear(dims);
    const x = whitened(dims[0]);
    const layers = model.weights.length; // L + 1
    // ||J_x||_F^2 is the same for every x: the end-to-end matrix W1 W2 W3.
    const product = tf.tidy(() => tf.sum(tf.square(model.weights.reduce((a, w) => tf.matMul(a, w)))));
    const productNorm = product.dataSync()[0];
    const jacobian = await jacobianNormExact(model, x);
    relClose(jacobian, productNorm, 1e-5, '||J_x||_F^2 = ||W1 W2 W3||_F^2');
    const gn = await gaussNewtonNorm(model, x);
    console.log(`# deep linear: gnNorm ${gn} vs (L+1)^2 ||J_x||^2 = ${layers ** 2 * jacobian}`);
    relClose(gn, layers ** 2 * jacobian, 1e-4, 'GN norm = (L+1)^2 ||J_x||_F^2');
    const directional = scaleDirectionalDerivative(model, x);
    const f = model.forward(x, false);
    const [jt, fx] = [directional.dataSync(), f.dataSync()];
    jt.forEach((v, i) => {
      assert.ok(
        Math.abs(v - layers * fx[i]) < 1e-4 * (1 + Math.abs(layers * fx[i])),
        `${v} vs ${layers * fx[i]}`,
      );
    });
    tf.dispose([product, directional, f, x, ...model.weights]);
  });

  test('bias-free ReLU MLP (zero biases at init): J_theta theta = (L+1) f(x)', () => {
    const model = Mlp.create({ inputShape: [D], numClasses: C, hidden: [8, 8], batchNorm: false, seed: 3 });
    const { x } = inputs('relu');
    const directional = scaleDirectionalDerivative(model, x);
    const f = model.forward(x, false);
    const [jt, fx] = [directional.dataSync(), f.dataSync()];
    jt.forEach((v, i) => {
      assert.ok(Math.abs(v - 3 * fx[i]) < 1e-4 * (1 + Math.abs(3 * fx[i])), `${v} vs ${3 * fx[i]}`);
    });
    tf.dispose([directional, f, x]);
    model.dispose();
  });
});
