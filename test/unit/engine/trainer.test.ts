// The training loop in-process: no tensor leak from step to step, records as the run store defines
// them, and a checkpoint restore that reproduces the uninterrupted trajectory bit for bit.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { createTrainingState, train } from '../../../src/engine/trainer';
import type { MetricRecord } from '../../../src/protocol/records';
import { loadSpecText } from '../../../src/spec';
import type { ExperimentSpec } from '../../../src/spec/types';
import { wasmDir } from '../../helpers/backend';
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

const cnnSpec = spec({
  data: { dataset: 'synthetic-images', trainSize: 96, testSize: 32 },
  model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
  optimizer: { type: 'adam', lr: 0.001 },
  regularization: { type: 'weightDecay', coefficient: 0.01 },
  training: { epochs: 2, batchSize: 32, logEverySteps: 2, testBatchSize: 32 },
});

describe('training loop', () => {
  before(async () => {
    await initBackend('wasm', { wasmDir: wasmDir() });
  });

  test('the live tensor count is constant from step to step (ResNet20-BN, AdamW, wasm)', async () => {
    const data = await loadDataset(cnnSpec.data);
    const state = createTrainingState(cnnSpec, data);
    const { events, tensors, records } = recorder();
    const out = await train(cnnSpec, data, state, events, {
      checkpointDir: scratchCheckpointDir('wdlab-tr-'),
      resume: false,
    });
    assert.equal(out.status, 'completed');
    assert.equal(tensors.length, 6);
    // Optimizer slots may be created by the first step; from then on nothing may accumulate.
    assert.equal(new Set(tensors.slice(1)).size, 1, `live tensors after each step: ${tensors.join(', ')}`);
    assert.ok(records.every((r) => Object.values(r).every(Number.isFinite)));
    state.model.dispose();
    state.optimizer.dispose();
  });

  test('every metric on, at every step: constant live tensors, the documented keys, finite values', async () => {
    const s = spec({
      data: { dataset: 'synthetic-vectors', trainSize: 128, testSize: 48 },
      model: { arch: 'mlp', hidden: [16, 16], batchNorm: true },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
      regularization: { type: 'weightDecay', coefficient: 0.01, apply: 'all' },
      training: { epochs: 2, batchSize: 32, logEverySteps: 3 },
      metrics: {
        everySteps: 1,
        jacobian: 'projection',
        jacobianProjections: 2,
        jacobianBatch: 32,
        trainEvalSize: 64,
      },
    });
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const { events, tensors, records } = recorder();
    const out = await train(s, data, state, events, {
      checkpointDir: scratchCheckpointDir('wdlab-tr-'),
      resume: false,
    });
    assert.equal(out.status, 'completed');
    assert.equal(new Set(tensors.slice(1)).size, 1, `live tensors after each step: ${tensors.join(', ')}`);
    // everySteps 1: a record after every step (logEverySteps 3 notwithstanding), each with every metric.
    assert.deepEqual(
      records.map((r) => r.step),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    const keys = (r: MetricRecord) => Object.keys(r).sort();
    const extra = ['jacobianNorm', 'gnNorm', 'trainEval/loss', 'trainEval/accuracy', 'generalizationGap'];
    const perLayer = (prefix: string, layers: string[]) => layers.map((l) => `${prefix}/${l}`);
    for (const r of records) {
      for (const k of [
        ...extra,
        'test/loss',
        'time/metrics',
        'time/train',
        ...perLayer('weightNorm', ['fc1', 'fc2', 'fc']),
      ])
        assert.ok(k in r, `${k} at step ${r.step}`);
      // BN layers: effective LR and the equilibrium prediction; the classifier has neither.
      for (const k of [
        ...perLayer('effectiveLr', ['fc1', 'fc2']),
        ...perLayer('theory/angularUpdate', ['fc1', 'fc2']),
      ])
        assert.ok(k in r, `${k} at step ${r.step}`);
      assert.ok(!('effectiveLr/fc' in r) && !('theory/angularUpdate/fc' in r));
      assert.equal(r['theory/angularUpdate/fc1'], Math.sqrt((2 * 0.1 * 0.01) / 1.9));
      assert.ok(Math.abs(r.generalizationGap - (r['test/loss'] - r['trainEval/loss'])) < 1e-12);
      assert.ok(Object.values(r).every(Number.isFinite), `finite at ${r.step}`);
    }
    // The angular update needs a step: every layer has one in every record but the initial one.
    assert.ok(!keys(records[0]).some((k) => k.startsWith('angularUpdate/')));
    for (const r of records.slice(1))
      for (const k of perLayer('angularUpdate', ['fc1', 'fc2', 'fc'])) assert.ok(r[k] > 0, k);
    state.model.dispose();
    state.optimizer.dispose();
  });

  test('metrics off where asked: no Jacobian, no GN, no train evaluation; Adam reports effectiveLrAdam', async () => {
    const s = spec({
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 32 },
      model: { arch: 'mlp', hidden: [8], batchNorm: true },
      optimizer: { type: 'adam', lr: 0.01 },
      regularization: { type: 'l2', coefficient: 0.01 },
      training: { epochs: 1, batchSize: 32, logEverySteps: 1 },
      metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 0 },
    });
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const { events, records } = recorder();
    await train(s, data, state, events, {
      checkpointDir: scratchCheckpointDir('wdlab-tr-'),
      resume: false,
    });
    const last = records.at(-1)!;
    for (const k of ['jacobianNorm', 'gnNorm', 'trainEval/loss', 'generalizationGap', 'effectiveLr/fc1'])
      assert.ok(!(k in last), k);
    // Adam + L2 has no equilibrium prediction; the effective step is lr / ||w|| (first power).
    assert.ok(!Object.keys(last).some((k) => k.startsWith('theory/')));
    assert.ok(Math.abs(last['effectiveLrAdam/fc1'] - last.lr / last['weightNorm/fc1']) < 1e-15);
    assert.ok('test/loss' in last && 'angularUpdate/fc1' in last);
    state.model.dispose();
    state.optimizer.dispose();
  });

  test('a restored checkpoint continues exactly like the uninterrupted run', async () => {
    const s = spec({
      data: { dataset: 'synthetic-vectors', trainSize: 200, testSize: 64 },
      model: { arch: 'mlp', hidden: [16, 16], batchNorm: true },
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
      regularization: { type: 'l2', coefficient: 0.001, apply: 'conv' },
      schedule: { type: 'step', factor: 0.5, everySteps: 5 },
      training: { epochs: 3, batchSize: 32, logEverySteps: 1 },
      // Seeded projections every 4 steps: the resumed run must draw exactly the same ones.
      metrics: { everySteps: 4, jacobian: 'projection', jacobianProjections: 2, jacobianBatch: 16 },
    });
    const data = await loadDataset(s.data);
    const dir = () => scratchCheckpointDir('wdlab-tr-');

    const whole = recorder();
    const a = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, a, whole.events, { checkpointDir: dir(), resume: false })).status,
      'completed',
    );

    const checkpointDir = dir();
    const first = recorder(9);
    const b = createTrainingState(s, data);
    const stopped = await train(s, data, b, first.events, { checkpointDir, resume: false });
    assert.equal(stopped.status, 'cancelled');
    assert.equal(stopped.progress.step, 9);
    b.model.dispose();
    b.optimizer.dispose();

    // A fresh process would build a fresh model (other initial weights if the seed differed) and restore.
    const second = recorder();
    const c = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, c, second.events, { checkpointDir, resume: true })).status,
      'completed',
    );

    // Wall-clock fields (time, time/train, time/metrics) differ between runs; everything else is exact.
    const strip = (r: MetricRecord) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => !/^time\b/.test(k)));
    assert.deepEqual([...first.records, ...second.records].map(strip), whole.records.map(strip));
    // 7 steps per epoch (200 / 32, last batch kept), 3 epochs, a record per step plus the initial one.
    assert.equal(whole.records.length, 22);
    assert.equal(whole.records.at(-1)!.step, 21);
    assert.equal(whole.records.at(-1)!.epoch, 3);
    // The step schedule halves the learning rate every 5 steps: lr of the update that ended at step 21.
    assert.equal(whole.records.at(-1)!.lr, 0.05 * 0.5 ** 4);
  });
});
