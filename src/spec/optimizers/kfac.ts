// K-FAC with the Fisher (K-FAC-F) or the Gauss-Newton matrix (K-FAC-G), as the paper's code runs it
// (docs/science.md sections 2 and 6).
import type { KfacSpec } from '../types';
import type { OptimizerDescriptor } from './descriptor';

export const KFAC_FIELDS = [
  'lr',
  'momentum',
  'damping',
  'statDecay',
  'statsEvery',
  'inverseEvery',
  'klClip',
  'dampingScheme',
  'inverseMethod',
  'inverseSchedule',
  'initStatsBatches',
] as const;

/** Momentum, and per layer its two factors, their running averages and their inverses. */
const kfacState = (_spec: KfacSpec, P: number, factors: readonly { dA: number; dS: number }[]): number =>
  P + 3 * factors.reduce((s, l) => s + l.dA ** 2 + l.dS ** 2, 0);

export const kfacF: OptimizerDescriptor<KfacSpec> = {
  type: 'kfac-f',
  displayName: 'K-FAC-F',
  article: 'a',
  summary:
    "K-FAC with the Fisher: targets sampled from the model's own predictive distribution (true Fisher). lr, momentum, damping, statDecay, statsEvery, inverseEvery, klClip, dampingScheme, inverseMethod, inverseSchedule, initStatsBatches.",
  fields: KFAC_FIELDS,
  lrDefault: 0.01,
  paper: { counterpart: 'kfac-f', inPaper: true },
  secondOrder: { curvature: 'fisher', form: 'kronecker' },
  stateFloats: kfacState,
};

export const kfacG: OptimizerDescriptor<KfacSpec> = {
  type: 'kfac-g',
  displayName: 'K-FAC-G',
  article: 'a',
  summary:
    'K-FAC with the Gauss-Newton matrix: Gaussian noise backpropagated from the logits (curvature 2 E[J^T J], the official convention). Same fields as kfac-f.',
  fields: KFAC_FIELDS,
  lrDefault: 0.01,
  paper: { counterpart: 'kfac-g', inPaper: true },
  secondOrder: { curvature: 'gaussNewton', form: 'kronecker' },
  stateFloats: kfacState,
};
