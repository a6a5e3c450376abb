// K-FAC against dense float64 oracles (docs/science.md sections 2, 4-7): the preconditioner equals the dense
// damped Kronecker solve for both damping schemes; one undamped step with exact curvature solves linear
// regression; L2 passes through the preconditioner and weight decay does not; KL clip; the T_cov / T_inv
// schedule and the EMA counted; the probe backprop gives the true pre-activation gradients; sampled K-FAC-F
// and K-FAC-G factors match the exact Fisher / GN blocks in expectation; a BN layer's S scales as alpha^-2;
// conv patches equal a brute-force extraction.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Matrix, solve } from 'ml-matrix';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/build';
import type { Model } from '../../../src/engine/models/model';
import { createOptimizer, KfacOptimizer, type Param } from '../../../src/engine/optimizers';
import { curvatureNoise, logitGradients, sampleLayers } from '../../../src/engine/optimizers/kfac/curvature';
import {
  eigenDenominators,
  factoredInverseSpectra,
  factoredShifts,
  piAdjustment,
} from '../../../src/engine/optimizers/kfac/damping';
import { inputRows, outputRows, secondMoment } from '../../../src/engine/optimizers/kfac/factors';
import { symmetricEigen } from '../../../src/engine/optimizers/kfac/inverse';
import { factorSums } from '../../../src/engine/optimizers/kfac/statistics';
import { tf } from '../../../src/engine/tf';
import type { KfacSpec, ModelSpec, RegularizationSpec } from '../../../src/spec/types';
import { wasmDir } from '../../helpers/backend';

before(async () => {
  await initBackend('cpu');
});

const mlpSpec = (hidden: number[], batchNorm = false): ModelSpec => ({
  arch: 'mlp',
  depth: 0,
  width: 1,
  batchNorm,
  batchNormMomentum: 0.99,
  hidden,
});

const kfacSpec = (over: Partial<KfacSpec> = {}): KfacSpec => ({
  type: 'kfac-f',
  lr: 0.1,
  momentum: 0,
  damping: 0.1,
  statDecay: 0.95,
  statsEvery: 10,
  inverseEvery: 100,
  dampingScheme: 'eigen',
  inverseMethod: 'auto',
  inverseSchedule: 'synchronous',
  initStatsBatches: 0,
  ...over,
});

const none: RegularizationSpec = { type: 'none', coefficient: 0, apply: 'all' };

function paramsOf(model: Model, decay = true): Param[] {
  return model.layers.flatMap((l) =>
    (['kernel', 'bias'] as const).map((part) => ({ name: `${l.name}/${part}`, variable: l[part], decay })),
  );
}

// ---- float64 helpers (the oracle side) ----

/** A deterministic pseudo-random stream (LCG) for test data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** A random SPD matrix B B^T / k + eps I, as rows. */
function spd(n: number, seed: number, eps = 0.05): number[][] {
  const r = rng(seed);
  const B = Array.from({ length: n }, () => Array.from({ length: n + 2 }, () => r()));
  return B.map((bi, i) =>
    B.map((bj, j) => bi.reduce((s, v, k) => s + v * bj[k], 0) / (n + 2) + (i === j ? eps : 0)),
  );
}

const randMat = (rows: number, cols: number, seed: number): number[][] => {
  const r = rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => 2 * r()));
};

const eyeRows = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

const addDiag = (m: number[][], c: number): number[][] =>
  m.map((row, i) => row.map((v, j) => v + (i === j ? c : 0)));
const trace = (m: number[][]): number => m.reduce((s, row, i) => s + row[i], 0);

/**
 * Solves (scale * P (x) Q + damping I) vec(U) = vec(G) densely, with vec(G)[i * dS + j] = G[i][j] (G rows:
 * inputs, columns: outputs), which is the matrix of the block acting as G -> P G Q (docs/science.md section 6).
 */
function denseKroneckerSolve(P: number[][], Q: number[][], G: number[][], scale: number, damping: number) {
  const dA = P.length;
  const dS = Q.length;
  const M = Matrix.zeros(dA * dS, dA * dS);
  for (let i = 0; i < dA; i++)
    for (let j = 0; j < dS; j++)
      for (let k = 0; k < dA; k++)
        for (let l = 0; l < dS; l++)
          M.set(i * dS + j, k * dS + l, scale * P[i][k] * Q[j][l] + (i === k && j === l ? damping : 0));
  const g = Matrix.columnVector(G.flat());
  const u = solve(M, g).to1DArray();
  return Array.from({ length: dA }, (_, i) => u.slice(i * dS, (i + 1) * dS));
}

