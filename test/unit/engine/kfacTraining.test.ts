// K-FAC inside the training loop: it trains, leaks nothing from step to step, reports its metrics
// (docs/science.md sections 4 and 5) with the documented formulas, and a checkpoint restore continues exactly.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import type { KfacOptimizer } from '../../../src/engine/optimizers';
import { setEigenWorkerPath } from '../../../src/engine/optimizers/kfac/eigenPool';
import { tf } from '../../../src/engine/tf';
import { createTrainingState, train } from '../../../src/engine/trainer';
import type { MetricRecord } from '../../../src/protocol/records';
import { loadSpecText } from '../../../src/spec';
import type { ExperimentSpec } from '../../../src/spec/types';
import { repoRoot, wasmDir } from '../../helpers/backend';
import { recorder } from '../../helpers/recorder';
import { scratchCheckpointDir } from '../../helpers/scratch';

function spec(over: object): ExperimentSpec {
  const loaded = loadSpecText(JSON.stringify({ name: 't', ...over }));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.spec!;
}

const dir = () => scratchCheckpointDir('wdlab-kfac-');

const base = {
  data: { dataset: 'synthetic-vectors', trainSize: 128, testSize: 32 },
  model: { arch: 'mlp', hidden: [16], batchNorm: true },
  training: { epochs: 3, batchSize: 32, logEverySteps: 1 },
  metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 0 },
};

before(async () => {
  await initBackend('cpu');
  // The trainer's K-FAC eigendecompositions run in the bundled worker thread (dist/kfacWorker.js).
  setEigenWorkerPath(join(repoRoot(), 'dist', 'kfacWorker.js'));
});

