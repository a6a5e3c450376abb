// E-KFAC (docs/science.md section 8) against an independent dense reference: per-example gradients taken
// one example at a time by tfjs's autodiff on the model's own forward (not through K-FAC's taps, patches or
// factors), the exact sampled Fisher / Gauss-Newton block F = E_n[vec g_n vec g_nᵀ] of each layer built
// densely, and its diagonal in the K-FAC eigenbasis: E-KFAC's corrected eigenvalues must equal it and its
// preconditioner must be (Q diag(diag(QᵀFQ)) Qᵀ + λI)⁻¹. Then E-KFAC in the training loop: it trains, logs
// its effective damping, leaks nothing, and a stopped and resumed run continues exactly.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import type { LinearLayer } from '../../../src/engine/models/model';
import { EkfacOptimizer } from '../../../src/engine/optimizers';
import { curvatureNoise } from '../../../src/engine/optimizers/kfac/curvature';
import { setEigenWorkerPath } from '../../../src/engine/optimizers/kfac/eigenPool';
import { tf } from '../../../src/engine/tf';
import { createTrainingState, train } from '../../../src/engine/trainer';
import type { MetricRecord } from '../../../src/protocol/records';
import { loadSpecText } from '../../../src/spec';
import type { ExperimentSpec } from '../../../src/spec/types';
import { repoRoot } from '../../helpers/backend';
import { recorder } from '../../helpers/recorder';
import { scratchCheckpointDir } from '../../helpers/scratch';

before(async () => {
  await initBackend('cpu');
  setEigenWorkerPath(join(repoRoot(), 'dist', 'kfacWorker.js'));
});

function spec(over: object): ExperimentSpec {
  const loaded = loadSpecText(JSON.stringify({ name: 'ekfac', ...over }));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.spec!;
}

/** One example's gradient of `loss(logits)` with respect to every layer's [kernel; bias], as [d_A, d_S] rows. */
function perExampleGradients(
  forward: (x: tf.Tensor) => tf.Tensor2D,
  layers: readonly LinearLayer[],
  x: tf.Tensor,
  loss: (logits: tf.Tensor2D) => tf.Scalar,
): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  tf.tidy(() => {
    const vars = layers.flatMap((l) => [l.kernel, l.bias]);
    const { grads } = tf.variableGrads(() => loss(forward(x)), vars);
    for (const layer of layers) {
      const dS = layer.kernel.shape[layer.kernel.shape.length - 1];
      const k = tf.reshape(grads[layer.kernel.name], [-1, dS]);
      out.set(
        layer.name,
        tf.concat([k, tf.reshape(grads[layer.bias.name], [1, dS])], 0).arraySync() as number[][],
      );
    }
  });
  return out;
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const column = (m: number[][], j: number) => m.map((r) => r[j]);

/** diag(QᵀFQ) with F = E_n[vec g_n vec g_nᵀ], Q = Q_A ⊗ Q_S: E_n[(q_Aiᵀ g_n q_Sj)²] in float64. */
function fisherDiagonalInBasis(grads: number[][][], qA: number[][], qS: number[][]): number[][] {
  const dA = qA.length;
  const dS = qS.length;
  const out = Array.from({ length: dA }, () => new Array<number>(dS).fill(0));
  for (const g of grads) {
    // g projected: Q_Aᵀ g Q_S
    const left = Array.from({ length: dA }, (_, i) => {
      const qi = column(qA, i);
      return Array.from({ length: dS }, (_, c) => dot(qi, column(g, c)));
    });
    for (let i = 0; i < dA; i++)
      for (let j = 0; j < dS; j++) out[i][j] += dot(left[i], column(qS, j)) ** 2 / grads.length;
  }
  return out;
}

function maxRelativeError(actual: number[][], expected: number[][]): number {
  const want = expected.flat();
  const scale = Math.max(...want.map(Math.abs));
  return Math.max(...actual.flat().map((v, k) => Math.abs(v - want[k]))) / scale;
}