function assertMatClose(
  actual: ArrayLike<number>,
  expected: number[][] | number[],
  tol: number,
  what: string,
) {
  const e = (expected as (number | number[])[]).flat() as number[];
  assert.equal(actual.length, e.length, `${what}: size`);
  const scale = Math.max(...e.map(Math.abs), 1e-12);
  for (let i = 0; i < e.length; i++) {
    assert.ok(
      Math.abs(actual[i] - e[i]) <= tol * scale,
      `${what}[${i}]: got ${actual[i]}, expected ${e[i]} (tol ${tol} x ${scale})`,
    );
  }
}

/** A single dense layer fc: in -> out (MLP with no hidden layer), with its K-FAC optimizer. */
function singleLayer(inputs: number, outputs: number, spec: KfacSpec, reg: RegularizationSpec = none) {
  const model = buildModel(mlpSpec([]), [inputs], outputs, 3);
  const params = paramsOf(model);
  const opt = createOptimizer(spec, { params, regularization: reg, layers: model.layers, seed: 1 });
  assert.ok(opt instanceof KfacOptimizer);
  return { model, params, opt };
}

describe('factor eigendecomposition and damping (inverse.ts, damping.ts)', () => {
  test('symmetricEigen reconstructs an SPD matrix with orthonormal eigenvectors (float64)', async () => {
    const n = 7;
    const m = spd(n, 5);
    const { values, vectors } = symmetricEigen(m.flat(), n);
    const Q = new Matrix(Array.from({ length: n }, (_, i) => Array.from(vectors.slice(i * n, (i + 1) * n))));
    const recon = Q.mmul(Matrix.diag(Array.from(values))).mmul(Q.transpose());
    assertMatClose(recon.to1DArray(), m, 1e-12, 'Q diag Q^T');
    assertMatClose(Q.transpose().mmul(Q).to1DArray(), eyeRows(n), 1e-12, 'Q^T Q');
    for (let i = 1; i < n; i++) assert.ok(values[i] >= values[i - 1]);
  });

  test('pi = sqrt((tr A/dA)/(tr S/dS)) and the factored denominators', async () => {
    assert.equal(piAdjustment([1, 3], [2, 2, 2, 2]), 1);
    assert.ok(Math.abs(piAdjustment([8, 8], [2]) - 2) < 1e-15);
    assert.equal(piAdjustment([0, 0], [1]), 1);
    // Factored: the Kronecker eigenvalue T (a + pi r)(s + r/pi), here from the two factor spectra's inverses.
    assert.equal(factoredShifts(8, 2, 0.01, 1).pi, 2);
    const { a, s } = factoredInverseSpectra([8, 8], [2], 0.01, 1);
    assert.ok(Math.abs(1 / (a[0] * s[0]) - (8 + 2 * 0.1) * (2 + 0.1 / 2)) < 1e-12);
    const eig = eigenDenominators([1, 2], [3], 0.5, 4);
    assert.deepEqual(Array.from(eig), [4 * 3 + 0.5, 4 * 6 + 0.5]);
  });
});

describe('preconditioning equals the dense damped Kronecker solve (docs/science.md sections 6, 7 item 5)', () => {
  const dIn = 3;
  const dOut = 2;
  const A = spd(dIn + 1, 11);
  const S = spd(dOut, 12);
  const G = randMat(dIn + 1, dOut, 13);
  for (const locations of [1, 4]) {
    test(`eigen: (T A (x) S + lambda I)^-1 g, T = ${locations}`, async () => {
      const lambda = 0.05;
      const { model, opt } = singleLayer(dIn, dOut, kfacSpec({ damping: lambda, dampingScheme: 'eigen' }));
      const k = opt as KfacOptimizer;
      await k.setFactors('fc', tf.tensor2d(A), tf.tensor2d(S), locations);
      const U = k.precondition('fc', tf.tensor2d(G));
      assertMatClose(U.dataSync(), denseKroneckerSolve(A, S, G, locations, lambda), 2e-4, 'U');
      tf.dispose(U);
      opt.dispose();
      model.dispose();
    });

    for (const inverseMethod of ['eigendecomposition', 'newtonSchulz'] as const)
      test(`factored (${inverseMethod}): T (A + pi sqrt(l) I) (x) (S + sqrt(l)/pi I), l = lambda/T, T = ${locations}`, async () => {
        const lambda = 0.05;
        const { model, opt } = singleLayer(
          dIn,
          dOut,
          kfacSpec({ damping: lambda, dampingScheme: 'factored', inverseMethod }),
        );
        const k = opt as KfacOptimizer;
        assert.equal(k.inverseMethod, inverseMethod);
        await k.setFactors('fc', tf.tensor2d(A), tf.tensor2d(S), locations);
        const U = k.precondition('fc', tf.tensor2d(G));
        const pi = Math.sqrt(trace(A) / A.length / (trace(S) / S.length));
        const root = Math.sqrt(lambda / locations);
        const expected = denseKroneckerSolve(addDiag(A, pi * root), addDiag(S, root / pi), G, locations, 0);
        assertMatClose(U.dataSync(), expected, 2e-4, 'U');
        tf.dispose(U);
        opt.dispose();
        model.dispose();
      });
  }
});

