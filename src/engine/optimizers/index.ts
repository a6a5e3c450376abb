// The optimizer factory: one entry point from the spec to an Optimizer (docs/science.md section 2).

export { AdamOptimizer } from './adam';
export { EkfacOptimizer } from './kfac/ekfac';
export { KfacOptimizer } from './kfac/kfac';
export type { Optimizer, OptimizerContext, Param } from './optimizer';
export { createOptimizer } from './registry';
export type { ScopedLayer } from './regularization';
export { decayCoefficient, decayedParamNames, layerIsDecayed, paramsOfLayers } from './regularization';
export { SgdOptimizer } from './sgd';
