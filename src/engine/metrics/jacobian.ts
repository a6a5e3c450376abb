// Mechanism 2 — the input-output Jacobian norm (docs/science.md section 4): E_x ||d f(x) / d x||_F^2 with
// f = the logits, x = the network input as the model sees it (after the dataset's normalization), over a
// fixed held-out batch, BN (if any) in inference mode (moving averages). Inference mode makes the
// examples independent, so the gradient of a sum over the batch is each example's own gradient, row by
// row: one backward pass gives every example's v^T J at once.
//   exact:       ||J||_F^2 = sum_c ||grad_x f_c||^2                       C backward passes
//   projection:  ||J||_F^2 = E_v ||v^T J||^2, v ~ N(0, I_C), one v per example and draw (unbiased)
// Both return the mean over the batch of the per-example value.
import type { Rng } from '../data/random';
import { inputGradientsOnly } from '../ops/conv';
import { readAndDispose } from '../read';
import { tf } from '../tf';
import { sumOfSquares } from './reduce';

/** What the mechanism-2 metrics need of a model (Model satisfies it; tests build tiny ones). */
export interface DifferentiableModel {
  /** Logits [N, C]; training = false must use no batch statistics (examples independent). */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D;
  trainableVariables(): tf.Variable[];
}

/** sum over the batch of ||v_i^T J_i||^2, for weights V [N, C] (a tensor kept on the device). */
function weightedGradientSquares(model: DifferentiableModel, x: tf.Tensor, v: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // Input gradients only: the models' custom conv gradient may skip its filter half (ops/conv.ts).
    const g = inputGradientsOnly(() =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.forward(input, false), v)))(x),
    );
    return sumOfSquares(g);
  });
}

/** Exact E_x ||J_x||_F^2 over the batch x: one backward pass per class. */
export async function jacobianNormExact(model: DifferentiableModel, x: tf.Tensor): Promise<number> {
  const n = x.shape[0];
  const classes = tf.tidy(() => model.forward(tf.slice(x, 0, 1), false).shape[1]);
  const total = tf.tidy(() => {
    let sum: tf.Scalar = tf.scalar(0);
    for (let c = 0; c < classes; c++) {
      const basis = tf.tidy(() => tf.oneHot(tf.fill([n], c, 'int32') as tf.Tensor1D, classes).toFloat());
      sum = tf.add(sum, weightedGradientSquares(model, x, basis as tf.Tensor2D));
    }
    return sum;
  });
  const [value] = await readAndDispose(total);
  return value / n;
}

/**
 * `draws` single-projection estimates of E_x ||J_x||_F^2, each (1/N) sum_i ||v_i^T J_i||^2 with fresh
 * v_i ~ N(0, I_C) from `rng`. Each is unbiased; their mean is the projection estimate.
 */
export async function jacobianProjectionSamples(
  model: DifferentiableModel,
  x: tf.Tensor,
  draws: number,
  rng: Rng,
): Promise<number[]> {
  const n = x.shape[0];
  const classes = tf.tidy(() => model.forward(tf.slice(x, 0, 1), false).shape[1]);
  const packed = tf.tidy(() => {
    const samples: tf.Scalar[] = [];
    for (let k = 0; k < draws; k++) {
      const v = tf.tensor2d(
        Float32Array.from({ length: n * classes }, () => rng.normal()),
        [n, classes],
      );
      samples.push(weightedGradientSquares(model, x, v));
    }
    return tf.stack(samples);
  });
  return Array.from(await readAndDispose(packed), (s) => s / n);
}

/** The projection estimate: the mean of `draws` single-projection estimates. */
export async function jacobianNormProjection(
  model: DifferentiableModel,
  x: tf.Tensor,
  draws: number,
  rng: Rng,
): Promise<number> {
  const samples = await jacobianProjectionSamples(model, x, draws, rng);
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}
