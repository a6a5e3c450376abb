// K-FAC with the Fisher (K-FAC-F) or the Gauss-Newton matrix (K-FAC-G), as the paper's code runs it
// (docs/science.md sections 2 and 6).
import type { KfacSpec } from '../types';
import type { CurvatureKind, OptimizerDescriptor } from './descriptor';

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

/** A K-FAC variant: F and G differ only in their name, summary and curvature. */
const kfacVariant = (
  type: KfacSpec['type'],
  displayName: string,
  curvature: CurvatureKind,
  summary: string,
): OptimizerDescriptor<KfacSpec> => ({
  type,
  displayName,
  article: 'a',
  summary,
  fields: KFAC_FIELDS,
  lrDefault: 0.01,
  paper: { counterpart: type, inPaper: true },
  secondOrder: { curvature, form: 'kronecker' },
  stateFloats: kfacState,
});

export const kfacF = kfacVariant(
  'kfac-f',
  'K-FAC-F',
  'fisher',
  "K-FAC with the Fisher: targets sampled from the model's own predictive distribution (true Fisher). lr, momentum, damping, statDecay, statsEvery, inverseEvery, klClip, dampingScheme, inverseMethod, inverseSchedule, initStatsBatches.",
);

export const kfacG = kfacVariant(
  'kfac-g',
  'K-FAC-G',
  'gaussNewton',
  'K-FAC with the Gauss-Newton matrix: Gaussian noise backpropagated from the logits (curvature 2 E[J^T J], the official convention). Same fields as kfac-f.',
);
