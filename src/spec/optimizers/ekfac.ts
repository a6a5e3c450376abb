// E-KFAC (George et al., NeurIPS 2018): K-FAC's Kronecker eigenbasis with the eigenvalues corrected to the
// second moments of the per-example gradients projected into it (docs/science.md section 8). F and G
// variants as for K-FAC, with L2 and decoupled weight decay entering as for K-FAC (section 2).
import type { EkfacSpec } from '../types';
import type { CurvatureKind, OptimizerDescriptor } from './descriptor';

export const EKFAC_FIELDS = [
  'lr',
  'momentum',
  'damping',
  'statDecay',
  'statsEvery',
  'inverseEvery',
  'klClip',
  'initStatsBatches',
] as const;

/** Momentum; per layer the two factors, their running averages and eigenbases; the corrected eigenvalues. */
const ekfacState = (_spec: EkfacSpec, P: number, factors: readonly { dA: number; dS: number }[]): number =>
  P + factors.reduce((s, l) => s + 3 * (l.dA ** 2 + l.dS ** 2) + 2 * l.dA * l.dS, 0);

/** An E-KFAC variant: F and G differ only in their name, summary, curvature and the K-FAC they correct. */
const ekfacVariant = (
  type: EkfacSpec['type'],
  displayName: string,
  curvature: CurvatureKind,
  counterpart: 'kfac-f' | 'kfac-g',
  summary: string,
): OptimizerDescriptor<EkfacSpec> => ({
  type,
  displayName,
  article: 'an',
  summary,
  fields: EKFAC_FIELDS,
  lrDefault: 0.01,
  paper: { counterpart, inPaper: false },
  secondOrder: { curvature, form: 'eigenvalueCorrected' },
  stateFloats: ekfacState,
});

export const ekfacF = ekfacVariant(
  'ekfac-f',
  'E-KFAC-F',
  'fisher',
  'kfac-f',
  "E-KFAC with the Fisher (George et al. 2018): K-FAC-F's eigenbasis, eigenvalues re-estimated from the projected per-example gradients. lr, momentum, damping, statDecay, statsEvery, inverseEvery, klClip, initStatsBatches.",
);

export const ekfacG = ekfacVariant(
  'ekfac-g',
  'E-KFAC-G',
  'gaussNewton',
  'kfac-g',
  "E-KFAC with the Gauss-Newton matrix: K-FAC-G's sampling (output covariance 2I), eigenvalues re-estimated in the Kronecker eigenbasis. Same fields as ekfac-f.",
);
