// Newton-Schulz inverses of damped K-FAC factors (newtonSchulz.ts) against float64 oracles: ml-matrix's LU
// inverse and its symmetric eigendecomposition (the largest eigenvalue), and the closed form of the
// iteration's residual, (1 - s/u)^(2^k).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { EigenvalueDecomposition, inverse, Matrix, QrDecomposition } from 'ml-matrix';
import { initBackend } from '../../../src/engine/backend';
import {
  inverseResidual,
  NEWTON_SCHULZ_MAX_ITERATIONS,
  NEWTON_SCHULZ_TOL,
  newtonSchulzInverse,
  newtonSchulzIterations,
  spectralUpperBound,
} from '../../../src/engine/optimizers/kfac/newtonSchulz';
import { tf } from '../../../src/engine/tf';

before(async () => {
  await initBackend('cpu');
});

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/**
 * A PSD n x n factor Q diag(lambda) Q^T with eigenvalues spread log-uniformly over [top / spread, top] and a
 * random orthonormal Q (QR of a random matrix): the spectrum a K-FAC factor has, with a known condition.
 */
function factor(n: number, top: number, spread: number, seed: number): Float64Array {
  const r = rng(seed);
  const q = new QrDecomposition(
    new Matrix(Array.from({ length: n }, () => Array.from({ length: n }, () => r()))),
  ).orthogonalMatrix;
  const values = Array.from({ length: n }, (_, i) => top * spread ** (-i / Math.max(1, n - 1)));
  const f = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += q.get(i, k) * values[k] * q.get(j, k);
      f[i * n + j] = v;
    }
  // Exactly symmetric in float32, as the factors are (secondMoment computes X^T X).
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) f[i * n + j] = f[j * n + i];
  return Float64Array.from(Float32Array.from(f));
}

const rows = (f: ArrayLike<number>, n: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => f[i * n + j]));

function largestEigenvalue(f: ArrayLike<number>, n: number): number {
  return Math.max(
    ...new EigenvalueDecomposition(new Matrix(rows(f, n)), { assumeSymmetric: true }).realEigenvalues,
  );
}

describe('Newton-Schulz factor inverses (newtonSchulz.ts)', () => {
  test('the spectral upper bound is >= lambda_max + shift, and tight for a rank-1 factor', () => {
    for (const [n, spread, seed] of [
      [12, 10, 1],
      [30, 1e4, 2],
      [50, 1e6, 3],
    ]) {
      const f = factor(n, 3, spread, seed);
      const upper = spectralUpperBound(f, n, 0.1);
      const top = largestEigenvalue(f, n) + 0.1;
      assert.ok(upper >= top * (1 - 1e-12), `n ${n}: bound ${upper} < lambda_max ${top}`);
      assert.ok(upper <= Math.sqrt(n) * top, `n ${n}: bound ${upper} is looser than sqrt(n) lambda_max`);
    }
    // rank 1: F = v v^T has ||F||_F = ||v||^2 = lambda_max.
    const v = [1, -2, 0.5, 3];
    const f = v.flatMap((a) => v.map((b) => a * b));
    const norm2 = v.reduce((s, a) => s + a * a, 0);
    assert.ok(Math.abs(spectralUpperBound(f, 4, 0) - norm2) < 1e-12);
  });

  test('iterations: the least k with (1 - s/u)^(2^k) <= tol, capped without damping', () => {
    for (const ratio of [0.5, 0.1, 1e-3, 1e-5, 1e-7]) {
      const k = newtonSchulzIterations(ratio, 1);
      const residual = (j: number) => (1 - ratio) ** (2 ** j);
      assert.ok(residual(k) <= NEWTON_SCHULZ_TOL * (1 + 1e-9), `ratio ${ratio}: k ${k} too few`);
      assert.ok(residual(k - 1) > NEWTON_SCHULZ_TOL, `ratio ${ratio}: k ${k} not the least`);
    }
    assert.equal(newtonSchulzIterations(0, 1), NEWTON_SCHULZ_MAX_ITERATIONS);
    assert.equal(newtonSchulzIterations(2, 1), 1);
  });

  for (const spread of [1e2, 1e4]) {
    test(`(F + sI)^-1 in float32 matches the float64 LU inverse, condition ~${spread}`, async () => {
      const n = 40;
      const f = factor(n, 2, spread * 10, 7);
      // shift at the condition's scale: kappa(F + sI) ~ top / shift.
      const shift = 2 / spread;
      const upper = spectralUpperBound(f, n, shift);
      const k = newtonSchulzIterations(shift, upper);
      const F = tf.tensor2d(Float32Array.from(f), [n, n]);
      const X = newtonSchulzInverse(F, shift, upper, k);
      const x = await X.data();
      const exact = inverse(new Matrix(rows(f, n)).add(Matrix.eye(n).mul(shift))).to1DArray();
      let diff = 0;
      let norm = 0;
      let asymmetry = 0;
      for (let i = 0; i < n * n; i++) {
        diff += (x[i] - exact[i]) ** 2;
        norm += exact[i] ** 2;
      }
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) asymmetry += Math.abs(x[i * n + j] - x[j * n + i]);
      const relative = Math.sqrt(diff / norm);
      // float32: about kappa * 1e-7 (newtonSchulz.ts), with a margin.
      assert.ok(relative < Math.max(1e-5, 1e-6 * spread), `relative error ${relative} after ${k} iterations`);
      assert.equal(asymmetry, 0, 'the inverse is symmetric');
      // inverseResidual = ||I - (F + sI) X||_F / sqrt(n), recomputed in float64 from the same X.
      const m = new Matrix(rows(f, n)).add(Matrix.eye(n).mul(shift));
      const r = Matrix.eye(n).sub(m.mmul(new Matrix(rows(x, n))));
      const expected = r.norm('frobenius') / Math.sqrt(n);
      const R = inverseResidual(F, shift, X);
      const measured = (await R.data())[0];
      assert.ok(Math.abs(measured - expected) <= 0.05 * expected + 1e-6, `${measured} vs ${expected}`);
      assert.ok(measured < Math.max(1e-5, 1e-6 * spread), `residual ${measured}`);
      tf.dispose([F, X, R]);
    });
  }
});
