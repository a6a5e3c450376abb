// The real-dataset loaders feeding the training loop: one epoch on small generated CIFAR-10 and MNIST
// folders, through the same loadDataset path the trainer process takes (a relative data.path resolved
// against the spec's folder), with augmentation on the CIFAR run.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { createTrainingState, type TrainerEvents, train } from '../../../src/engine/trainer';
import type { MetricRecord } from '../../../src/protocol/records';
import { loadSpecText } from '../../../src/spec';
import type { ExperimentSpec } from '../../../src/spec/types';
import { wasmDir } from '../../helpers/backend';
import { tempDir, writeCifar10, writeIdxDataset } from '../../helpers/datasetFiles';

function spec(over: object): ExperimentSpec {
  const loaded = loadSpecText(JSON.stringify({ name: 't', ...over }));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.spec!;
}

async function trainOneEpoch(s: ExperimentSpec, specFolder: string) {
  const data = await loadDataset(s.data, { baseDir: specFolder });
  const state = createTrainingState(s, data);
  const records: MetricRecord[] = [];
  let steps = 0;
  const events: TrainerEvents = {
    record: (r) => records.push(r),
    progress: () => {},
    checkpoint: () => {},
    stopRequested: () => false,
    afterStep: () => {
      steps += 1;
    },
  };
  const out = await train(s, data, state, events, {
    checkpointDir: join(tempDir('wdlab-ckpt-'), 'checkpoint'),
    resume: false,
  });
  state.model.dispose();
  state.optimizer.dispose();
  return { data, out, records, steps };
}

describe('training on real-format data', () => {
  before(async () => {
    await initBackend('wasm', { wasmDir: wasmDir() });
  });

  test('CIFAR-10 folder: a BN VGG11 trains one epoch with augmentation, and is evaluated on the test files', async () => {
    const specFolder = tempDir('wdlab-c10-train-');
    writeCifar10(join(specFolder, 'data'), 13, 16);
    const s = spec({
      data: { dataset: 'cifar10', trainSize: 64, testSize: 16, augment: true, path: './data' },
      model: { arch: 'vgg', depth: 11, width: 0.0625, batchNorm: true, batchNormMomentum: 0.9 },
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
      regularization: { type: 'weightDecay', coefficient: 5e-4 },
      training: { epochs: 1, batchSize: 32, logEverySteps: 1, testBatchSize: 16 },
      metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 16 },
    });
    const { data, out, records, steps } = await trainOneEpoch(s, specFolder);
    assert.equal(data.name, 'cifar10');
    assert.equal(data.isImage, true);
    assert.deepEqual(data.inputShape, [32, 32, 3]);
    assert.equal(out.status, 'completed');
    assert.equal(steps, 2);
    const last = records[records.length - 1];
    assert.equal(last.step, 2);
    assert.equal(last.epoch, 1);
    for (const key of ['train/loss', 'test/loss', 'test/accuracy', 'trainEval/accuracy']) {
      assert.ok(Number.isFinite(last[key]), `${key} = ${last[key]}`);
    }
    // 16 test examples: the accuracy is a multiple of 1/16.
    assert.equal(Math.round(last['test/accuracy'] * 16), last['test/accuracy'] * 16);
  });

  test('MNIST .gz folder: a ResNet20 takes the [28, 28, 1] images for one epoch', async () => {
    const specFolder = tempDir('wdlab-mnist-train-');
    writeIdxDataset(specFolder, 'mnist', 48, 16, true);
    const s = spec({
      data: { dataset: 'mnist', trainSize: 48, testSize: 16, path: '.' },
      model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true, batchNormMomentum: 0.9 },
      optimizer: { type: 'adam', lr: 0.001 },
      training: { epochs: 1, batchSize: 16, logEverySteps: 1, testBatchSize: 16 },
      metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 16 },
    });
    const { data, out, records, steps } = await trainOneEpoch(s, specFolder);
    assert.deepEqual(data.inputShape, [28, 28, 1]);
    assert.equal(out.status, 'completed');
    assert.equal(steps, 3);
    const last = records[records.length - 1];
    assert.ok(Number.isFinite(last['test/loss']));
    assert.ok(last['test/accuracy'] >= 0 && last['test/accuracy'] <= 1);
  });
});