describe('K-FAC in the training loop', () => {
  test('the inverse schedule is the official one by default on CPU backends; asynchronous is an option, T_inv late', async () => {
    const run = async (inverseSchedule?: string) => {
      const s = spec({
        ...base,
        optimizer: {
          type: 'kfac-f',
          lr: 0.01,
          statsEvery: 1,
          inverseEvery: 4,
          inverseMethod: 'eigendecomposition',
          ...(inverseSchedule ? { inverseSchedule } : {}),
        },
      });
      const data = await loadDataset(s.data);
      const state = createTrainingState(s, data);
      const { events, records } = recorder();
      assert.equal(
        (await train(s, data, state, events, { checkpointDir: dir(), resume: false })).status,
        'completed',
      );
      const opt = state.optimizer as KfacOptimizer;
      const out = { counts: { ...opt.counts }, described: opt.describeInverses(), records };
      state.optimizer.dispose();
      state.model.dispose();
      return out;
    };
    // 12 steps, rounds due at steps 0, 4, 8: each computed at its step and used from it (no worker).
    const official = await run();
    assert.deepEqual([official.counts.inverses, official.counts.posted], [3, 0]);
    assert.match(official.described, /used from the step they are due \(the official schedule\)/);
    const lagged = await run('asynchronous');
    assert.equal(lagged.counts.posted, 2, 'rounds 4 and 8 go to the worker (round 0 is synchronous)');
    assert.match(
      lagged.described,
      /swapped in 4 steps after their factors were taken \(asynchronous: 4 steps later/,
    );
    // The two schedules train differently: results depended on the backend before the default changed.
    const last = (r: typeof official) => r.records.at(-1)!['train/loss'];
    assert.notEqual(last(official), last(lagged));
  });

  test('K-FAC-F + weight decay (BN MLP): trains, constant live tensors, its metrics as documented (regression guard)', async () => {
    const s = spec({
      ...base,
      // The asynchronous schedule, whose rounds go to the worker thread (checked below).
      optimizer: {
        type: 'kfac-f',
        lr: 0.01,
        statsEvery: 2,
        inverseEvery: 4,
        initStatsBatches: 2,
        inverseSchedule: 'asynchronous',
      },
      regularization: { type: 'weightDecay', coefficient: 0.01 },
    });
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const { events, tensors, records } = recorder();
    const out = await train(s, data, state, events, { checkpointDir: dir(), resume: false });
    assert.equal(out.status, 'completed');
    assert.equal(new Set(tensors.slice(1)).size, 1, `live tensors after each step: ${tensors.join(', ')}`);
    assert.ok(records.at(-1)!['train/loss'] < records[1]['train/loss'], 'the training loss falls');
    for (const r of records.slice(1)) {
      for (const k of [
        'effectiveDamping/fc1',
        'effectiveDamping/fc',
        'curvatureScale/fc1',
        'kfac/factorNorm',
      ])
        assert.ok(k in r && r[k] > 0, `${k} at ${r.step}`);
      assert.ok(!('kfac/klClip' in r));
      // rho = damping / (T (tr A/dA)(tr S/dS)), section 5: the algebra of one definition (a regression
      // guard; the curvature it divides by is checked against the exact blocks in kfac.test.ts).
      assert.ok(Math.abs(r['effectiveDamping/fc1'] * r['curvatureScale/fc1'] - 0.001) < 1e-9);
    }
    // kfac/factorNorm = sum_l T tr(S W A W^T) from the optimizer's own factors, checked densely (a regression
    // guard of the algebra; the comparable kfacGnNorm has its oracles in kfacGaussNewton.test.ts).
    const opt = state.optimizer as KfacOptimizer;
    let gn = 0;
    for (const layer of state.model.layers) {
      const { A, S } = opt.factors(layer.name);
      const W = tf.concat([layer.kernel, tf.reshape(layer.bias, [1, -1])], 0);
      const a = A.arraySync();
      const sm = S.arraySync();
      const w = W.arraySync() as number[][];
      for (let i = 0; i < a.length; i++)
        for (let k = 0; k < a.length; k++)
          for (let j = 0; j < sm.length; j++)
            for (let l = 0; l < sm.length; l++) gn += w[i][j] * a[i][k] * sm[j][l] * w[k][l];
      tf.dispose([A, S, W]);
    }
    const m = await opt.metrics();
    assert.ok(Math.abs(m['kfac/factorNorm'] - gn) < 1e-4 * gn, `${m['kfac/factorNorm']} vs ${gn}`);
    // Inverse rounds after the first ran in the worker thread.
    assert.ok(opt.threaded && opt.counts.posted > 0, JSON.stringify(opt.counts));
    state.model.dispose();
    state.optimizer.dispose();
  });

  test('K-FAC-G with KL clipping reports the clip coefficient in (0, 1]', async () => {
    const s = spec({
      ...base,
      model: { arch: 'mlp', hidden: [16], batchNorm: false },
      optimizer: { type: 'kfac-g', lr: 0.1, klClip: 1e-4, dampingScheme: 'eigen' },
      regularization: { type: 'l2', coefficient: 0.001 },
      training: { ...base.training, epochs: 1 },
    });
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const { events, records } = recorder();
    assert.equal(
      (await train(s, data, state, events, { checkpointDir: dir(), resume: false })).status,
      'completed',
    );
    const clips = records.slice(1).map((r) => r['kfac/klClip']);
    assert.ok(clips.every((c) => c > 0 && c <= 1));
    assert.ok(
      clips.some((c) => c < 1),
      `the clip acts at lr 0.1: ${clips}`,
    );
    state.model.dispose();
    state.optimizer.dispose();
  });

  test('a restored checkpoint continues exactly like the uninterrupted run', async () => {
    const s = spec({
      ...base,
      // Asynchronous: a checkpoint can be taken with a round in flight (below).
      optimizer: {
        type: 'kfac-f',
        lr: 0.01,
        statsEvery: 2,
        inverseEvery: 3,
        inverseSchedule: 'asynchronous',
      },
      regularization: { type: 'l2', coefficient: 0.01 },
    });
    const data = await loadDataset(s.data);
    const whole = recorder();
    const a = createTrainingState(s, data);
    await train(s, data, a, whole.events, { checkpointDir: dir(), resume: false });
    a.model.dispose();
    a.optimizer.dispose();

    const checkpointDir = dir();
    const first = recorder(5);
    const b = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, b, first.events, { checkpointDir, resume: false })).status,
      'cancelled',
    );
    // The checkpoint (step 5) was written with the round posted at step 3 still in flight (swap-in at 6).
    assert.equal((b.optimizer as KfacOptimizer).pendingInverse?.applyAt, 6);
    b.model.dispose();
    b.optimizer.dispose();
    const second = recorder();
    const c = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, c, second.events, { checkpointDir, resume: true })).status,
      'completed',
    );
    const strip = (r: MetricRecord) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => !/^time\b/.test(k)));
    assert.deepEqual([...first.records, ...second.records].map(strip), whole.records.map(strip));
    c.model.dispose();
    c.optimizer.dispose();
  });
});