describe('E-KFAC against the exact Fisher / Gauss-Newton diagonal in the K-FAC eigenbasis', () => {
  for (const [type, arch] of [
    ['ekfac-g', 'mlp'],
    ['ekfac-f', 'mlp'],
    ['ekfac-g', 'conv'],
  ] as const) {
    test(`${type}, ${arch === 'mlp' ? 'dense layers' : 'conv layers (per-example sum over locations)'}`, async () => {
      const s = spec({
        data:
          arch === 'mlp'
            ? { dataset: 'synthetic-vectors', trainSize: 64, testSize: 16 }
            : { dataset: 'synthetic-images', trainSize: 32, testSize: 16 },
        // No BN: the per-example reference takes one example at a time, where batch statistics vanish.
        model:
          arch === 'mlp'
            ? { arch: 'mlp', hidden: [6], batchNorm: false }
            : { arch: 'vgg', depth: 11, width: 0.0625, batchNorm: false },
        optimizer: { type, lr: 0.01, damping: 0.003, statsEvery: 1, inverseEvery: 1 },
        training: { epochs: 1, batchSize: arch === 'mlp' ? 24 : 6 },
      });
      const data = await loadDataset(s.data);
      const state = createTrainingState(s, data);
      const opt = state.optimizer as EkfacOptimizer;
      assert.ok(opt instanceof EkfacOptimizer);
      const n = s.training.batchSize;
      const x = tf.tensor(data.train.x.subarray(0, n * data.inputShape.reduce((a, b) => a * b, 1)), [
        n,
        ...data.inputShape,
      ]);
      // The optimizer's statistics pass at t = 0 draws its noise with this seed (kfac.ts).
      const kind = type === 'ekfac-g' ? 'gaussNewton' : 'fisher';
      const noise = curvatureNoise(
        kind,
        n,
        data.numClasses,
        (s.training.seed * 1_000_003) % 2_147_483_647,
      ).arraySync() as number[][];
      await opt.updateCurvature(state.model, x);

      const forward = (xi: tf.Tensor) => state.model.forward(xi, true);
      const lossOf = (i: number) => (logits: tf.Tensor2D) => {
        if (kind === 'gaussNewton') return tf.sum(tf.mul(logits, tf.tensor2d([noise[i]]))) as tf.Scalar;
        // K-FAC-F's target: the first class whose cumulative softmax exceeds the example's uniform.
        const p = tf.softmax(logits).arraySync()[0];
        let cum = 0;
        let y = p.length - 1;
        for (let c = 0; c < p.length; c++) {
          cum += p[c];
          if (cum > noise[i][0]) {
            y = c;
            break;
          }
        }
        return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot([y], p.length)))) as tf.Scalar;
      };
      const perExample = Array.from({ length: n }, (_, i) => {
        const xi = tf.slice(x, [i], [1]);
        const g = perExampleGradients(forward, state.model.layers, xi, lossOf(i));
        xi.dispose();
        return g;
      });
      for (const layer of state.model.layers) {
        const grads = perExample.map((g) => g.get(layer.name)!);
        const basis = opt.eigenbasisOf(layer.name);
        const qA = basis.qA.arraySync();
        const qS = basis.qS.arraySync();
        tf.dispose([basis.qA, basis.qS]);
        const expected = fisherDiagonalInBasis(grads, qA, qS);
        const s1 = opt.correctedEigenvaluesOf(layer.name);
        const actual = s1.arraySync();
        s1.dispose();
        const err = maxRelativeError(actual, expected);
        assert.ok(
          err < 2e-4,
          `${layer.name}: corrected eigenvalues off the dense diagonal by ${err.toExponential(2)}`,
        );

        // The preconditioner on a random matrix G: Q_A [(Q_Aᵀ G Q_S) ./ (diag + λ)] Q_Sᵀ from the dense diagonal.
        const dA = qA.length;
        const dS = qS.length;
        const G = tf.randomNormal([dA, dS], 0, 1, 'float32', 7) as tf.Tensor2D;
        const g = G.arraySync();
        const gqS = g.map((r) => qS[0].map((_, j) => dot(r, column(qS, j))));
        const projected = qA[0].map((_, i) => qS[0].map((_, j) => dot(column(qA, i), column(gqS, j))));
        const damping = (s.optimizer as { damping: number }).damping;
        const scaled = projected.map((r, i) => r.map((v, j) => v / (expected[i][j] + damping)));
        const scaledQsT = scaled.map((r) => qS.map((qsRow) => dot(r, qsRow)));
        const want = qA.map((qaRow) => qS.map((_, c) => dot(qaRow, column(scaledQsT, c))));
        const U = opt.precondition(layer.name, G);
        const got = U.arraySync();
        tf.dispose([G, U]);
        const perr = maxRelativeError(got, want);
        assert.ok(
          perr < 2e-4,
          `${layer.name}: preconditioned step off the dense one by ${perr.toExponential(2)}`,
        );
      }
      x.dispose();
      state.optimizer.dispose();
      state.model.dispose();
    });
  }
});

