// Mechanism 1 — effective learning rate (science.md section 3). For a layer followed by BN without
// affine, L(alpha*theta) = L(theta), so SGD moves the direction theta/||theta|| with an effective learning
// rate eta/||theta||^2. Without weight decay ||theta|| grows and the effective LR decays; with weight
// decay it levels off. Norms are of the layer's kernel: a bias before BN is cancelled by the mean
// subtraction and takes no part in the scale invariance.
import type { LinearLayer } from '../models/model';
import { tf } from '../tf';

/** ||W||_F of every linear layer's kernel, computed on the device and read in one transfer. */
export function weightNorms(layers: readonly LinearLayer[]): number[] {
  const packed = tf.tidy(() => tf.stack(layers.map((l) => tf.norm(l.kernel))));
  const values = Array.from(packed.dataSync());
  packed.dispose();
  return values;
}

/** eta / ||theta_l||^2 — the effective learning rate of a scale-invariant layer (science.md section 3). */
export function effectiveLearningRate(lr: number, weightNorm: number): number {
  return lr / (weightNorm * weightNorm);
}

/** The flat metric keys of mechanism 1 for one logging event. */
export function mechanism1Metrics(layers: readonly LinearLayer[], lr: number): Record<string, number> {
  const norms = weightNorms(layers);
  const out: Record<string, number> = {};
  layers.forEach((layer, i) => {
    out[`weightNorm/${layer.name}`] = norms[i];
    if (layer.scaleInvariant) out[`effectiveLr/${layer.name}`] = effectiveLearningRate(lr, norms[i]);
  });
  return out;
}
