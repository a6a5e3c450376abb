// The optimizer factory: one entry point from the spec to an Optimizer (science.md section 2).
import type { OptimizerSpec } from '../../spec/types';
import { AdamOptimizer } from './adam';
import type { Optimizer, OptimizerContext } from './optimizer';
import { SgdOptimizer } from './sgd';

export { AdamOptimizer } from './adam';
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
      // The spec validator already rejects these; this guards any other caller.
      throw new Error(`optimizer "${spec.type}" is not yet available in this version`);
  }
}
