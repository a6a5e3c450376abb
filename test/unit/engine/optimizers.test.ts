// Optimizers against independent float64 reimplementations of docs/science.md section 2, the decay scopes of
// section 1, SGD's L2 == weight decay identity (section 7 item 7), checkpoint round trips and leaks.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import {
  createOptimizer,
  decayedParamNames,
  type Optimizer,
  type Param,
} from '../../../src/engine/optimizers';
import { tf } from '../../../src/engine/tf';
import type {
  AdamSpec,
  OptimizerSpec,
  RegularizationSpec,
  RegularizationType,
  SgdSpec,
} from '../../../src/spec/types';

const THETA0 = [0.5, -1.25, 2.0];
const GRADS = [
  [0.1, -0.2, 0.3],
  [-0.05, 0.4, 0.02],
  [0.3, 0.1, -0.6],
];
const LRS = [0.1, 0.05, 0.02];
const LAMBDA = 0.01;

const sgd = (momentum: number, nesterov = false): SgdSpec => ({ type: 'sgd', lr: 0.1, momentum, nesterov });
const adam: AdamSpec = { type: 'adam', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 };
const reg = (type: RegularizationType, coefficient = LAMBDA): RegularizationSpec => ({
  type,
  coefficient,
  apply: 'all',
});

// ---- Independent float64 references, straight from the formulas. ----

function sgdReference(mu: number, nesterov: boolean, lambda: number): number[] {
  const theta = [...THETA0];
  const v = [0, 0, 0];
  GRADS.forEach((g, t) => {
    for (let i = 0; i < 3; i++) {
      const gi = g[i] + lambda * theta[i];
      v[i] = mu * v[i] + gi;
      theta[i] -= LRS[t] * (nesterov ? gi + mu * v[i] : v[i]);
    }
  });
  return theta;
}

function adamReference(l2: number, decoupled: number): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const theta = [...THETA0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  GRADS.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < 3; i++) {
      const gi = g[i] + l2 * theta[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const step = m[i] / (1 - b1 ** t) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
      theta[i] -= LRS[k] * (step + decoupled * theta[i]);
    }
  });
  return theta;
}

// ---- Helpers. ----

function makeParam(name: string, values: number[], decay = true): Param {
  return { name, variable: tf.variable(tf.tensor1d(values)), decay };
}

function runThreeSteps(spec: OptimizerSpec, regularization: RegularizationSpec): number[] {
  const p = makeParam('w', THETA0);
  const opt = createOptimizer(spec, { params: [p], regularization });
  for (let t = 0; t < 3; t++) {
    const g = tf.tensor1d(GRADS[t]);
    opt.step(new Map([['w', g]]), LRS[t]);
    g.dispose();
  }
  assert.equal(opt.iterations, 3);
  const out = Array.from(p.variable.dataSync());
  opt.dispose();
  p.variable.dispose();
  return out;
}

function assertClose(actual: number[], expected: number[], rel = 1e-6): void {
  actual.forEach((a, i) => {
    const e = expected[i];
    assert.ok(Math.abs(a - e) <= rel * Math.max(Math.abs(e), 1), `component ${i}: got ${a}, expected ${e}`);
  });
}

/** A tiny nonlinear problem: 2-layer tanh MLP on fixed data, softmax cross-entropy. */
interface Mlp {
  params: Param[];
  grads(): Map<string, tf.Tensor>;
  bytes(): Uint8Array;
  dispose(): void;
}

function makeMlp(): Mlp {
  const x = tf.randomNormal([16, 5], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
  const params: Param[] = [
    { name: 'h/kernel', variable: tf.variable(tf.randomNormal([5, 8], 0, 0.5, 'float32', 2)), decay: true },
    { name: 'h/bias', variable: tf.variable(tf.zeros([8])), decay: true },
    { name: 'fc/kernel', variable: tf.variable(tf.randomNormal([8, 3], 0, 0.5, 'float32', 3)), decay: true },
    { name: 'fc/bias', variable: tf.variable(tf.zeros([3])), decay: true },
  ];
  const [w1, b1, w2, b2] = params.map((p) => p.variable);
  const loss = (): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), b2));
  return {
    params,
    grads: () => {
      const { value, grads } = tf.variableGrads(loss, [w1, b1, w2, b2]);
      value.dispose();
      return new Map(params.map((p) => [p.name, grads[p.variable.name]]));
    },
    bytes: () => {
      const all = params.flatMap((p) => Array.from(p.variable.dataSync()));
      return new Uint8Array(Float32Array.from(all).buffer);
    },
    dispose: () => {
      tf.dispose([x, y]);
      for (const p of params) p.variable.dispose();
    },
  };
}