/** One step of `opt` on the gradient map of fc given as G [dA, dS] (kernel rows, then the bias row). */
async function stepWith(opt: KfacOptimizer, model: Model, G: number[][], lr: number): Promise<void> {
  const kernel = tf.tensor2d(G.slice(0, -1));
  const bias = tf.tensor1d(G[G.length - 1]);
  await opt.step(
    new Map<string, tf.Tensor>([
      ['fc/kernel', kernel],
      ['fc/bias', bias],
    ]),
    lr,
  );
  tf.dispose([kernel, bias]);
  void model;
}

/** theta of fc as [dA, dS] rows (kernel rows then the bias row). */
function thetaOf(model: Model): number[][] {
  const l = model.layers[0];
  const k = l.kernel.arraySync() as number[][];
  return [...k, l.bias.arraySync() as number[]];
}

describe('K-FAC steps (docs/science.md section 2)', () => {
  test('one undamped step with exact curvature solves linear regression', async () => {
    // Squared error L = 1/(2N) sum ||x_i W + b - y_i||^2 has GN = A (x) I exactly, A = E[[x,1][x,1]^T].
    const N = 32;
    const dIn = 3;
    const dOut = 2;
    const X = randMat(N, dIn, 21);
    const W = randMat(dIn + 1, dOut, 22);
    const noise = randMat(N, dOut, 23);
    const Xh = X.map((r) => [...r, 1]);
    const Y = Xh.map((r, i) =>
      W[0].map((_, j) => r.reduce((s, v, k) => s + v * W[k][j], 0) + 0.1 * noise[i][j]),
    );
    const { model, opt } = singleLayer(dIn, dOut, kfacSpec({ damping: 1e-9, momentum: 0.9, lr: 1 }));
    const k = opt as KfacOptimizer;
    const A = Xh[0].map((_, a) => Xh[0].map((_, b) => Xh.reduce((s, r) => s + r[a] * r[b], 0) / N));
    await k.setFactors('fc', tf.tensor2d(A), tf.eye(dOut));
    const x = tf.tensor2d(X);
    const y = tf.tensor2d(Y);
    const l = model.layers[0];
    const { value, grads } = tf.variableGrads(
      () =>
        tf.div(tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, l.kernel as tf.Tensor2D), l.bias), y))), 2 * N),
      [l.kernel, l.bias],
    );
    await opt.step(
      new Map<string, tf.Tensor>([
        ['fc/kernel', grads[l.kernel.name]],
        ['fc/bias', grads[l.bias.name]],
      ]),
      1,
    );
    // The least-squares solution from the normal equations, float64.
    const XhM = new Matrix(Xh);
    const ls = solve(XhM.transpose().mmul(XhM), XhM.transpose().mmul(new Matrix(Y)));
    assertMatClose(thetaOf(model).flat(), ls.to2DArray(), 1e-4, 'theta after one step');
    tf.dispose([x, y, value, ...Object.values(grads)]);
    opt.dispose();
    model.dispose();
  });

  test('L2 passes through the preconditioner, weight decay does not and stays out of the velocity', async () => {
    const dIn = 2;
    const dOut = 2;
    const A = spd(dIn + 1, 31);
    const S = spd(dOut, 32);
    const G1 = randMat(dIn + 1, dOut, 33);
    const G2 = randMat(dIn + 1, dOut, 34);
    const [lam, lr, mu, damping] = [0.3, 0.1, 0.9, 0.02];
    const solveC = (g: number[][]) => denseKroneckerSolve(A, S, g, 1, damping);
    const axpy = (a: number[][], c: number, b: number[][]) =>
      a.map((r, i) => r.map((v, j) => v + c * b[i][j]));
    for (const type of ['l2', 'weightDecay'] as const) {
      const { model, opt } = singleLayer(dIn, dOut, kfacSpec({ damping, momentum: mu, lr }), {
        type,
        coefficient: lam,
        apply: 'all',
      });
      const k = opt as KfacOptimizer;
      await k.setFactors('fc', tf.tensor2d(A), tf.tensor2d(S));
      let theta = thetaOf(model);
      let v = G1.map((r) => r.map(() => 0));
      for (const G of [G1, G2]) {
        if (type === 'l2') {
          // g += lambda theta, precondition, v = mu v + C^-1 g, theta -= eta v.
          v = axpy(
            v.map((r) => r.map((x) => mu * x)),
            1,
            solveC(axpy(G, lam, theta)),
          );
          theta = axpy(theta, -lr, v);
        } else {
          // v = mu v + C^-1 g, theta -= eta (v + lambda theta).
          v = axpy(
            v.map((r) => r.map((x) => mu * x)),
            1,
            solveC(G),
          );
          theta = axpy(theta, -lr, axpy(v, lam, theta));
        }
        await stepWith(k, model, G, lr);
      }
      assertMatClose(thetaOf(model).flat(), theta, 1e-4, `${type} theta after two steps`);
      opt.dispose();
      model.dispose();
    }
  });

  test('KL clip: nu = min(1, sqrt(klClip / (eta^2 sum g.C^-1 g))), before momentum', async () => {
    const A = spd(3, 41);
    const S = spd(2, 42);
    const G = randMat(3, 2, 43);
    const [lr, damping, klClip] = [0.5, 0.01, 1e-4];
    const U = denseKroneckerSolve(A, S, G, 1, damping);
    const gCg = G.flat().reduce((s, g, i) => s + g * U.flat()[i], 0);
    const nu = Math.min(1, Math.sqrt(klClip / (lr * lr * gCg)));
    assert.ok(nu < 0.5, 'the clip is active in this test');
    const { model, opt } = singleLayer(2, 2, kfacSpec({ damping, momentum: 0.9, lr, klClip }));
    const k = opt as KfacOptimizer;
    await k.setFactors('fc', tf.tensor2d(A), tf.tensor2d(S));
    const theta0 = thetaOf(model);
    await stepWith(k, model, G, lr);
    const expected = theta0.map((r, i) => r.map((t, j) => t - lr * nu * U[i][j]));
    assertMatClose(thetaOf(model).flat(), expected, 1e-4, 'theta');
    assert.ok(Math.abs((await opt.metrics!())['kfac/klClip'] - nu) < 1e-5 * nu);
    opt.dispose();
    model.dispose();
  });
  test('KL clip over two steps with momentum and L2: nu from the L2-augmented gradient, applied before momentum', async () => {
    // Hand reference in float64 (science: the official order): g' = G + lambda theta; U = C^-1 g';
    // nu = min(1, sqrt(klClip / (eta^2 <g', U>))); v <- mu v + nu U; theta <- theta - eta v. At the second
    // step v is not zero, so clipping v (after momentum) instead of U, or measuring <G, U> without L2's
    // share, gives another theta.
    const A = spd(3, 61);
    const S = spd(2, 62);
    const G1 = randMat(3, 2, 63);
    const G2 = randMat(3, 2, 64);
    const [lr, damping, klClip, mu, lam] = [0.5, 0.01, 1e-4, 0.9, 0.2];
    const { model, opt } = singleLayer(2, 2, kfacSpec({ damping, momentum: mu, lr, klClip }), {
      type: 'l2',
      coefficient: lam,
      apply: 'all',
    });
    const k = opt as KfacOptimizer;
    await k.setFactors('fc', tf.tensor2d(A), tf.tensor2d(S));
    let theta = thetaOf(model);
    let v = G1.map((r) => r.map(() => 0));
    const nus: number[] = [];
    for (const G of [G1, G2]) {
      const g = G.map((r, i) => r.map((x, j) => x + lam * theta[i][j]));
      const U = denseKroneckerSolve(A, S, g, 1, damping);
      const gCg = g.flat().reduce((s, x, i) => s + x * U.flat()[i], 0);
      const nu = Math.min(1, Math.sqrt(klClip / (lr * lr * gCg)));
      nus.push(nu);
      v = v.map((r, i) => r.map((x, j) => mu * x + nu * U[i][j]));
      theta = theta.map((r, i) => r.map((t, j) => t - lr * v[i][j]));
      await stepWith(k, model, G, lr);
      assert.ok(Math.abs((await opt.metrics!())['kfac/klClip'] - nu) < 1e-5 * nu, `nu at step ${nus.length}`);
    }
    assert.ok(
      nus.every((nu) => nu < 0.9),
      `the clip is active at both steps: ${nus}`,
    );
    assertMatClose(thetaOf(model).flat(), theta, 1e-4, 'theta after two clipped steps');
    opt.dispose();
    model.dispose();
  });
});

