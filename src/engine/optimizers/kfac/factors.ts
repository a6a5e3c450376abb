// K-FAC factor statistics (docs/science.md section 6).
//   A = E[a a^T] over the layer's inputs with a homogeneous 1 appended (for the bias), d_A = fan-in + 1;
//   S = E[ds ds^T] over the pre-activation gradients of the sampled loss, d_S = outputs.
// Dense: E over the N examples. Conv: a is the image patch (kh x kw x C, in the kernel's flattening order)
// at each output location, and both expectations run over N x T rows (T = Ho * Wo locations); the block is
// then T * A (x) S (damping.ts).
// Batch scaling convention: ds is the PER-EXAMPLE gradient (of -log p(y_i|x_i) for K-FAC-F; of the
// Gaussian NLL for K-FAC-G), i.e. the gradient of the mean sampled loss times N, so S does not depend on
// the batch size.
// Running averages: cov <- decay * cov + (1 - decay) * new (decay 0.95, no debiasing).
import type { LinearLayer } from '../../models/model';
import { matMulT } from '../../ops/matmul';
import { tf } from '../../tf';

/** d_A, d_S and T of a layer's block. */
export interface BlockShape {
  dA: number;
  dS: number;
  /** Spatial locations T (1 for dense). */
  locations: number;
}

/** The shape of a layer's block for a given input shape (conv: T from tfjs's own conv geometry). */
export function blockShape(layer: LinearLayer, inputShape: readonly number[]): BlockShape {
  const k = layer.kernel.shape;
  const dS = k[k.length - 1];
  const fanIn = k.slice(0, -1).reduce((a, b) => a * b, 1);
  if (layer.kind === 'dense') return { dA: fanIn + 1, dS, locations: 1 };
  const info = tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    k as [number, number, number, number],
    layer.strides ?? 1,
    1,
    layer.padding ?? 'same',
  );
  return { dA: fanIn + 1, dS, locations: info.outHeight * info.outWidth };
}

/**
 * The rows whose second moment is A: [M, d_A], the last column all ones. Dense: the input [N, in]. Conv: the
 * image patches at every output location ([N * T, kh*kw*C]), taken with a forward conv whose kernel is the
 * identity reshaped to [kh, kw, C, kh*kw*C], so patch entry (i, j, c) lands where the kernel's flattening
 * [kh, kw, C, Co] -> [kh*kw*C, Co] puts weight (i, j, c), with the layer's own stride and padding; one more
 * output channel with a zero kernel and bias 1 is the column of ones (fused into the conv).
 * (Measured on wasm, ResNet20 width 0.25, batch 64: 170 ms for all layers, against 450 ms for kh*kw strided
 * slices of the padded input concatenated along channels: XNNPACK's conv beats wasm's slice + concat; the
 * fused ones column saves a concat that cost as much as the conv on the 4-channel layers.)
 */
export function inputRows(layer: LinearLayer, input: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    if (layer.kind === 'dense') {
      const rows = tf.reshape(input, [input.shape[0], -1]) as tf.Tensor2D;
      return tf.concat([rows, tf.ones([rows.shape[0], 1])], 1) as tf.Tensor2D;
    }
    const [kh, kw, c] = layer.kernel.shape;
    const p = kh * kw * c;
    const filter = tf.reshape(tf.concat([tf.eye(p), tf.zeros([p, 1])], 1), [kh, kw, c, p + 1]) as tf.Tensor4D;
    const patches = tf.fused.conv2d({
      x: input as tf.Tensor4D,
      filter,
      strides: layer.strides ?? 1,
      pad: layer.padding ?? 'same',
      bias: tf.concat([tf.zeros([p]), tf.ones([1])]) as tf.Tensor1D,
    });
    return tf.reshape(patches, [-1, p + 1]) as tf.Tensor2D;
  });
}

/** The rows whose second moment is S: the pre-activation gradients [M, d_S] (conv: examples x locations). */
export function outputRows(grad: tf.Tensor): tf.Tensor2D {
  return tf.reshape(grad, [-1, grad.shape[grad.shape.length - 1]]) as tf.Tensor2D;
}

/** rows^T rows: the sum whose mean over the M rows is the second moment (shards of a batch add these). */
export function momentSum(rows: tf.Tensor2D): tf.Tensor2D {
  return matMulT(rows, rows, true, false);
}

/** (1/M) rows^T rows: the uncentred second moment. */
export function secondMoment(rows: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(momentSum(rows), rows.shape[0]) as tf.Tensor2D);
}

/** cov <- decay * cov + (1 - decay) * fresh (docs/science.md section 6: 0.95 / 0.05, no debiasing). */
export function emaUpdate(cov: tf.Variable, fresh: tf.Tensor, decay: number): void {
  tf.tidy(() => cov.assign(tf.add(tf.mul(decay, cov), tf.mul(1 - decay, fresh))));
}
