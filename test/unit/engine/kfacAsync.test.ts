// K-FAC inverses off the training thread (inverseSchedule "asynchronous"; kfac.ts, eigenPool.ts,
// eigenWorker.ts): a round due at step k is eigendecomposed in a worker thread while training goes on, and
// swapped in at the fixed step k + D. The trajectory is bit-identical to a synchronous reference that swaps
// at the same steps, training keeps stepping while the worker computes (ordering, not durations: the worker
// is held by a gate), and a state saved with a round in flight resumes exactly.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/build';
import { createOptimizer, type KfacOptimizer, type Param } from '../../../src/engine/optimizers';
import { EigenPool, setEigenWorkerPath } from '../../../src/engine/optimizers/kfac/eigenPool';
import { symmetricEigen } from '../../../src/engine/optimizers/kfac/inverse';
import type { KfacInverseOptions } from '../../../src/engine/optimizers/optimizer';
import { tf } from '../../../src/engine/tf';
import { type TrainingState, trainStep } from '../../../src/engine/trainer';
import type { KfacSpec, ModelSpec } from '../../../src/spec/types';
import { repoRoot } from '../../helpers/backend';

before(async () => {
  await initBackend('cpu');
  setEigenWorkerPath(join(repoRoot(), 'dist', 'kfacWorker.js'));
});

const mlp: ModelSpec = {
  arch: 'mlp',
  depth: 0,
  width: 1,
  batchNorm: false,
  batchNormMomentum: 0.99,
  hidden: [24],
};
const kfac: KfacSpec = {
  type: 'kfac-f',
  lr: 0.05,
  momentum: 0.9,
  damping: 0.01,
  statDecay: 0.95,
  statsEvery: 1,
  inverseEvery: 4,
  dampingScheme: 'factored',
  inverseMethod: 'auto',
  inverseSchedule: 'synchronous',
  initStatsBatches: 0,
};

function setup(inverses: KfacInverseOptions): TrainingState & { optimizer: KfacOptimizer } {
  const model = buildModel(mlp, [6], 3, 11);
  const params: Param[] = model.layers.flatMap((l) =>
    (['kernel', 'bias'] as const).map((part) => ({
      name: `${l.name}/${part}`,
      variable: l[part],
      decay: true,
    })),
  );
  const optimizer = createOptimizer(kfac, {
    params,
    regularization: { type: 'weightDecay', coefficient: 1e-3, apply: 'all' },
    layers: model.layers,
    seed: 3,
    kfacInverses: inverses,
  }) as KfacOptimizer;
  return { model, params, optimizer };
}

/** The t-th batch (deterministic). */
function batch(t: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  let s = (t * 7919 + 1) >>> 0;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const xs = Array.from({ length: 16 * 6 }, r);
  const ys = Array.from({ length: 16 }, (_, i) =>
    xs[6 * i] + xs[6 * i + 1] > 0 ? 1 : xs[6 * i + 2] > 0 ? 2 : 0,
  );
  return { x: tf.tensor2d(xs, [16, 6]), y: tf.tensor1d(ys, 'int32') };
}

/** One trainer step, awaiting the optimizer's swap-in first as train() does. */
async function step(state: TrainingState, t: number): Promise<void> {
  const { x, y } = batch(t);
  await state.optimizer.beforeStep?.();
  await trainStep(state, x, y, 3, kfac.lr);
  tf.dispose([x, y]);
}

const weights = (state: TrainingState): Float32Array[] =>
  state.params.map((p) => Float32Array.from(p.variable.dataSync()));

function dispose(state: TrainingState): void {
  state.optimizer.dispose();
  state.model.dispose();
}

