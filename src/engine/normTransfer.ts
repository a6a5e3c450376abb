// The paper's wn-conv experiment (docs/science.md section 3; Zhang et al. 2019, Section 4.1): train without
// weight decay, but after every epoch rescale each selected layer's kernel W_l to the norm the reference
// (weight-decay) run had at the end of that epoch, so the effective learning rate eta/||W_l||^2 of the
// scale-invariant layers follows the reference run while nothing else about weight decay is applied.
//
// For a layer followed by BN without affine, W -> alpha W leaves the training-mode output unchanged. The
// moving statistics that evaluation uses are rescaled with it, so evaluation is unchanged too: the
// pre-activation z = alpha x W + b has per-channel mean alpha (m - b) + b and variance alpha^2 v.
import { metricKey } from '../protocol/metrics';
import type { MetricRecord } from '../protocol/records';
import type { DecayScope } from '../spec/types';
import { weightNorms } from './metrics/mechanism1';
import type { LinearLayer, Model } from './models/model';
import { layerIsDecayed } from './optimizers/regularization';
import { tf } from './tf';

/** Target kernel norms by layer name, for each epoch end 1, 2, ... of the reference run. */
export type NormTargets = Map<number, Map<string, number>>;

/**
 * Reads the reference run's `weightNorm/<layer>` at each whole epoch (the record the trainer writes at every
 * epoch end). Throws, naming the missing layer or epoch, when the reference does not cover the layers
 * `apply` selects for `epochs` epochs.
 */
export function normTargetsFrom(
  records: readonly MetricRecord[],
  layers: readonly LinearLayer[],
  apply: DecayScope,
  epochs: number,
  source: string,
): NormTargets {
  const selected = layers.filter((l) => layerIsDecayed(l, apply));
  const targets: NormTargets = new Map();
  for (const r of records) {
    const epoch = Math.round(r.epoch);
    if (epoch < 1 || Math.abs(r.epoch - epoch) > 1e-9) continue;
    const norms = new Map<string, number>();
    for (const l of selected) {
      const v = r[metricKey('weightNorm', l.name)];
      if (typeof v === 'number' && v > 0 && Number.isFinite(v)) norms.set(l.name, v);
    }
    if (norms.size === selected.length) targets.set(epoch, norms);
  }
  if (targets.size === 0) {
    const missing = selected.find(
      (l) => !records.some((r) => r[metricKey('weightNorm', l.name)] !== undefined),
    );
    throw new Error(
      missing
        ? `norm transfer: the reference run ${source} has no weightNorm/${missing.name} (is it a run of the same network?)`
        : `norm transfer: the reference run ${source} has no record at an epoch end`,
    );
  }
  const last = Math.max(...targets.keys());
  if (last < epochs) {
    throw new Error(
      `norm transfer: the reference run ${source} reaches epoch ${last}, but this run trains ${epochs} epochs`,
    );
  }
  return targets;
}

/**
 * Rescales each layer named in `norms` to its target Frobenius norm, and the moving statistics of the BN
 * that follows it (state names `<layer>.bn.movingMean|movingVariance`) to match. Returns the scale factors.
 */
export async function rescaleToNorms(
  model: Model,
  norms: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const state = model.stateVariables();
  const factors = new Map<string, number>();
  const selected = model.layers.filter((l) => norms.has(l.name));
  // Every selected kernel's norm in one read-back (mechanism1.ts).
  const currents = await weightNorms(selected);
  for (const [i, layer] of selected.entries()) {
    const target = norms.get(layer.name)!;
    const current = currents[i];
    if (!(current > 0)) continue;
    const alpha = target / current;
    factors.set(layer.name, alpha);
    tf.tidy(() => {
      layer.kernel.assign(tf.mul(layer.kernel, alpha));
      const mean = state.get(`${layer.name}.bn.movingMean`);
      const variance = state.get(`${layer.name}.bn.movingVariance`);
      if (mean && variance) {
        // m' = alpha (m - b) + b, v' = alpha^2 v (the bias is not rescaled).
        mean.assign(tf.add(tf.mul(tf.sub(mean, layer.bias), alpha), layer.bias));
        variance.assign(tf.mul(variance, alpha * alpha));
      }
    });
  }
  return factors;
}
