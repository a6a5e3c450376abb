// Which parameters the regularizer touches, and how much (docs/science.md sections 1 and 2). Shared by every
// optimizer so that "decayed" means the same thing everywhere.
import type { DecayScope, RegularizationSpec } from '../../spec/types';
import type { LinearLayer } from '../models/model';
import type { Param } from './optimizer';

/** The layer facts the decay scope depends on. */
export interface ScopedLayer {
  name: string;
  isLast: boolean;
}

/** Whether `apply` selects a layer: all (wd-all), conv = every layer but the last (wd-conv), fc = the last (wd-fc). */
export function layerIsDecayed(layer: ScopedLayer, apply: DecayScope): boolean {
  switch (apply) {
    case 'all':
      return true;
    case 'conv':
      return !layer.isLast;
    case 'fc':
      return layer.isLast;
  }
}

/** Names (`${layer}/kernel`, `${layer}/bias`) of the parameters `apply` selects; kernel and bias go together. */
export function decayedParamNames(layers: readonly ScopedLayer[], apply: DecayScope): Set<string> {
  const names = new Set<string>();
  for (const layer of layers) {
    if (!layerIsDecayed(layer, apply)) continue;
    names.add(`${layer.name}/kernel`);
    names.add(`${layer.name}/bias`);
  }
  return names;
}

/** The optimizer's view of a model: every kernel and bias, in layer order, flagged for decay. */
export function paramsOfLayers(layers: readonly LinearLayer[], apply: DecayScope): Param[] {
  const decayed = decayedParamNames(layers, apply);
  return layers.flatMap((layer) =>
    (['kernel', 'bias'] as const).map((part) => {
      const name = `${layer.name}/${part}`;
      return { name, variable: layer[part], decay: decayed.has(name) };
    }),
  );
}

/**
 * lambda for one parameter: the coefficient when the regularizer is on and selects the parameter, else 0.
 * How lambda enters the update (before or after the preconditioner) is each optimizer's business.
 */
export function decayCoefficient(param: Param, regularization: RegularizationSpec): number {
  if (regularization.type === 'none' || !param.decay) return 0;
  return regularization.coefficient;
}
