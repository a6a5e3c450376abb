// Mechanism 2 — the Gauss-Newton norm ||theta||_G^2 = theta^T G theta (docs/science.md section 4), with the
// squared-error Gauss-Newton G = E[J_theta^T J_theta] (output Hessian H = I: the convention of the
// paper's K-FAC-G, whose sampled targets y ~ N(f, 0.5 I) differ only by the constant factor 2 of section
// 6). Here J_theta is the Jacobian of the logits with respect to every trainable parameter (kernels and
// biases), on a fixed held-out batch, BN in inference mode. theta^T G theta = E_x ||J_theta theta||^2,
// and J_theta theta is the directional derivative of the logits along theta itself:
//   J_theta theta = d/ds f(x; s theta) at s = 1.
// tfjs has no forward mode, so it is a central difference in the scale s with Richardson extrapolation:
//   D(h) = (f((1+h) theta) - f((1-h) theta)) / (2h),   R = (4 D(h/2) - D(h)) / 3 = f'(1) - h^4 f^(5)/480 + ...
// with h = 0.02 (four forward passes). Error bound, per logit:
//   truncation  <= h^4 max|f^(5)| / 480: zero when f is a polynomial of degree <= 4 in s (a network with
//               up to 4 weight layers on a fixed ReLU pattern; bias-free deep linear nets), and ~1e-6
//               relative for an 11-layer homogeneous net (f^(5)/f' = 10*9*8*7 at s = 1);
//   rounding    <= 3 delta / h = 150 delta, delta = the float32 error of one logit evaluation
//               (~1e-6 relative for the small nets here, so ~1e-4 relative on J_theta theta);
//   kinks       a ReLU (or max-pool choice) that flips within s in [0.98, 1.02] — possible only with
//               biases or BN, where pre-activations are not homogeneous in s — breaks the polynomial
//               model for that example; such examples are rare and the error stays bounded by the
//               change of that unit's contribution.
// The weights are restored exactly afterwards (the original tensors are kept and assigned back).

import { readAndDispose } from '../read';
import { tf } from '../tf';
import type { DifferentiableModel } from './jacobian';
import { sumOfSquares } from './reduce';

/** The scale step of the central difference (see the error bound above). */
export const GN_SCALE_STEP = 0.02;

/** Logits of the model with every trainable variable scaled by `scale` (variables left scaled). */
function logitsAtScale(
  model: DifferentiableModel,
  x: tf.Tensor,
  variables: tf.Variable[],
  originals: tf.Tensor[],
  scale: number,
): tf.Tensor2D {
  variables.forEach((v, i) => {
    v.assign(tf.tidy(() => tf.mul(originals[i], scale)));
  });
  return model.forward(x, false);
}

/**
 * J_theta theta for each example of the batch: [N, C] (the caller disposes it). Restores the weights
 * bit for bit, also when the forward pass throws.
 */
export function scaleDirectionalDerivative(
  model: DifferentiableModel,
  x: tf.Tensor,
  h = GN_SCALE_STEP,
): tf.Tensor2D {
  const variables = model.trainableVariables();
  const originals = variables.map((v) => tf.keep(tf.clone(v)));
  try {
    return tf.tidy(() => {
      const at = (s: number) => logitsAtScale(model, x, variables, originals, s);
      const [fp, fm, hp, hm] = [at(1 + h), at(1 - h), at(1 + h / 2), at(1 - h / 2)];
      const wide = tf.div(tf.sub(fp, fm), 2 * h);
      const narrow = tf.div(tf.sub(hp, hm), h);
      return tf.div(tf.sub(tf.mul(narrow, 4), wide), 3) as tf.Tensor2D;
    });
  } finally {
    variables.forEach((v, i) => {
      v.assign(originals[i]);
    });
    tf.dispose(originals);
  }
}

/** theta^T G theta = E_x ||J_theta theta||^2 over the batch x (squared-error Gauss-Newton, H = I). */
export async function gaussNewtonNorm(
  model: DifferentiableModel,
  x: tf.Tensor,
  h = GN_SCALE_STEP,
): Promise<number> {
  const d = scaleDirectionalDerivative(model, x, h);
  const total = sumOfSquares(d);
  d.dispose();
  const [value] = await readAndDispose(total);
  return value / x.shape[0];
}