describe('K-FAC inverses off the training thread', () => {
  test('the worker schedule is bit-identical to the synchronous reference swapping at the same steps', async () => {
    const threaded = setup({ delay: 3 });
    const reference = setup({ delay: 3, synchronous: true });
    const immediate = setup({ delay: 0 });
    assert.equal(threaded.optimizer.threaded, true, 'the worker bundle dist/kfacWorker.js runs');
    assert.equal(reference.optimizer.threaded, false);
    for (let t = 0; t < 15; t++) for (const s of [threaded, reference, immediate]) await step(s, t);
    assert.deepEqual(weights(threaded), weights(reference));
    assert.notDeepEqual(weights(threaded), weights(immediate), 'the delay changes which eigenbases are used');
    // Rounds: synchronous at 0, posted at 4, 8, 12, swapped in at 7 and 11 (12's is still in flight).
    assert.deepEqual(threaded.optimizer.counts.inverses, 3);
    assert.deepEqual(threaded.optimizer.counts.posted, 3);
    assert.equal(threaded.optimizer.pendingInverse?.applyAt, 15);
    for (const s of [threaded, reference, immediate]) dispose(s);
  });

  test('training keeps stepping while the worker computes; the swap-in step waits for it', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const state = setup({ delay: 3, gate: gate.buffer as SharedArrayBuffer });
    const opt = state.optimizer;
    // Step 0: the first round is synchronous (the gate only holds worker jobs).
    await step(state, 0);
    assert.equal(opt.counts.inverses, 1);
    for (let t = 1; t < 4; t++) await step(state, t);
    assert.equal(opt.pendingInverse, undefined);
    // Step 4 posts a round; the worker is held, so every step until the swap-in runs without it.
    let stepsWhileComputing = 0;
    for (let t = 4; t < 7; t++) {
      await step(state, t);
      assert.deepEqual(opt.pendingInverse, { applyAt: 7, ready: false }, `after step ${t}`);
      stepsWhileComputing += 1;
    }
    assert.equal(stepsWhileComputing, 3);
    assert.equal(opt.counts.inverses, 1);
    assert.equal(opt.counts.waited, 0);
    // Step 7 is the swap-in: open the gate; beforeStep waits for the worker, then the step uses the result.
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await step(state, 7);
    assert.equal(opt.counts.waited, 1);
    assert.equal(opt.counts.inverses, 2);
    assert.equal(opt.pendingInverse, undefined);
    dispose(state);
  });

  test('a state saved with a round in flight resumes exactly (the snapshot is recomputed)', async () => {
    const whole = setup({ delay: 3 });
    for (let t = 0; t < 12; t++) await step(whole, t);

    const first = setup({ delay: 3 });
    for (let t = 0; t < 6; t++) await step(first, t);
    assert.deepEqual(first.optimizer.pendingInverse?.applyAt, 7);
    const saved = first.optimizer.getState();
    assert.ok(
      [...saved.keys()].some((k) => k.endsWith('/kfacAPending')),
      'the snapshot is saved',
    );
    const iterations = first.optimizer.iterations;
    const resumed = setup({ delay: 3 });
    for (const [i, p] of resumed.params.entries()) p.variable.assign(first.params[i].variable);
    resumed.optimizer.setState(saved, iterations);
    tf.dispose([...saved.values()]);
    dispose(first);
    assert.deepEqual(resumed.optimizer.pendingInverse?.applyAt, 7);
    for (let t = 6; t < 12; t++) await step(resumed, t);
    assert.deepEqual(weights(resumed), weights(whole));
    dispose(whole);
    dispose(resumed);
  });
});

describe('the eigendecomposition pool', () => {
  test('spreads a round over several workers and returns each result in order, bit-identical to in-thread', async () => {
    const sizes = [3, 40, 7, 25, 1, 12];
    const matrices = sizes.map((n, k) => {
      // A symmetric matrix B B^T + n I from a fixed sequence.
      const b = Float64Array.from({ length: n * n }, (_, i) => Math.sin(1 + i * 0.37 + k));
      const data = new Float32Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let sum = i === j ? n : 0;
          for (let l = 0; l < n; l++) sum += b[i * n + l] * b[j * n + l];
          data[i * n + j] = sum;
        }
      return { data, n };
    });
    const pool = new EigenPool(3);
    try {
      assert.equal(pool.threaded, true);
      const got = await pool.submit(matrices);
      const want = matrices.map((m) => symmetricEigen(m.data, m.n));
      assert.equal(got.length, sizes.length);
      got.forEach((r, i) => {
        assert.equal(r.values.length, sizes[i]);
        assert.deepEqual(Array.from(r.values), Array.from(want[i].values), `values of matrix ${i}`);
        assert.deepEqual(Array.from(r.vectors), Array.from(want[i].vectors), `vectors of matrix ${i}`);
      });
    } finally {
      pool.dispose();
    }
  });
});