function trainSteps(opt: Optimizer, mlp: Mlp, steps: number, lr = 0.1): void {
  for (let s = 0; s < steps; s++) {
    const grads = mlp.grads();
    opt.step(grads, lr);
    tf.dispose([...grads.values()]);
  }
}

function trajectoryBytes(spec: OptimizerSpec, type: RegularizationType, steps: number): Uint8Array {
  const mlp = makeMlp();
  const opt = createOptimizer(spec, { params: mlp.params, regularization: reg(type, 5e-2) });
  trainSteps(opt, mlp, steps, spec.type === 'adam' ? 0.01 : 0.1);
  const out = mlp.bytes();
  opt.dispose();
  mlp.dispose();
  return out;
}

// ---- Tests. ----

before(async () => {
  await initBackend('cpu');
});

describe('updates match float64 references of docs/science.md section 2', () => {
  const cases: [string, OptimizerSpec, RegularizationSpec, () => number[]][] = [
    ['plain SGD', sgd(0), reg('none'), () => sgdReference(0, false, 0)],
    ['SGD + momentum', sgd(0.9), reg('none'), () => sgdReference(0.9, false, 0)],
    ['SGD + momentum + L2', sgd(0.9), reg('l2'), () => sgdReference(0.9, false, LAMBDA)],
    ['SGD + momentum + weight decay', sgd(0.9), reg('weightDecay'), () => sgdReference(0.9, false, LAMBDA)],
    ['Nesterov + weight decay', sgd(0.9, true), reg('weightDecay'), () => sgdReference(0.9, true, LAMBDA)],
    ['Adam', adam, reg('none'), () => adamReference(0, 0)],
    ['Adam + L2', adam, reg('l2', 0.5), () => adamReference(0.5, 0)],
    ['AdamW', adam, reg('weightDecay', 0.5), () => adamReference(0, 0.5)],
  ];
  for (const [name, spec, regularization, reference] of cases) {
    test(name, () => assertClose(runThreeSteps(spec, regularization), reference()));
  }

  test('Adam L2 and AdamW really differ on this sequence', () => {
    const l2 = adamReference(0.5, 0);
    const wd = adamReference(0, 0.5);
    assert.ok(Math.abs(l2[0] - wd[0]) > 1e-5);
  });
});

describe('regularization.apply selects parameters (docs/science.md section 1)', () => {
  const layers = [
    { name: 'conv1', isLast: false },
    { name: 'conv2', isLast: false },
    { name: 'fc', isLast: true },
  ];
  test('all / conv / fc', () => {
    assert.deepEqual([...decayedParamNames(layers, 'all')].sort(), [
      'conv1/bias',
      'conv1/kernel',
      'conv2/bias',
      'conv2/kernel',
      'fc/bias',
      'fc/kernel',
    ]);
    assert.deepEqual([...decayedParamNames(layers, 'conv')].sort(), [
      'conv1/bias',
      'conv1/kernel',
      'conv2/bias',
      'conv2/kernel',
    ]);
    assert.deepEqual([...decayedParamNames(layers, 'fc')].sort(), ['fc/bias', 'fc/kernel']);
  });

  for (const spec of [sgd(0.9), adam]) {
    test(`${spec.type}: a param with decay=false ignores lambda`, () => {
      const run = (decay: boolean, type: RegularizationType): number[] => {
        const p = makeParam('w', THETA0, decay);
        const opt = createOptimizer(spec, { params: [p], regularization: reg(type, 0.3) });
        // Opposite in sign to lambda*theta: Adam's first step is sign(g), so L2 must flip a sign to show.
        const g = tf.tensor1d([-0.01, 0.01, -0.01]);
        opt.step(new Map([['w', g]]), 0.1);
        const out = Array.from(p.variable.dataSync());
        tf.dispose([g, p.variable]);
        opt.dispose();
        return out;
      };
      const none = run(true, 'none');
      for (const type of ['l2', 'weightDecay'] as const) {
        assert.deepEqual(run(false, type), none, `${type} touched an undecayed param`);
        assert.notDeepEqual(run(true, type), none, `${type} left a decayed param alone`);
      }
    });
  }
});

