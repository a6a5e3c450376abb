// Mechanism 1, optimizer-independent: the measured angular update of each layer's kernel over one
// optimizer step (docs/science.md section 3: arccos(<w_t, w_t+1> / (||w_t|| ||w_t+1||))). Under BN the
// kernel's direction is all that matters, so this is the step size that the effective learning rate
// predicts, whatever the optimizer; with weight decay it settles at the equilibrium of theory.ts.
//
// Numerics. arccos of a ratio near 1 loses everything in float32 (an angle of 1e-3 is cos = 1 - 5e-7,
// four ulps from 1). The chord form 2*asin(||u_t - u_t+1|| / 2) of the unit vectors is better but still
// has an absolute error of ~1e-7 (the rounding of the normalized vectors), i.e. 1e-2 relative at 1e-5 rad.
// Here the angle is taken from the update itself: delta = w_t+1 - w_t is an (almost) exact float32
// subtraction, and with a = w_t,
//   w_t+1 = (||a|| + <a, delta>/||a||) * a/||a|| + delta_perp,   delta_perp = delta - (<a, delta>/||a||^2) a,
//   angle = atan2(||delta_perp||, ||a|| + <a, delta>/||a||)
// whose absolute error is ~eps * ||delta_parallel|| / ||a|| (eps = float32 epsilon): far below the chord
// form's ~eps unless the step is almost purely radial. test/unit/engine/mechanisms1.test.ts checks it
// against float64 from 0.3 down to 1e-6 rad with a 10% change of norm in the same step (relative error
// 2e-8 at 0.3 rad, 1e-4 at 1e-6 rad). The sums are two-stage (reduce.ts): wasm sums sequentially.
import { metricKey } from '../../protocol/metrics';
import type { LinearLayer } from '../models/model';
import { readAndDispose } from '../read';
import { tf } from '../tf';
import { frobeniusNorm, sumAll, sumOfSquares } from './reduce';

/** Copies of every layer's kernel, to compare with after a step. The caller disposes them. */
export function snapshotKernels(layers: readonly LinearLayer[]): tf.Tensor[] {
  return layers.map((l) => tf.keep(tf.clone(l.kernel)));
}

/** The angle between a and b = a + delta from (||a||, <a, delta>, ||delta_perp||), in float64. */
export function angleFromParts(normA: number, aDotDelta: number, perpNorm: number): number {
  return Math.atan2(perpNorm, normA + aDotDelta / normA);
}

/**
 * The angle (radians, in [0, pi]) between each `before[i]` and `after[i]`, computed on the device in one
 * transfer. An all-zero `before` has no direction: its angle is NaN (the caller leaves it out).
 */
export async function angularUpdates(
  before: readonly tf.Tensor[],
  after: readonly tf.Tensor[],
): Promise<number[]> {
  if (before.length !== after.length) throw new Error('angularUpdates: before and after differ in length');
  if (before.length === 0) return [];
  const parts = tf.tidy(() =>
    tf.stack(
      before.map((a, i) => {
        const delta = tf.sub(after[i], a);
        const aa = sumOfSquares(a);
        const ad = sumAll(tf.mul(a, delta));
        const perp = tf.sub(delta, tf.mul(tf.div(ad, aa), a));
        return tf.stack([tf.sqrt(aa), ad, frobeniusNorm(perp)]);
      }),
    ),
  );
  const v = await readAndDispose(parts);
  return before.map((_, i) => {
    const [normA, ad, perp] = [v[3 * i], v[3 * i + 1], v[3 * i + 2]];
    return normA > 0 ? angleFromParts(normA, ad, perp) : Number.NaN;
  });
}

/** `angularUpdate/<layer>` for every linear layer whose angle is defined. */
export async function angularUpdateMetrics(
  layers: readonly LinearLayer[],
  before: readonly tf.Tensor[],
): Promise<Record<string, number>> {
  const angles = await angularUpdates(
    before,
    layers.map((l) => l.kernel),
  );
  const out: Record<string, number> = {};
  layers.forEach((layer, i) => {
    if (Number.isFinite(angles[i])) out[metricKey('angularUpdate', layer.name)] = angles[i];
  });
  return out;
}
