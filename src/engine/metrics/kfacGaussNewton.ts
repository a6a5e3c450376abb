// Mechanism 2 — the K-FAC Gauss-Newton norm (science: Section 4 of Zhang et al. 2019), measured so that it
// compares with gnNorm (gaussNewton.ts): on the same held-out batch, BN in inference mode, with the same
// output Hessian H = I. Per linear layer l, with W_l = [kernel; bias] [d_A, d_S]:
//   kfacGnNorm = sum_l T_l tr(W_l^T A_l W_l S_l),
//   A_l = E[a a^T] over the layer's inputs (homogeneous 1 appended; conv: patches at the T_l locations),
//   S_l = E[J_l^T J_l] = sum_c E[ds_c ds_c^T], ds_c = d logit_c / d pre-activation (exact: one backward
//         pass per class, as jacobianNorm's exact estimator).
// This is theta^T G_KFAC theta, the norm weight decay penalises under K-FAC-G. Where K-FAC is exact (a single
// dense layer: S = I whatever the input) it equals gnNorm. The optimizer's own running-average factors give
// a different quantity (training batches, train-mode BN, sampled targets, and K-FAC-G's output covariance
// 2I): it is reported as kfac/factorNorm (optimizers/kfac/kfac.ts).
import type { Model } from '../models/model';
import { sampleLayers } from '../optimizers/kfac/curvature';
import { blockShape, inputRows, outputRows, secondMoment } from '../optimizers/kfac/factors';
import { readAndDispose } from '../read';
import { tf } from '../tf';

export async function kfacGaussNewtonNorm(model: Model, x: tf.Tensor, classes: number): Promise<number> {
  const n = x.shape[0];
  const A: tf.Tensor2D[] = [];
  const S: tf.Tensor2D[] = [];
  const locations: number[] = [];
  try {
    for (let c = 0; c < classes; c++) {
      const seed = tf.tidy(
        () => tf.oneHot(tf.fill([n], c, 'int32') as tf.Tensor1D, classes).toFloat() as tf.Tensor2D,
      );
      const samples = sampleLayers(model, x, () => tf.clone(seed), false);
      try {
        samples.forEach((s, l) => {
          if (c === 0) {
            A.push(tf.tidy(() => secondMoment(inputRows(s.layer, s.input))));
            locations.push(blockShape(s.layer, s.input.shape).locations);
          }
          const fresh = tf.tidy(() => secondMoment(outputRows(s.grad)));
          if (c === 0) S.push(fresh);
          else {
            const sum = tf.add(S[l], fresh) as tf.Tensor2D;
            tf.dispose([S[l], fresh]);
            S[l] = sum;
          }
        });
      } finally {
        tf.dispose([seed, ...samples.flatMap((s) => [s.input, s.grad])]);
      }
    }
    const total = tf.tidy(() => {
      const terms = model.layers.map((layer, l) => {
        const dS = S[l].shape[0];
        const W = tf.concat([tf.reshape(layer.kernel, [-1, dS]), tf.reshape(layer.bias, [1, dS])], 0);
        return tf.mul(locations[l], tf.sum(tf.mul(tf.matMul(A[l], W), tf.matMul(W, S[l]))));
      });
      return tf.addN(terms) as tf.Scalar;
    });
    return (await readAndDispose(total))[0];
  } finally {
    tf.dispose([...A, ...S]);
  }
}
