// The engine's optimizer registry: each spec optimizer name (src/spec/optimizers/) to its update rule, one
// line each (docs/architecture.md, Adding an optimizer). The mapped type makes a missing entry a compile
// error; an unknown name at run time is an error, never a silent fallback.
import type { SpecOf } from '../../spec/optimizers';
import type { OptimizerSpec, OptimizerType } from '../../spec/types';
import { AdamOptimizer } from './adam';
import { EkfacOptimizer } from './kfac/ekfac';
import { KfacOptimizer } from './kfac/kfac';
import type { Optimizer, OptimizerContext } from './optimizer';
import { SgdOptimizer } from './sgd';

const IMPLEMENTATIONS: { [T in OptimizerType]: (spec: SpecOf<T>, ctx: OptimizerContext) => Optimizer } = {
  sgd: (spec, ctx) => new SgdOptimizer(spec, ctx),
  adam: (spec, ctx) => new AdamOptimizer(spec, ctx),
  'kfac-f': (spec, ctx) => new KfacOptimizer(spec, ctx),
  'kfac-g': (spec, ctx) => new KfacOptimizer(spec, ctx),
  'ekfac-f': (spec, ctx) => new EkfacOptimizer(spec, ctx),
  'ekfac-g': (spec, ctx) => new EkfacOptimizer(spec, ctx),
};

export function createOptimizer(spec: OptimizerSpec, ctx: OptimizerContext): Optimizer {
  const create = (
    IMPLEMENTATIONS as Record<string, ((s: OptimizerSpec, c: OptimizerContext) => Optimizer) | undefined>
  )[spec.type];
  if (!create)
    throw new Error(`no update rule for optimizer "${spec.type}" (src/engine/optimizers/registry.ts)`);
  return create(spec, ctx);
}