// Regression guards: these compare the code with itself (one code path against another), not with an
// independent oracle; the oracles are the float64 references above and the simulations of mechanisms1.test.ts.
describe('L2 vs weight decay over 20 steps of a 2-layer MLP (regression guard; docs/science.md section 7 item 7)', () => {
  test('SGD (heavy ball and Nesterov): bit-identical (regression guard)', () => {
    for (const spec of [sgd(0.9), sgd(0.9, true), sgd(0)]) {
      const l2 = trajectoryBytes(spec, 'l2', 20);
      const wd = trajectoryBytes(spec, 'weightDecay', 20);
      assert.deepEqual(wd, l2);
      assert.notDeepEqual(trajectoryBytes(spec, 'none', 20), l2, 'lambda had no effect');
    }
  });

  test('Adam: measurably different (regression guard)', () => {
    const l2 = new Float32Array(trajectoryBytes(adam, 'l2', 20).buffer);
    const wd = new Float32Array(trajectoryBytes(adam, 'weightDecay', 20).buffer);
    const diff = Math.max(...l2.map((v, i) => Math.abs(v - wd[i])));
    assert.ok(diff > 1e-4, `max |L2 - WD| = ${diff}`);
  });
});

describe('checkpoint state', () => {
  for (const spec of [sgd(0.9, true), sgd(0), adam]) {
    test(`${spec.type}${spec.type === 'sgd' ? ` (momentum ${spec.momentum})` : ''}: getState/setState round trip`, () => {
      const mlp = makeMlp();
      const regularization = reg('weightDecay', 1e-2);
      const opt = createOptimizer(spec, { params: mlp.params, regularization });
      trainSteps(opt, mlp, 3);
      const state = opt.getState();
      const iterations = opt.iterations;
      const weights = mlp.params.map((p) => tf.clone(p.variable));
      const expectedKeys =
        spec.type === 'adam'
          ? mlp.params.flatMap((p) => [`${p.name}/m`, `${p.name}/v`])
          : spec.momentum > 0
            ? mlp.params.map((p) => `${p.name}/momentum`)
            : [];
      assert.deepEqual([...state.keys()].sort(), expectedKeys.sort());

      trainSteps(opt, mlp, 2);
      const x = mlp.bytes();

      // Restore into a fresh optimizer, as a resumed run does.
      for (const [i, p] of mlp.params.entries()) p.variable.assign(weights[i]);
      const resumed = createOptimizer(spec, { params: mlp.params, regularization });
      resumed.setState(state, iterations);
      assert.equal(resumed.iterations, 3);
      trainSteps(resumed, mlp, 2);
      assert.deepEqual(mlp.bytes(), x);

      // And into the same one (overwriting its slots).
      for (const [i, p] of mlp.params.entries()) p.variable.assign(weights[i]);
      opt.setState(state, iterations);
      trainSteps(opt, mlp, 2);
      assert.deepEqual(mlp.bytes(), x);

      tf.dispose([...state.values(), ...weights]);
      opt.dispose();
      resumed.dispose();
      mlp.dispose();
    });
  }

  test('setState refuses state of another optimizer', () => {
    const p = makeParam('w', THETA0);
    const opt = createOptimizer(adam, { params: [p], regularization: reg('none') });
    const other = new Map([['w/momentum', tf.zeros([3])]]);
    assert.throws(() => opt.setState(other, 1), /w\/momentum/);
    tf.dispose([...other.values(), p.variable]);
    opt.dispose();
  });
});

describe('resources', () => {
  test('no tensor leak across steps; dispose frees the slots', () => {
    for (const spec of [sgd(0.9), sgd(0.9, true), sgd(0), adam]) {
      const mlp = makeMlp();
      const before = tf.memory().numTensors;
      const opt = createOptimizer(spec, { params: mlp.params, regularization: reg('l2') });
      trainSteps(opt, mlp, 2);
      const afterTwo = tf.memory().numTensors;
      trainSteps(opt, mlp, 5);
      assert.equal(tf.memory().numTensors, afterTwo, `${spec.type} leaks`);
      opt.dispose();
      assert.equal(tf.memory().numTensors, before, `${spec.type} dispose left tensors`);
      mlp.dispose();
    }
  });

  test('K-FAC without the model layers is refused with a clear message', () => {
    for (const type of ['kfac-f', 'kfac-g'] as const) {
      assert.throws(
        () =>
          createOptimizer(
            {
              type,
              lr: 0.1,
              momentum: 0.9,
              damping: 1e-3,
              statDecay: 0.95,
              statsEvery: 10,
              inverseEvery: 100,
              dampingScheme: 'factored',
              inverseMethod: 'auto',
              inverseSchedule: 'synchronous',
              initStatsBatches: 0,
            },
            { params: [], regularization: reg('none') },
          ),
        /K-FAC needs the model layers/,
      );
    }
  });
});
