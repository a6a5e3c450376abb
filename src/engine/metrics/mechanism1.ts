// Mechanism 1 — effective learning rate (science.md section 3). For a layer followed by BN without
// affine, L(alpha*theta) = L(theta), so SGD moves the direction theta/||theta|| with an effective learning
// rate eta/||theta||^2. Without weight decay ||theta|| grows and the effective LR decays; with weight
// decay it levels off. Norms are of the layer's kernel: a bias before BN is cancelled by the mean
// subtraction and takes no part in the scale invariance.
//
// Which formula, per optimizer (one key per formula, so a chart never mixes two quantities):
//   sgd   `effectiveLr/<layer>`     = eta / ||theta||^2   the step of the direction is eta * g/||theta||^2
//   adam  `effectiveLrAdam/<layer>` = eta / ||theta||     Adam's step does not scale with the gradient, so
//                                                         the direction turns by ~eta/||theta|| per unit step
//                                                         (checked against simulation: mechanisms1.test.ts)
//   K-FAC reports its own quantities (effectiveDamping, curvatureScale, kfac/factorNorm) through Optimizer.metrics().
// The measured, optimizer-independent counterpart is angularUpdate.ts.
import { metricKey } from '../../protocol/metrics';
import type { LinearLayer } from '../models/model';
import { readAndDispose } from '../read';
import { tf } from '../tf';
import { frobeniusNorm } from './reduce';

/** ||W||_F of every linear layer's kernel, computed on the device and read in one transfer. */
export async function weightNorms(layers: readonly LinearLayer[]): Promise<number[]> {
  const packed = tf.tidy(() => tf.stack(layers.map((l) => frobeniusNorm(l.kernel))));
  return Array.from(await readAndDispose(packed));
}

/** eta / ||theta_l||^2 — the effective learning rate of a scale-invariant layer under SGD (science.md section 3). */
export function effectiveLearningRate(lr: number, weightNorm: number): number {
  return lr / (weightNorm * weightNorm);
}

/** eta / ||theta_l|| — the effective step of a scale-invariant layer under Adam (science.md section 3, first power). */
export function effectiveLearningRateAdam(lr: number, weightNorm: number): number {
  return lr / weightNorm;
}

/** The flat metric keys of mechanism 1 for one logging event; `optimizer` picks the effective-LR form. */
export async function mechanism1Metrics(
  layers: readonly LinearLayer[],
  lr: number,
  optimizer: string = 'sgd',
): Promise<Record<string, number>> {
  const norms = await weightNorms(layers);
  const out: Record<string, number> = {};
  layers.forEach((layer, i) => {
    out[metricKey('weightNorm', layer.name)] = norms[i];
    if (!layer.scaleInvariant) return;
    if (optimizer === 'sgd') out[metricKey('effectiveLr', layer.name)] = effectiveLearningRate(lr, norms[i]);
    else if (optimizer === 'adam')
      out[metricKey('effectiveLrAdam', layer.name)] = effectiveLearningRateAdam(lr, norms[i]);
  });
  return out;
}
