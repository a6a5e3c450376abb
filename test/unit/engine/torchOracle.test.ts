// The engine against an independent reference in another framework: test/oracle/torch_reference.py, a
// PyTorch implementation written from the paper's definitions (section 2's update rules, section 4's
// norms), fed the engine's own initial weights, batch, BN moving averages and K-FAC's sampling noise. One
// step of SGD (L2 and weight decay), Adam + L2, AdamW, and K-FAC-F/G (factored and eigen damping, L2 and
// weight decay, KL clip) on an MLP with BN without gamma/beta, and the Jacobian and
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
import { angularUpdates } from '../../../src/engine/metrics/angularUpdate';
import { gaussNewtonNorm } from '../../../src/engine/metrics/gaussNewton';
import { jacobianNormExact } from '../../../src/engine/metrics/jacobian';
import { kfacGaussNewtonNorm } from '../../../src/engine/metrics/kfacGaussNewton';
import { curvatureNoise } from '../../../src/engine/optimizers/kfac/curvature';
import { read } from '../../../src/engine/read';
import { tf } from '../../../src/engine/tf';
import { createTrainingState, releaseTrainingState, trainStep } from '../../../src/engine/trainer';
import { loadSpecText } from '../../../src/spec';
import { repoRoot } from '../../helpers/backend';
import { relativeError } from '../../helpers/compare';
import { scratchDir } from '../../helpers/scratch';

const python = 'python3';
let unavailable: string | undefined;

const kfac = { lr: 0.05, momentum: 0.9, damping: 0.01, statsEvery: 1, inverseEvery: 1 };
const cases: {
  label: string;
  optimizer: Record<string, unknown> & { type: string };
  reg: string;
  tolerance: number;
}[] = [
  {
    label: 'SGD + momentum + L2',
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
    reg: 'l2',
    tolerance: 1e-4,
  },
  {
    label: 'SGD + momentum + weight decay',
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
    reg: 'weightDecay',
    tolerance: 1e-4,
  },
  { label: 'Adam + L2', optimizer: { type: 'adam', lr: 1e-3 }, reg: 'l2', tolerance: 1e-4 },
  { label: 'AdamW', optimizer: { type: 'adam', lr: 1e-3 }, reg: 'weightDecay', tolerance: 1e-4 },
  // K-FAC: its first step (the statistics replace the zero factors, inverses at once), float64 in PyTorch.
  {
    label: 'K-FAC-F, factored damping, L2, KL clip',
    optimizer: { type: 'kfac-f', ...kfac, dampingScheme: 'factored', klClip: 1e-4 },
    reg: 'l2',
    tolerance: 1e-3,
  },
  {
    label: 'K-FAC-G, factored damping, weight decay',
    optimizer: { type: 'kfac-g', ...kfac, dampingScheme: 'factored' },
    reg: 'weightDecay',
    tolerance: 1e-3,
  },
  {
    label: 'K-FAC-F, eigen damping, weight decay',
    optimizer: { type: 'kfac-f', ...kfac, dampingScheme: 'eigen' },
    reg: 'weightDecay',
    tolerance: 1e-3,
  },
  {
    label: 'K-FAC-G, eigen damping, L2, KL clip',
    optimizer: { type: 'kfac-g', ...kfac, dampingScheme: 'eigen', klClip: 1e-3 },
    reg: 'l2',
    tolerance: 1e-3,
  },
];

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
        const layers: {
          kernel: number[][];
          bias: number[];
          bn: boolean;
          movingMean?: number[];
          movingVariance?: number[];
        }[] = [];
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
        const kfacGnNorm = await kfacGaussNewtonNorm(state.model, x, data.numClasses);
        const kernelsBefore = state.model.layers.map((l) => tf.keep(tf.clone(l.kernel)));
        const dir = scratchDir('wdlab-torch-');
        const input = join(dir, 'in.json');
        const output = join(dir, 'out.json');
        // K-FAC: the sampling noise of the step's statistics pass, drawn as the optimizer draws it
        // (kfac.ts: seed = training seed * 1000003 + 131 t + batch, at t = 0).
        const kind = c.optimizer.type === 'kfac-g' ? 'gaussNewton' : 'fisher';
        const noise = c.optimizer.type.startsWith('kfac')
          ? (curvatureNoise(
              kind,
              32,
              data.numClasses,
              (spec!.training.seed * 1_000_003) % 2_147_483_647,
            ).arraySync() as number[][])
          : undefined;
        writeFileSync(
          input,
          JSON.stringify({
            noise,
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
          kfacGnNorm: number;
          klClip?: number;
          [effectiveDamping: `effectiveDamping${number}`]: number;
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
        assert.ok(
          Math.abs(kfacGnNorm - ref.kfacGnNorm) < 1e-4 * ref.kfacGnNorm,
          `kfacGnNorm ${kfacGnNorm} vs ${ref.kfacGnNorm}`,
        );
        // angularUpdate: the engine's measure of the step it took, against the angle of PyTorch's step in float64.
        const angles = await angularUpdates(
          kernelsBefore,
          state.model.layers.map((l) => l.kernel),
        );
        tf.dispose(kernelsBefore);
        state.model.layers.forEach((_, i) => {
          const a = layers[i].kernel.flat();
          const b = (ref.weights[`k${i}`] as number[][]).flat();
          const dot = a.reduce((s, v, j) => s + v * b[j], 0);
          const norm = (v: number[]) => Math.sqrt(v.reduce((s, w) => s + w * w, 0));
          const angle = Math.acos(Math.min(1, dot / (norm(a) * norm(b))));
          assert.ok(
            Math.abs(angles[i] - angle) < 1e-3 * angle + 1e-7,
            `angularUpdate ${i}: ${angles[i]} vs ${angle}`,
          );
        });
        if (c.optimizer.type.startsWith('kfac')) {
          const m = await state.optimizer.metrics!();
          state.model.layers.forEach((layer, i) => {
            const want = ref[`effectiveDamping${i}`];
            const got = m[`effectiveDamping/${layer.name}`];
            assert.ok(Math.abs(got - want) < 1e-4 * want, `effectiveDamping/${layer.name} ${got} vs ${want}`);
          });
        }
        if (c.optimizer.klClip !== undefined) {
          // The clip acts (nu < 1) and the engine's nu is the reference's.
          const nu = (await state.optimizer.metrics!())['kfac/klClip'];
          assert.ok(ref.klClip! < 1, `the KL clip is active: nu = ${ref.klClip}`);
          assert.ok(Math.abs(nu - ref.klClip!) < c.tolerance * ref.klClip!, `nu ${nu} vs ${ref.klClip}`);
        }
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
            err < c.tolerance,
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
            assert.ok(errB < c.tolerance, `${layer.name}/bias update: relative error ${errB}`);
          }
        }
      } finally {
        releaseTrainingState(state);
        state.model.dispose();
      }
    });
  }
});
