// Accurate float32 reductions for metrics. The wasm backend's Sum adds sequentially, so the relative
// error of a sum grows with its length: ~1e-4 at 4e5 terms, ~3e-3 at 4e6 (a VGG16 conv kernel has 2.4e6)
// — measured on tfjs-backend-wasm 4.22. Summing in two stages of ~sqrt(n) terms each keeps it near 1e-6.
import { tf } from '../tf';

/** Tensors up to this size are summed in one stage. */
const ONE_STAGE = 4096;

/** The sum of every element of x, in two stages of ~sqrt(n) terms for large x. */
export function sumAll(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = x.size;
    const flat = tf.reshape(x, [n]);
    if (n <= ONE_STAGE) return tf.sum(flat);
    const k = Math.ceil(Math.sqrt(n));
    const m = Math.ceil(n / k);
    const padded = m * k > n ? tf.pad(flat, [[0, m * k - n]]) : flat;
    return tf.sum(tf.sum(tf.reshape(padded, [m, k]), 1));
  });
}

/** sum(x^2), accurately. */
export const sumOfSquares = (x: tf.Tensor): tf.Scalar => tf.tidy(() => sumAll(tf.square(x)));

/** The Frobenius / Euclidean norm of x, accurately. */
export const frobeniusNorm = (x: tf.Tensor): tf.Scalar => tf.tidy(() => tf.sqrt(sumOfSquares(x)));
