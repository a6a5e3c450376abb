// Damped K-FAC factor inverses on the training backend by Newton-Schulz iteration (the paper's
// VGG16 has 4609 x 4609 factors, minutes each as a CPU eigendecomposition, which would stall a GPU run).
// The factored damping scheme (damping.ts, docs/science.md section 6) needs no eigenbasis: its block inverse is
//     (A + pi r I)^-1 (x) (S + r/pi I)^-1 / T,   r = sqrt(lambda / T)
// so two damped factor inverses per layer suffice, and matmuls are what a GPU does best.
//
// For symmetric M with spectrum in [s, u] (s > 0 the damping shift, a lower bound for M = F + s I with F PSD;
// u >= lambda_max(M)), Schulz's iteration from X_0 = I / u,
//     X_{k+1} = X_k (2I - M X_k),
// keeps X_k a polynomial in M, and I - M X_k = (I - M X_0)^(2^k) has its eigenvalues in [0, (1 - s/u)^(2^k)].
// So k = ceil(log2(ln tol / ln(1 - s/u))) iterations bring the residual's spectral norm below tol, in exact
// arithmetic; in float32 the iteration is self-correcting (Higham, Functions of Matrices, section 7.3:
// rounding errors of one iterate are damped by the next), so the attained residual is about kappa * 1e-7
// (kappa = u / s). The official K-FAC also inverts its factors in float32 on the GPU. The residual actually
// reached is measured (inverseResidual) and reported as the metric kfac/inverseResidual.
import { tf } from '../../tf';

/** Target spectral norm of I - M X; the float32 floor (kappa * 1e-7) is reached first for kappa > 10. */
export const NEWTON_SCHULZ_TOL = 1e-6;
/** An upper limit on iterations (kappa up to ~1e12 at tol 1e-6, beyond what float32 can invert anyway). */
export const NEWTON_SCHULZ_MAX_ITERATIONS = 48;

/**
 * An upper bound u of the largest eigenvalue of F + shift I for a symmetric n x n F (row-major, float32 host
 * copy, bounded in float64): lambda_max(F) <= min(||F||_F, ||F||_inf).
 */
export function spectralUpperBound(f: ArrayLike<number>, n: number, shift: number): number {
  if (f.length !== n * n) throw new Error(`spectralUpperBound: expected ${n * n} entries, got ${f.length}`);
  let frobenius = 0;
  let maxRow = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) {
      const v = f[i * n + j];
      frobenius += v * v;
      row += Math.abs(v);
    }
    maxRow = Math.max(maxRow, row);
  }
  return Math.min(Math.sqrt(frobenius), maxRow) + shift;
}

/** Iterations that bring (1 - s/u)^(2^k) below tol (capped; s <= 0 gives the cap: no guarantee). */
export function newtonSchulzIterations(shift: number, upper: number, tol = NEWTON_SCHULZ_TOL): number {
  const ratio = shift / upper;
  if (!(ratio > 0)) return NEWTON_SCHULZ_MAX_ITERATIONS;
  if (ratio >= 1) return 1;
  // ln(1 - ratio) via log1p: exact for the tiny ratios of large, lightly damped factors.
  const k = Math.ceil(Math.log2(Math.log(tol) / Math.log1p(-ratio)));
  return Math.min(NEWTON_SCHULZ_MAX_ITERATIONS, Math.max(1, k));
}

/**
 * (F + shift I)^-1 on the training backend for symmetric PSD F, by `iterations` Schulz steps from I / upper
 * (upper: spectralUpperBound). Symmetrised at the end, since K-FAC's preconditioner must stay symmetric.
 * The caller owns the result.
 */
export function newtonSchulzInverse(
  f: tf.Tensor2D,
  shift: number,
  upper: number,
  iterations: number,
): tf.Tensor2D {
  const n = f.shape[0];
  const eye = tf.eye(n);
  const twoEye = tf.mul(eye, 2);
  const m = tf.tidy(() => tf.add(f, tf.mul(eye, shift)));
  let x: tf.Tensor2D = tf.tidy(() => tf.mul(eye, 1 / upper));
  for (let k = 0; k < iterations; k++) {
    const next: tf.Tensor2D = tf.tidy(() => tf.matMul(x, tf.sub(twoEye, tf.matMul(m, x))));
    x.dispose();
    x = next;
  }
  const symmetric: tf.Tensor2D = tf.tidy(() => tf.mul(tf.add(x, tf.transpose(x)), 0.5));
  tf.dispose([eye, twoEye, m, x]);
  return symmetric;
}

/** ||I - (F + shift I) X||_F / sqrt(n): the relative residual of an inverse (the caller owns the scalar). */
export function inverseResidual(f: tf.Tensor2D, shift: number, x: tf.Tensor2D): tf.Scalar {
  const n = f.shape[0];
  return tf.tidy(() => {
    const eye = tf.eye(n);
    const r = tf.sub(eye, tf.matMul(tf.add(f, tf.mul(eye, shift)), x));
    return tf.div(tf.norm(r), Math.sqrt(n)) as tf.Scalar;
  });
}
