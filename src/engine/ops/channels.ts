// Per-channel reductions of rows [M, C] over M, the shape BN statistics and bias gradients reduce. On wasm
// a reduction over a tensor's outer axes takes tfjs's transpose-then-reduce path, 19x slower than one
// matMul with a row of 1/M ([128,32,32,64]: 77 ms vs 4.1 ms, 2-core development machine); elsewhere the
// backend's own reduction (the backend descriptor's `channelReductionByMatmul`).
import { activeBackend } from '../activeBackend';
import { tf } from '../tf';

/** mean over the rows, as [1, C]. */
export function channelMean(rows: tf.Tensor2D): tf.Tensor2D {
  if (!activeBackend().workarounds.channelReductionByMatmul) return tf.mean(rows, 0, true);
  return tf.tidy(() => tf.matMul(tf.fill([1, rows.shape[0]], 1 / rows.shape[0]), rows));
}

/** sum over every axis but the last (channels), as [C]. */
export function channelSum(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const channels = x.shape[x.rank - 1];
    const rows = tf.reshape(x, [-1, channels]) as tf.Tensor2D;
    if (!activeBackend().workarounds.channelReductionByMatmul) return tf.sum(rows, 0);
    return tf.reshape(tf.matMul(tf.ones([1, rows.shape[0]]), rows), [channels]) as tf.Tensor1D;
  });
}
