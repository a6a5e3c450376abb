// Mechanism 1 — effective learning rate (docs/science.md section 3). For a layer followed by BN without
// affine, L(alpha*theta) = L(theta), so SGD moves the direction theta/||theta|| with an effective learning
// rate eta/||theta||^2. Without weight decay ||theta|| grows and the effective LR decays; with weight
// decay it levels off. Norms are of the layer's kernel: a bias before BN is cancelled by the mean
// subtraction and takes no part in the scale invariance.
//
// Which formula is the optimizer's descriptor's (src/spec/optimizers/), one key per formula so a chart never
// mixes two quantities:
//   sgd   `effectiveLr/<layer>`     = eta / ||theta||^2   the step of the direction is eta * g/||theta||^2
//   adam  `effectiveLrAdam/<layer>` = eta / ||theta||     Adam's step does not scale with the gradient, so
//                                                         the direction turns by ~eta/||theta|| per unit step
//                                                         (checked against simulation: mechanisms1.test.ts)
//   K-FAC and E-KFAC declare none; they report their own quantities (effectiveDamping, curvatureScale,
//   kfac/factorNorm) through Optimizer.metrics().
// The measured, optimizer-independent counterpart is angularUpdate.ts.
import { metricKey } from '../../protocol/metrics';
import { optimizerDescriptor } from '../../spec/optimizers';
import type { OptimizerType } from '../../spec/types';
import type { LinearLayer } from '../models/model';
import { readAndDispose } from '../read';
import { tf } from '../tf';
import { frobeniusNorm } from './reduce';

/** ||W||_F of every linear layer's kernel, computed on the device and read in one transfer. */
export async function weightNorms(layers: readonly LinearLayer[]): Promise<number[]> {
  const packed = tf.tidy(() => tf.stack(layers.map((l) => frobeniusNorm(l.kernel))));
  return Array.from(await readAndDispose(packed));
}

/** The flat metric keys of mechanism 1 for one logging event; the optimizer's descriptor gives the effective-LR form. */
export async function mechanism1Metrics(
  layers: readonly LinearLayer[],
  lr: number,
  optimizer: OptimizerType,
): Promise<Record<string, number>> {
  const effectiveLr = optimizerDescriptor(optimizer).effectiveLr;
  const norms = await weightNorms(layers);
  const out: Record<string, number> = {};
  layers.forEach((layer, i) => {
    out[metricKey('weightNorm', layer.name)] = norms[i];
    if (layer.scaleInvariant && effectiveLr)
      out[metricKey(effectiveLr.stem, layer.name)] = effectiveLr.of(lr, norms[i]);
  });
  return out;
}