describe('statistics (docs/science.md section 6)', () => {
  test('the captured backprop gives the per-example pre-activation gradients (2-layer ReLU MLP)', async () => {
    const model = buildModel(mlpSpec([4]), [3], 2, 7);
    const x = tf.tensor2d(randMat(5, 3, 51));
    const E = randMat(5, 2, 52);
    const samples = sampleLayers(model, x, () => tf.tensor2d(E));
    const [fc1, fc] = model.layers;
    // By hand: pre1 = x W1 + b1; ds_fc = E; ds_fc1 = (E W2^T) * relu'(pre1).
    const pre1 = tf.tidy(
      () => tf.add(tf.matMul(x, fc1.kernel as tf.Tensor2D), fc1.bias).arraySync() as number[][],
    );
    const W2 = fc.kernel.arraySync() as number[][];
    const ds1 = E.map((e, i) =>
      W2.map((w, h) => (pre1[i][h] > 0 ? e.reduce((s, v, c) => s + v * w[c], 0) : 0)),
    );
    assert.equal(samples.length, 2);
    assertMatClose(samples[1].grad.dataSync(), E, 1e-6, 'ds fc');
    assertMatClose(samples[0].grad.dataSync(), ds1, 1e-5, 'ds fc1');
    assertMatClose(samples[0].input.dataSync(), x.arraySync() as number[][], 0, 'a fc1');
    tf.dispose([x, ...samples.flatMap((s) => [s.input, s.grad])]);
    model.dispose();
  });

  test('K-FAC-F and K-FAC-G factors match the exact Fisher / GN blocks in expectation', async () => {
    // Exact (float64, from per-example Jacobians): fc: S = mean_i H_i; fc1: S = mean_i D_i W2 H_i W2^T D_i,
    // with H_i = diag(p_i) - p_i p_i^T (Fisher) or 2 I (GN, the official factor 2), D_i = diag(relu'(pre1_i)).
    const N = 8;
    const model = buildModel(mlpSpec([4]), [3], 3, 9);
    const x = tf.tensor2d(randMat(N, 3, 61).map((r) => r.map((v) => 3 * v)));
    const [fc1, fc] = model.layers;
    const pre1 = tf.tidy(
      () => tf.add(tf.matMul(x, fc1.kernel as tf.Tensor2D), fc1.bias).arraySync() as number[][],
    );
    const P = tf.tidy(() => tf.softmax(model.forward(x, true)).arraySync() as number[][]);
    const W2 = fc.kernel.arraySync() as number[][];
    for (const kind of ['fisher', 'gaussNewton'] as const) {
      const H = P.map((p) =>
        p.map((pa, a) =>
          p.map((pb, b) => (kind === 'fisher' ? (a === b ? pa : 0) - pa * pb : a === b ? 2 : 0)),
        ),
      );
      const sFc = H[0].map((_, a) => H[0].map((_, b) => H.reduce((s, h) => s + h[a][b], 0) / N));
      const sFc1 = W2.map((_, h) =>
        W2.map(
          (_, g) =>
            H.reduce((s, Hi, i) => {
              if (!(pre1[i][h] > 0 && pre1[i][g] > 0)) return s;
              let v = 0;
              for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) v += W2[h][a] * Hi[a][b] * W2[g][b];
              return s + v;
            }, 0) / N,
        ),
      );
      const passes = 400;
      const sum = [tf.zeros([4, 4]), tf.zeros([3, 3])];
      for (let r = 0; r < passes; r++) {
        // The trainer's path: the batch's noise, then the factor sums over its rows (statistics.ts).
        const noise = curvatureNoise(kind, N, 3, 1000 + r);
        const sums = factorSums(model, x, kind, noise);
        sums.forEach((s, l) => {
          assert.equal(s.rows, N);
          const m = tf.tidy(() => tf.add(sum[l], tf.div(s.S, s.rows)));
          sum[l].dispose();
          sum[l] = m;
        });
        tf.dispose([noise, ...sums.flatMap((s) => [s.A, s.S])]);
      }
      const est = sum.map((s) => tf.div(s, passes).dataSync());
      // Sampling error ~ 1/sqrt(N * passes) = 1.8% relative; 8% of the block's largest entry.
      assertMatClose(est[1], sFc, 0.08, `${kind} S fc`);
      assertMatClose(est[0], sFc1, 0.08, `${kind} S fc1`);
      tf.dispose(sum);
    }
    x.dispose();
    model.dispose();
  });

  test('conv: a 1x1 conv under global average pooling, K-FAC-G: S = 2I/T^2 and T A (x) S = the exact GN block in expectation', async () => {
    // f(x) = (1/T) sum_t (W^T a_t + b): the logits are the conv's output averaged over its T = H W locations.
    // Per location the output gradient is g/T with g ~ N(0, 2I) (the official factor 2), so in expectation
    // S = E[(g/T)(g/T)^T] = 2I/T^2, and the block T A (x) S = (2/T) A (x) I. The exact GN block of the
    // kernel (H = 2I) is 2 E_n[abar abar^T] (x) I with abar = (1/T) sum_t a_t; for inputs independent across
    // locations with E[a a^T] = I it is (2/T) I (x) I in expectation, which K-FAC's equals (its spatial
    // independence assumption holds).
    const [N, H, W, C, K] = [64, 4, 4, 3, 2];
    const T = H * W;
    const layer = {
      name: 'conv',
      kind: 'conv' as const,
      kernel: tf.variable(tf.randomNormal([1, 1, C, K], 0, 1, 'float32', 5)),
      bias: tf.variable(tf.zeros([K])),
      scaleInvariant: false,
      isLast: true,
      strides: 1,
      padding: 'same' as const,
    };
    const model = {
      arch: 'resnet',
      inputShape: [H, W, C],
      numClasses: K,
      layers: [layer],
      forward: (
        x: tf.Tensor,
        _t: boolean,
        tap?: (l: typeof layer, i: tf.Tensor, p: tf.Tensor) => tf.Tensor,
      ) =>
        tf.tidy(() => {
          const pre = tf.add(
            tf.conv2d(x as tf.Tensor4D, layer.kernel as tf.Variable<tf.Rank.R4>, 1, 'same'),
            layer.bias,
          );
          const out = tap ? tap(layer, x, pre) : pre;
          return tf.mean(out, [1, 2]) as tf.Tensor2D;
        }),
      updateBatchNormStats: () => {},
      trainableVariables: () => [layer.kernel, layer.bias],
      stateVariables: () => new Map(),
      parameterCount: () => C * K + K,
      dispose: () => tf.dispose([layer.kernel, layer.bias]),
    } as unknown as Model;
    const x = tf.randomNormal([N, H, W, C], 0, 1, 'float32', 6);
    const passes = 200;
    let S = tf.zeros([K, K]);
    let A: tf.Tensor | undefined;
    for (let r = 0; r < passes; r++) {
      const noise = curvatureNoise('gaussNewton', N, K, 2000 + r);
      const [sums] = factorSums(model, x, 'gaussNewton', noise);
      assert.equal(sums.rows, N * T);
      assert.equal(sums.locations, T);
      const next = tf.tidy(() => tf.add(S, tf.div(sums.S, sums.rows * passes)));
      S.dispose();
      S = next;
      if (!A) A = tf.div(sums.A, sums.rows);
      tf.dispose([noise, sums.A, sums.S]);
    }
    const s = S.arraySync() as number[][];
    // S: 2/T^2 on the diagonal, 0 off it (sampling error ~ sqrt(2 / (N passes)) relative: 1%).
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++) {
        const want = i === j ? 2 / T ** 2 : 0;
        assert.ok(Math.abs(s[i][j] - want) < 0.05 * (2 / T ** 2), `S[${i}][${j}] = ${s[i][j]}, want ${want}`);
      }
    // The kernel part of T A (x) S against the exact GN block of this batch, both in float64.
    const xs = x.arraySync() as number[][][][];
    const a = A!.arraySync() as number[][];
    const abar = xs.map((img) =>
      Array.from({ length: C }, (_, c) => img.flat().reduce((t, px) => t + px[c], 0) / T),
    );
    for (let c = 0; c < C; c++)
      for (let d = 0; d < C; d++) {
        const exact = (2 * abar.reduce((t, v) => t + v[c] * v[d], 0)) / N; // 2 E_n[abar abar^T]
        const kfac = T * a[c][d] * s[0][0]; // the block's entry (c, out 0) x (d, out 0): T A[c][d] S[0][0]
        const closed = c === d ? 2 / T : 0;
        // Both are the closed form in expectation: sampling error ~ 1/sqrt(N) of the exact block's scale.
        assert.ok(
          Math.abs(exact - closed) < 0.35 * (2 / T),
          `exact GN [${c}][${d}] = ${exact}, want ${closed}`,
        );
        assert.ok(
          Math.abs(kfac - closed) < 0.15 * (2 / T),
          `T A (x) S [${c}][${d}] = ${kfac}, want ${closed}`,
        );
      }
    tf.dispose([x, S, A!]);
    model.dispose();
  });

  test('S of a BN layer scales by alpha^-2 when its weights scale by alpha; A is unchanged (section 7 item 2)', async () => {
    const model = buildModel(mlpSpec([5], true), [3], 2, 13);
    const x = tf.tensor2d(randMat(16, 3, 71));
    const E = randMat(16, 2, 72);
    const factorsNow = () => {
      const samples = sampleLayers(model, x, () => tf.tensor2d(E));
      const out = samples.map((s) => ({
        A: tf.tidy(() => secondMoment(inputRows(s.layer, s.input)).dataSync()),
        S: tf.tidy(() => secondMoment(outputRows(s.grad)).dataSync()),
      }));
      tf.dispose(samples.flatMap((s) => [s.input, s.grad]));
      return out;
    };
    const before = factorsNow();
    const alpha = 3;
    const fc1 = model.layers[0];
    tf.tidy(() => {
      fc1.kernel.assign(tf.mul(alpha, fc1.kernel));
      fc1.bias.assign(tf.mul(alpha, fc1.bias));
    });
    const after = factorsNow();
    assertMatClose(after[0].A, Array.from(before[0].A), 1e-6, 'A fc1');
    assertMatClose(
      after[0].S,
      Array.from(before[0].S, (v) => v / alpha ** 2),
      1e-2,
      'S fc1',
    );
    // The classifier after BN sees (almost) the same inputs and gradients.
    assertMatClose(after[1].A, Array.from(before[1].A), 1e-2, 'A fc');
    assertMatClose(after[1].S, Array.from(before[1].S), 1e-6, 'S fc');
    x.dispose();
    model.dispose();
  });

  test('conv patches (with the homogeneous 1) equal a brute-force extraction, for stride and padding, on cpu and wasm', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend, { wasmDir: wasmDir() });
      convPatchesMatchBruteForce(backend);
    }
    await initBackend('cpu');
  });

  function convPatchesMatchBruteForce(backend: string): void {
    const [n, h, w, c] = [2, 5, 4, 2];
    const xs = randMat(n * h * w, c, 81);
    const x = tf.tensor4d(xs.flat(), [n, h, w, c]);
    const at = (b: number, i: number, j: number, ch: number) =>
      i >= 0 && i < h && j >= 0 && j < w ? xs[(b * h + i) * w + j][ch] : 0;
    for (const [strides, padding] of [
      [1, 'same'],
      [2, 'same'],
      [2, 'valid'],
    ] as const) {
      const kernel = tf.variable(tf.zeros([3, 3, c, 4]));
      const layer = {
        name: 'conv',
        kind: 'conv' as const,
        kernel,
        bias: kernel,
        scaleInvariant: false,
        isLast: false,
        strides,
        padding,
      };
      const rows = inputRows(layer, x);
      const info = tf.backend_util.computeConv2DInfo([n, h, w, c], [3, 3, c, 4], strides, 1, padding);
      const expected: number[][] = [];
      for (let b = 0; b < n; b++)
        for (let oi = 0; oi < info.outHeight; oi++)
          for (let oj = 0; oj < info.outWidth; oj++) {
            const row: number[] = [];
            for (let ki = 0; ki < 3; ki++)
              for (let kj = 0; kj < 3; kj++)
                for (let ch = 0; ch < c; ch++)
                  row.push(
                    at(b, oi * strides - info.padInfo.top + ki, oj * strides - info.padInfo.left + kj, ch),
                  );
            row.push(1);
            expected.push(row);
          }
      assert.deepEqual(rows.shape, [expected.length, 9 * c + 1]);
      assertMatClose(rows.dataSync(), expected, 1e-6, `${backend} patches s${strides} ${padding}`);
      tf.dispose([rows, kernel]);
    }
    x.dispose();
  }

  test('the schedule: statistics every T_cov, inverses every T_inv, EMA 0.95 (counted)', async () => {
    const model = buildModel(mlpSpec([]), [2], 2, 5);
    const opt = createOptimizer(kfacSpec({ statsEvery: 3, inverseEvery: 5, lr: 0 }), {
      params: paramsOf(model),
      regularization: none,
      layers: model.layers,
      seed: 1,
    }) as KfacOptimizer;
    const batches = Array.from({ length: 10 }, (_, t) => randMat(4, 2, 90 + t));
    let A = batches[0][0].map(() => batches[0][0].concat(0).map(() => 0));
    const zeroGrads = new Map<string, tf.Tensor>([
      ['fc/kernel', tf.zeros([2, 2])],
      ['fc/bias', tf.zeros([2])],
    ]);
    const statsAt: number[] = [];
    const invAt: number[] = [];
    for (let t = 0; t < 10; t++) {
      const before = { ...opt.counts };
      const x = tf.tensor2d(batches[t]);
      await opt.updateCurvature(model, x);
      x.dispose();
      if (opt.counts.statistics > before.statistics) {
        statsAt.push(t);
        const h = batches[t].map((r) => [...r, 1]);
        const fresh = h[0].map((_, a) =>
          h[0].map((_, b) => h.reduce((s, r) => s + r[a] * r[b], 0) / h.length),
        );
        A = t === 0 ? fresh : A.map((r, a) => r.map((v, b) => 0.95 * v + 0.05 * fresh[a][b]));
      }
      if (opt.counts.inverses > before.inverses) invAt.push(t);
      await opt.step(zeroGrads, 0);
    }
    assert.deepEqual(statsAt, [0, 3, 6, 9]);
    assert.deepEqual(invAt, [0, 5]);
    const { A: got, S } = opt.factors('fc');
    assertMatClose(got.dataSync(), A, 1e-6, 'A after the schedule');
    tf.dispose([got, S, ...zeroGrads.values()]);
    opt.dispose();
    model.dispose();
  });
});

