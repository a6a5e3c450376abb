// The metric registry against what trainers really write: every key of real records is registered, and
// every registered metric is written by some run (no dead entries), so the UI's sections and help, the
// README's table and `wdlab metrics` describe exactly what lands in metrics.jsonl.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { setEigenWorkerPath } from '../../../src/engine/optimizers/kfac/eigenPool';
import { createTrainingState, train } from '../../../src/engine/trainer';
import { AXIS_KEYS, METRICS, metricKey, parseMetricKey, theoryKey } from '../../../src/protocol/metrics';
import { loadSpecText } from '../../../src/spec';
import { repoRoot } from '../../helpers/backend';
import { recorder } from '../../helpers/recorder';
import { scratchCheckpointDir } from '../../helpers/scratch';

before(async () => {
  await initBackend('cpu');
  setEigenWorkerPath(join(repoRoot(), 'dist', 'kfacWorker.js'));
});

/** Every key of every record of a 2-epoch run of `over` on a BN MLP with every measurement on. */
async function keysOf(over: object): Promise<Set<string>> {
  const loaded = loadSpecText(
    JSON.stringify({
      name: 'registry',
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 32 },
      model: { arch: 'mlp', hidden: [8], batchNorm: true },
      training: { epochs: 2, batchSize: 32, logEverySteps: 1 },
      metrics: { jacobian: 'exact', gaussNewton: true, trainEvalSize: 32, jacobianBatch: 8 },
      ...over,
    }),
  );
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const spec = loaded.spec!;
  const data = await loadDataset(spec.data);
  const state = createTrainingState(spec, data);
  const { events, records } = recorder();
  const dir = scratchCheckpointDir('wdlab-registry-');
  assert.equal(
    (await train(spec, data, state, events, { checkpointDir: dir, resume: false })).status,
    'completed',
  );
  state.optimizer.dispose();
  state.model.dispose();
  return new Set(records.flatMap((r) => Object.keys(r)).filter((k) => !AXIS_KEYS.has(k)));
}

describe('the metric registry', () => {
  test('every key that SGD, Adam, AdamW, K-FAC-F/G and E-KFAC runs write is registered, and every entry is written', async () => {
    const wd = { type: 'weightDecay', coefficient: 5e-4 };
    const runs = [
      { optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 }, regularization: wd },
      { optimizer: { type: 'adam', lr: 1e-3 }, regularization: { type: 'l2', coefficient: 5e-4 } },
      { optimizer: { type: 'adam', lr: 1e-3 }, regularization: wd },
      { optimizer: { type: 'kfac-f', lr: 0.01, klClip: 0.001, statsEvery: 1, inverseEvery: 1 } },
      {
        optimizer: {
          type: 'kfac-g',
          lr: 0.01,
          statsEvery: 1,
          inverseEvery: 1,
          inverseMethod: 'newtonSchulz',
        },
        regularization: wd,
      },
      { optimizer: { type: 'ekfac-f', lr: 0.01, statsEvery: 1, inverseEvery: 2 }, regularization: wd },
    ];
    const written = new Set<string>();
    for (const over of runs) for (const k of await keysOf(over)) written.add(k);
    const unregistered = [...written].filter((k) => parseMetricKey(k) === undefined);
    assert.deepEqual(unregistered, [], 'keys written by a trainer but not in src/protocol/metrics.ts');
    const stems = new Set([...written].map((k) => parseMetricKey(k)!.def.stem));
    // normTransfer is written only with a reference run (test/unit/engine/normTransfer.test.ts checks it).
    const neverWritten = METRICS.map((d) => d.stem).filter((s) => !stems.has(s));
    assert.deepEqual(neverWritten, ['normTransfer'], 'registered metrics that no run wrote');
    assert.ok(
      written.has(theoryKey('angularUpdate', 'fc1')),
      'the SGD + WD run draws the equilibrium theory',
    );
  });

  test('keys parse into their entry and layer (regression guard of the key grammar)', () => {
    assert.equal(metricKey('weightNorm', 'stage2.block1.conv2'), 'weightNorm/stage2.block1.conv2');
    assert.deepEqual(
      (({ def, layer, theory }) => [def.stem, layer, theory])(
        parseMetricKey('weightNorm/stage2.block1.conv2')!,
      ),
      ['weightNorm', 'stage2.block1.conv2', false],
    );
    assert.equal(parseMetricKey('theory/angularUpdate/fc1')?.theory, true);
    assert.equal(parseMetricKey('kfac/klClip')?.def.family, 'mechanism3');
    for (const unknown of ['weightNorm', 'test/loss/fc1', 'theory/weightNorm/fc1', 'bogus', 'kfac/other'])
      assert.equal(parseMetricKey(unknown), undefined, unknown);
  });
});
