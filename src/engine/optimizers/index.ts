// The optimizer factory: one entry point from the spec to an Optimizer (science.md section 2).
import type { OptimizerSpec } from '../../spec/types';
import { AdamOptimizer } from './adam';
import { KfacOptimizer } from './kfac/kfac';
import type { Optimizer, OptimizerContext } from './optimizer';
import { SgdOptimizer } from './sgd';

export { AdamOptimizer } from './adam';
export { KfacOptimizer } from './kfac/kfac';
export type { Optimizer, OptimizerContext, Param } from './optimizer';
export type { ScopedLayer } from './regularization';
export { decayCoefficient, decayedParamNames, layerIsDecayed, paramsOfLayers } from './regularization';
export { SgdOptimizer } from './sgd';

export function createOptimizer(spec: OptimizerSpec, ctx: OptimizerContext): Optimizer {
  switch (spec.type) {
    case 'sgd':
      return new SgdOptimizer(spec, ctx);
    case 'adam':
      return new AdamOptimizer(spec, ctx);
    case 'kfac-f':
    case 'kfac-g':
      return new KfacOptimizer(spec, ctx);
  }
}