describe('sampling (curvature.ts)', () => {
  test('K-FAC-F logit gradients are softmax - onehot(y); K-FAC-G has covariance 2 I', async () => {
    const logits = tf.tensor2d([[0, 1, 2]]);
    const noise = curvatureNoise('fisher', 1, 3, 3);
    const f = logitGradients(logits, 'fisher', noise).arraySync()[0];
    const p = tf.softmax(logits).arraySync()[0];
    const y = f.findIndex((v, i) => v < p[i] - 0.5);
    assert.ok(y >= 0);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(f[i] - (p[i] - (i === y ? 1 : 0))) < 1e-6);
    const gn = curvatureNoise('gaussNewton', 4000, 3, 4);
    const many = logitGradients(tf.zeros([4000, 3]), 'gaussNewton', gn);
    const cov = tf.tidy(() => tf.div(tf.matMul(many, many, true, false), 4000).arraySync() as number[][]);
    assertMatClose(cov.flat(), [2, 0, 0, 0, 2, 0, 0, 0, 2], 0.06, 'GN covariance');
    tf.dispose([logits, noise, gn, many]);
  });

  test('K-FAC-F samples y from softmax(f) by its inverse CDF: class frequencies, and u at the ends', () => {
    // 20,000 rows of logits [0, 1, 2, -3]: each class's frequency within 4 standard errors of p_c.
    const n = 20_000;
    const row = [0, 1, 2, -3];
    const logits = tf.tidy(() => tf.tile(tf.tensor2d([row]), [n, 1])) as tf.Tensor2D;
    const u = curvatureNoise('fisher', n, 4, 11);
    const g = logitGradients(logits, 'fisher', u);
    // onehot(y) = softmax(f) - g.
    const counts = tf.tidy(() => tf.sum(tf.sub(tf.softmax(logits), g), 0).arraySync() as number[]);
    const p = tf.tidy(() => tf.softmax(tf.tensor1d(row)).arraySync() as number[]);
    p.forEach((pc, c) => {
      const se = Math.sqrt((pc * (1 - pc)) / n);
      assert.ok(Math.abs(counts[c] / n - pc) < 4 * se + 1e-4, `class ${c}: ${counts[c] / n} vs ${pc}`);
    });
    // u = 0 takes the first class, u just below 1 the last (the minimum guards a float sum of p below u).
    const ends = tf.tensor2d([[0], [0.99999994]]);
    const two = tf.tidy(() => tf.tile(tf.tensor2d([row]), [2, 1])) as tf.Tensor2D;
    const picked = tf.tidy(() =>
      tf.argMax(tf.sub(tf.softmax(two), logitGradients(two, 'fisher', ends)), 1).arraySync(),
    );
    assert.deepEqual(picked, [0, 3]);
    tf.dispose([logits, u, g, ends, two]);
  });
});
