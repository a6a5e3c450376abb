// Mechanism 1 — the predicted equilibrium angular update per step of a scale-invariant, decayed layer
// (docs/science.md section 3, "Equilibrium predictions"; van Laarhoven 2017, Wan et al. 2020, Kosson et al.
// 2023). At equilibrium the norm stops changing: the shrink by weight decay balances the growth by the
// (orthogonal) gradient steps, which fixes the angle each step turns the weights by:
//   SGD, heavy-ball momentum mu (L2 = weight decay for SGD):  sqrt(2 eta lambda / (1 + mu))   (mu = 0: sqrt(2 eta lambda))
//   SGD, Nesterov momentum mu:                                sqrt(2 eta lambda (1 + 2 mu - 2 mu^3) / (1 + mu))
//   AdamW (decoupled weight decay):                           sqrt(2 eta lambda (1 - b1) / (1 + b1))
//   Adam + L2:                                                no closed form (lambda*theta is preconditioned)
// eta is the current (scheduled) learning rate. The Nesterov line is derived here, not in docs/science.md, by
// the argument that gives the heavy-ball one: the decay shrinks ||w||^2 by 2 eta lambda / (1 - mu) per
// step and the gradient noise grows it by eta^2 s^2 / (1 - mu)^2 (the same DC gain 1/(1 - mu) for both
// forms), which fixes ||w||; the per-step angle is then the RMS step over ||w||, and Nesterov's step
// eta((1 + mu) g_t + mu^2 v_t-1) has E||step||^2 = eta^2 s^2 ((1 + mu)^2 + mu^4 / (1 - mu^2)) against heavy
// ball's eta^2 s^2 / (1 - mu^2). Treating Nesterov as heavy ball would be 14% low at mu = 0.9; the
// oracle test (test/unit/engine/mechanisms1.test.ts) checks all four formulas by simulation with the
// real optimizers.
// The formulas live in each optimizer's descriptor (src/spec/optimizers/sgd.ts, adam.ts); these are overlays
// ("theory" dashed beside the measured angularUpdate), not measurements.
import { theoryKey } from '../../protocol/metrics';
import { optimizerDescriptor } from '../../spec/optimizers';
import type { OptimizerSpec, RegularizationSpec } from '../../spec/types';
import type { LinearLayer } from '../models/model';
import { layerIsDecayed } from '../optimizers/regularization';

/** The predicted equilibrium angle (radians per step), or undefined where there is no prediction. */
export function equilibriumAngularUpdate(
  optimizer: OptimizerSpec,
  regularization: Pick<RegularizationSpec, 'type' | 'coefficient'>,
  lr: number,
): number | undefined {
  return optimizerDescriptor(optimizer.type).equilibriumAngle?.(optimizer, regularization, lr);
}

/** `theory/angularUpdate/<layer>` for every scale-invariant layer that the regularizer decays. */
export function theoryMetrics(
  layers: readonly LinearLayer[],
  optimizer: OptimizerSpec,
  regularization: RegularizationSpec,
  lr: number,
): Record<string, number> {
  const angle = equilibriumAngularUpdate(optimizer, regularization, lr);
  const out: Record<string, number> = {};
  if (angle === undefined) return out;
  for (const layer of layers) {
    if (layer.scaleInvariant && layerIsDecayed(layer, regularization.apply))
      out[theoryKey('angularUpdate', layer.name)] = angle;
  }
  return out;
}
