// The paper's wn-conv (engine/normTransfer.ts): rescaling a BN layer's kernel to a target norm leaves the
// network's function unchanged in training mode (scale invariance, docs/science.md section 7 item 1) AND in
// evaluation mode (the moving statistics are rescaled with it), the targets are read from the reference
// run's epoch-end records, and a reference that does not cover the run is an error that says why.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/build';
import { normTargetsFrom, rescaleToNorms } from '../../../src/engine/normTransfer';
import { tf } from '../../../src/engine/tf';
import type { MetricRecord } from '../../../src/protocol/records';
import type { ModelSpec } from '../../../src/spec/types';

const mlp: ModelSpec = {
  arch: 'mlp',
  depth: 0,
  width: 1,
  batchNorm: true,
  batchNormMomentum: 0.5,
  hidden: [12, 8],
};

before(async () => {
  await initBackend('cpu');
});

const norm = (t: tf.Tensor): number => tf.tidy(() => tf.sqrt(tf.sum(tf.square(t))).dataSync()[0]);

describe('rescaling to a target norm (wn-conv)', () => {
  test('kernels take the target norms; train- and eval-mode logits are unchanged', async () => {
    const model = buildModel(mlp, [5], 3, 7);
    try {
      const x = tf.randomNormal([32, 5], 0, 1, 'float32', 3);
      // Non-trivial moving statistics and biases, so that the eval-mode check means something.
      // Kernels x10 first: variances ~100x larger make BN's eps negligible (invariance is exact up to eps).
      for (const l of model.layers) {
        l.kernel.assign(tf.mul(l.kernel, 10));
        l.bias.assign(tf.randomNormal(l.bias.shape, 0.5, 0.3, 'float32', 11));
      }
      for (let i = 0; i < 4; i++) model.updateBatchNormStats(tf.add(x, i * 0.3));
      const trainBefore = model.forward(x, true).arraySync();
      const evalBefore = model.forward(x, false).arraySync();
      const [fc1, fc2] = model.layers;
      const targets = new Map([
        ['fc1', 3.5 * norm(fc1.kernel)],
        ['fc2', 0.25 * norm(fc2.kernel)],
      ]);
      const fcBefore = Float32Array.from(model.layers[2].kernel.dataSync());
      const factors = await rescaleToNorms(model, targets);
      assert.ok(Math.abs(factors.get('fc1')! - 3.5) < 1e-5, `${factors.get('fc1')}`);
      assert.ok(Math.abs(factors.get('fc2')! - 0.25) < 1e-5);
      assert.ok(Math.abs(norm(fc1.kernel) - targets.get('fc1')!) < 1e-5 * targets.get('fc1')!);
      assert.ok(Math.abs(norm(fc2.kernel) - targets.get('fc2')!) < 1e-5 * targets.get('fc2')!);
      // The classifier (not selected) is untouched.
      assert.deepEqual(Float32Array.from(model.layers[2].kernel.dataSync()), fcBefore);
      // Within 1e-3 of the logits' scale: float32 and the eps that the shrunken fc2 makes felt.
      const scale = Math.max(...trainBefore.flat().map(Math.abs));
      const close = (a: number[][], b: number[][], what: string) => {
        a.forEach((row, i) => {
          row.forEach((v, j) => {
            assert.ok(Math.abs(v - b[i][j]) < 1e-3 * scale, `${what} ${v} vs ${b[i][j]} (scale ${scale})`);
          });
        });
      };
      close(model.forward(x, true).arraySync(), trainBefore, 'train mode');
      close(model.forward(x, false).arraySync(), evalBefore, 'eval mode');
      x.dispose();
    } finally {
      model.dispose();
    }
  });
});

describe('targets from the reference run', () => {
  const layers = buildModel(mlp, [5], 3, 7);
  const rec = (step: number, epoch: number, norms: Record<string, number>): MetricRecord =>
    ({
      step,
      epoch,
      time: 0,
      ...Object.fromEntries(Object.entries(norms).map(([k, v]) => [`weightNorm/${k}`, v])),
    }) as MetricRecord;
  const records = [
    rec(0, 0, { fc1: 1, fc2: 1, fc: 1 }),
    rec(2, 0.5, { fc1: 9, fc2: 9, fc: 9 }),
    rec(4, 1, { fc1: 2, fc2: 3, fc: 4 }),
    rec(8, 2, { fc1: 5, fc2: 6, fc: 7 }),
  ];

  test('whole epochs only, the layers `apply` selects (conv = all but the last)', () => {
    const t = normTargetsFrom(records, layers.layers, 'conv', 2, 'ref');
    assert.deepEqual([...t.keys()], [1, 2]);
    assert.deepEqual(Object.fromEntries(t.get(1)!), { fc1: 2, fc2: 3 });
    assert.deepEqual(Object.fromEntries(t.get(2)!), { fc1: 5, fc2: 6 });
    assert.deepEqual(Object.fromEntries(normTargetsFrom(records, layers.layers, 'fc', 2, 'ref').get(2)!), {
      fc: 7,
    });
  });

  test('a reference that is too short or of another network is an error naming it', () => {
    assert.throws(
      () => normTargetsFrom(records, layers.layers, 'conv', 3, 'runs/ref'),
      /the reference run runs\/ref reaches epoch 2, but this run trains 3 epochs/,
    );
    const other = records.map(
      ({ step, epoch, time }) => ({ step, epoch, time, 'weightNorm/conv1_1': 1 }) as MetricRecord,
    );
    assert.throws(
      () => normTargetsFrom(other, layers.layers, 'conv', 1, 'runs/ref'),
      /the reference run runs\/ref has no weightNorm\/fc1 \(is it a run of the same network\?\)/,
    );
  });
});