describe('K-FAC with Newton-Schulz inverses on the training backend', () => {
  const nsSpec = (inverseMethod: string) =>
    spec({
      ...base,
      optimizer: { type: 'kfac-f', lr: 0.01, statsEvery: 2, inverseEvery: 3, inverseMethod },
      regularization: { type: 'weightDecay', coefficient: 0.01 },
    });

  test('follows the eigendecomposition run, reports its residual, and resumes exactly', async () => {
    const runs: Record<string, MetricRecord[]> = {};
    for (const method of ['eigendecomposition', 'newtonSchulz']) {
      const s = nsSpec(method);
      const data = await loadDataset(s.data);
      // The eigendecomposition reference inverts synchronously, when due, as Newton-Schulz does.
      const state = createTrainingState(s, data, { kfacInverses: { delay: 0 } });
      const opt = state.optimizer as KfacOptimizer;
      assert.equal(opt.inverseMethod, method);
      const { events, records, tensors } = recorder();
      assert.equal(
        (await train(s, data, state, events, { checkpointDir: dir(), resume: false })).status,
        'completed',
      );
      assert.equal(new Set(tensors.slice(1)).size, 1, `live tensors after each step: ${tensors.join(', ')}`);
      if (method === 'newtonSchulz') {
        assert.equal(opt.counts.posted, 0, 'no worker round');
        assert.equal(opt.counts.inverses, 4, 'inverted at steps 0, 3, 6, 9');
        assert.match(opt.describeInverses(), /Newton-Schulz in float32 on the cpu backend/);
      }
      runs[method] = records;
      state.model.dispose();
      state.optimizer.dispose();
    }
    // Same factors, same damping: the float32 inverses differ from the float64 eigenbasis only by rounding.
    const [eig, ns] = [runs.eigendecomposition, runs.newtonSchulz];
    assert.equal(ns.length, eig.length);
    ns.forEach((r, i) => {
      const e = eig[i];
      assert.equal(r.step, e.step);
      if (r.step === 0) return; // the step-0 record is the evaluation before training
      assert.ok(
        Math.abs(r['train/loss'] - e['train/loss']) <= 1e-4 * Math.abs(e['train/loss']),
        `step ${r.step}: loss ${r['train/loss']} vs ${e['train/loss']}`,
      );
      assert.ok(!('kfac/inverseResidual' in e));
      assert.ok(r['kfac/inverseResidual'] < 1e-5, `residual ${r['kfac/inverseResidual']}`);
    });

    const s = nsSpec('newtonSchulz');
    const data = await loadDataset(s.data);
    const checkpointDir = dir();
    const first = recorder(5);
    const b = createTrainingState(s, data);
    await train(s, data, b, first.events, { checkpointDir, resume: false });
    b.model.dispose();
    b.optimizer.dispose();
    const second = recorder();
    const c = createTrainingState(s, data);
    await train(s, data, c, second.events, { checkpointDir, resume: true });
    const strip = (r: MetricRecord) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => !/^time\b/.test(k)));
    assert.deepEqual([...first.records, ...second.records].map(strip), ns.map(strip));
    c.model.dispose();
    c.optimizer.dispose();
  });
});

describe('K-FAC on conv layers (wasm, the trainer backend)', () => {
  before(async () => {
    await initBackend('wasm', { wasmDir: wasmDir() });
  });

  test('ResNet20-BN, K-FAC-F + WD: trains with constant live tensors; conv blocks have T = Ho * Wo', async () => {
    const s = spec({
      data: { dataset: 'synthetic-images', trainSize: 64, testSize: 32 },
      model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
      optimizer: { type: 'kfac-f', lr: 0.001, statsEvery: 2, inverseEvery: 3 },
      regularization: { type: 'weightDecay', coefficient: 1 },
      training: { epochs: 2, batchSize: 32, logEverySteps: 1, testBatchSize: 32 },
      metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 0 },
    });
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const { events, tensors, records } = recorder();
    const out = await train(s, data, state, events, { checkpointDir: dir(), resume: false });
    assert.equal(out.status, 'completed', out.reason);
    assert.equal(new Set(tensors.slice(1)).size, 1, `live tensors after each step: ${tensors.join(', ')}`);
    const opt = state.optimizer as KfacOptimizer;
    const layers = state.model.layers;
    const first = layers[0];
    const { A, S, locations } = opt.factors(first.name);
    assert.equal(locations, 32 * 32, 'stem conv, stride 1 same: T = 32 x 32');
    assert.deepEqual(A.shape, [3 * 3 * 3 + 1, 3 * 3 * 3 + 1]);
    tf.dispose([A, S]);
    const strided = layers.find((l) => l.kind === 'conv' && l.strides === 2)!;
    const f = opt.factors(strided.name);
    assert.equal(f.locations, 16 * 16, `${strided.name}: stride 2 halves the map`);
    tf.dispose([f.A, f.S]);
    assert.equal(opt.factors('fc').locations, 1);
    for (const r of records.slice(1)) {
      for (const l of layers) assert.ok(r[`effectiveDamping/${l.name}`] > 0, `${l.name} at ${r.step}`);
      assert.ok(Object.values(r).every(Number.isFinite));
    }
    state.model.dispose();
    state.optimizer.dispose();
  });
});