describe('E-KFAC in the training loop', () => {
  const base = {
    data: { dataset: 'synthetic-vectors', trainSize: 128, testSize: 32 },
    model: { arch: 'mlp', hidden: [16], batchNorm: true },
    optimizer: { type: 'ekfac-f', lr: 0.01, statsEvery: 2, inverseEvery: 4, klClip: 0.01 },
    regularization: { type: 'weightDecay', coefficient: 1e-3 },
    training: { epochs: 3, batchSize: 32, logEverySteps: 1 },
    metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 0 },
  };

  async function run(s: ExperimentSpec, dir: string, resume: boolean, stopAfter = Number.POSITIVE_INFINITY) {
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const rec = recorder(stopAfter);
    const result = await train(s, data, state, rec.events, { checkpointDir: dir, resume });
    state.optimizer.dispose();
    state.model.dispose();
    return { result, records: rec.records, tensors: rec.tensors };
  }

  test('trains, logs effective damping from its corrected eigenvalues, holds no extra tensors step to step', async () => {
    const { result, records, tensors } = await run(spec(base), scratchCheckpointDir('wdlab-ekfac-'), false);
    assert.equal(result.status, 'completed');
    const last = records.at(-1)!;
    assert.ok(last['train/loss'] < records[0]['test/loss'], 'the loss fell');
    for (const layer of ['fc1', 'fc']) {
      const rho = last[`effectiveDamping/${layer}`];
      assert.ok(rho > 0 && Number.isFinite(rho), `effectiveDamping/${layer} = ${rho}`);
      assert.ok(
        Math.abs(rho * last[`curvatureScale/${layer}`] - 0.001) < 1e-9,
        'ρ = λ_d / curvatureScale (default damping 1e-3)',
      );
    }
    assert.ok(last['kfac/klClip'] > 0 && last['kfac/klClip'] <= 1);
    // Past the first steps (factors, bases and corrections created) the live tensor count is flat.
    assert.equal(new Set(tensors.slice(4)).size, 1, `live tensors per step: ${tensors.join(',')}`);
  });

  test('a run stopped mid-way and resumed continues exactly as the uninterrupted run', async () => {
    const s = spec(base);
    const full = await run(s, scratchCheckpointDir('wdlab-ekfac-full-'), false);
    const dir = scratchCheckpointDir('wdlab-ekfac-resume-');
    const first = await run(s, dir, false, 7);
    assert.equal(first.result.status, 'cancelled');
    const second = await run(s, dir, true);
    assert.equal(second.result.status, 'completed');
    const strip = (r: MetricRecord) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time')));
    const resumed = [...first.records, ...second.records].map(strip);
    const uninterrupted = full.records.map(strip);
    const byStep = new Map(resumed.map((r) => [r.step, r]));
    for (const r of uninterrupted) assert.deepEqual(byStep.get(r.step), r, `step ${r.step}`);
  });
});
