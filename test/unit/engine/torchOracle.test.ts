// The engine against an independent reference in another framework: test/oracle/torch_reference.py, a
// PyTorch implementation written from the paper's definitions (section 2's update rules, section 4's
// norms), fed the engine's own initial weights, batch and BN moving averages. One step of SGD (L2 and
// weight decay), Adam + L2 and AdamW on an MLP with BN without gamma/beta, and the Jacobian and
// Gauss-Newton norms (PyTorch's forward-mode AD for J_theta theta: exact, where the engine uses a
// Richardson-extrapolated difference). CI installs PyTorch and sets WDLAB_REQUIRE_TORCH=1; elsewhere the
// test skips when no python3 imports torch, saying so.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { gaussNewtonNorm } from '../../../src/engine/metrics/gaussNewton';
import { jacobianNormExact } from '../../../src/engine/metrics/jacobian';
import { read } from '../../../src/engine/read';
import { tf } from '../../../src/engine/tf';
import { createTrainingState, releaseTrainingState, trainStep } from '../../../src/engine/trainer';
import { loadSpecText } from '../../../src/spec';
import { repoRoot } from '../../helpers/backend';
import { relativeError } from '../../helpers/compare';
import { scratchDir } from '../../helpers/scratch';

const python = 'python3';
let unavailable: string | undefined;

const cases = [
  { label: 'SGD + momentum + L2', optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 }, reg: 'l2' },
  {
    label: 'SGD + momentum + weight decay',
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
    reg: 'weightDecay',
  },
  { label: 'Adam + L2', optimizer: { type: 'adam', lr: 1e-3 }, reg: 'l2' },
  { label: 'AdamW', optimizer: { type: 'adam', lr: 1e-3 }, reg: 'weightDecay' },
] as const;

describe('the engine against a PyTorch reference (test/oracle/torch_reference.py)', () => {
  before(async () => {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      unavailable = `no ${python} with torch (pip install torch): ${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)}`;
      assert.ok(process.env.WDLAB_REQUIRE_TORCH !== '1', `WDLAB_REQUIRE_TORCH is set but ${unavailable}`);
    }
    await initBackend('cpu');
  });

  for (const c of cases) {
    test(`one step: ${c.label}; jacobianNorm and gnNorm at the initial weights`, async (t) => {
      if (unavailable) return t.skip(unavailable);
      const { spec } = loadSpecText(
        JSON.stringify({
          name: 'torch',
          data: { dataset: 'synthetic-vectors', trainSize: 32, testSize: 16 },
          model: { arch: 'mlp', hidden: [16, 12], batchNorm: true },
          optimizer: c.optimizer,
          regularization: { type: c.reg, coefficient: 0.05, apply: 'all' },
          training: { batchSize: 32 },
        }),
      );
      const data = await loadDataset(spec!.data);
      const state = createTrainingState(spec!, data);
      try {
        const features = data.inputShape[0];
        const xData = data.train.x.subarray(0, 32 * features);
        const yData = data.train.y.subarray(0, 32);
        const moving = state.model.stateVariables();
        const layers = [];
        for (const [i, layer] of state.model.layers.entries()) {
          const kernel = await read(layer.kernel);
          const [rows, cols] = layer.kernel.shape;
          const mean = moving.get(`${layer.name}.bn.movingMean`);
          layers.push({
            kernel: Array.from({ length: rows }, (_, r) =>
              Array.from(kernel.subarray(r * cols, (r + 1) * cols)),
            ),
            bias: Array.from(await read(layer.bias)),
            bn: !layer.isLast,
            ...(mean
              ? {
                  movingMean: Array.from(await read(mean)),
                  movingVariance: Array.from(await read(moving.get(`${layer.name}.bn.movingVariance`)!)),
                }
              : {}),
          });
          assert.equal(Boolean(mean), !layer.isLast, `BN after ${layer.name} (${i})`);
        }
        const x = tf.tensor2d(xData, [32, features]);
        // The engine's metrics at the initial weights, on the same inputs.
        const jacobianNorm = await jacobianNormExact(state.model, x);
        const gnNorm = await gaussNewtonNorm(state.model, x);
        const dir = scratchDir('wdlab-torch-');
        const input = join(dir, 'in.json');
        const output = join(dir, 'out.json');
        writeFileSync(
          input,
          JSON.stringify({
            layers,
            x: Array.from({ length: 32 }, (_, r) =>
              Array.from(xData.subarray(r * features, (r + 1) * features)),
            ),
            y: Array.from(yData),
            optimizer: spec!.optimizer,
            regularization: spec!.regularization,
            lr: spec!.optimizer.lr,
          }),
        );
        execFileSync(python, [join(repoRoot(), 'test', 'oracle', 'torch_reference.py'), input, output], {
          stdio: 'pipe',
        });
        const ref = JSON.parse(readFileSync(output, 'utf8')) as {
          weights: Record<string, number[][] | number[]>;
          loss: number;
          jacobianNorm: number;
          gnNorm: number;
        };
        const y = tf.tensor1d(yData, 'int32');
        const [loss] = await trainStep(state, x, y, data.numClasses, spec!.optimizer.lr);
        tf.dispose([x, y]);
        assert.ok(Math.abs(loss - ref.loss) < 1e-5 * ref.loss, `loss ${loss} vs PyTorch ${ref.loss}`);
        assert.ok(
          Math.abs(jacobianNorm - ref.jacobianNorm) < 1e-4 * ref.jacobianNorm,
          `jacobianNorm ${jacobianNorm} vs ${ref.jacobianNorm}`,
        );
        assert.ok(
          Math.abs(gnNorm - ref.gnNorm) < 1e-3 * ref.gnNorm,
          `gnNorm ${gnNorm} vs ${ref.gnNorm} (forward-mode AD)`,
        );
        // The updates (after - before) are compared, not the weights: a step is small beside the weights.
        const update = (after: ArrayLike<number>, before: number[]) =>
          Float32Array.from(before, (b, j) => after[j] - b);
        for (const [i, layer] of state.model.layers.entries()) {
          const before = layers[i].kernel.flat();
          const refUpdate = update((ref.weights[`k${i}`] as number[][]).flat(), before);
          const gotUpdate = update(await read(layer.kernel), before);
          const err = relativeError(gotUpdate, refUpdate);
          t.diagnostic(`${layer.name}/kernel: relative error of the update ${err.toExponential(2)}`);
          assert.ok(
            err < 1e-4,
            `${layer.name}/kernel update: relative error ${err}; first entries ${gotUpdate.slice(0, 3)} vs ${refUpdate.slice(0, 3)}`,
          );
          // A bias before BN has no true gradient (BN subtracts it): its update is float noise (Adam turns
          // that into a full step of either sign), so only the classifier's bias is compared.
          if (layer.isLast) {
            const b0 = layers[i].bias;
            const errB = relativeError(
              update(await read(layer.bias), b0),
              update(ref.weights[`b${i}`] as number[], b0),
            );
            assert.ok(errB < 1e-4, `${layer.name}/bias update: relative error ${errB}`);
          }
        }
      } finally {
        releaseTrainingState(state);
        state.model.dispose();
      }
    });
  }
});
