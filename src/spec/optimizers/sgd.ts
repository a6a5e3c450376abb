// SGD with heavy-ball or Nesterov momentum (docs/science.md section 2: L2 and weight decay are the same
// update for SGD).
import type { SgdSpec } from '../types';
import type { OptimizerDescriptor } from './descriptor';

export const sgd: OptimizerDescriptor<SgdSpec> = {
  type: 'sgd',
  displayName: 'SGD',
  article: 'an',
  summary: 'SGD with heavy-ball momentum: lr, momentum, nesterov. L2 and weight decay are identical.',
  fields: ['lr', 'momentum', 'nesterov'],
  paper: { counterpart: 'sgd', inPaper: true },
  lrDefault: 0.1,
  // The direction W/‖W‖ moves with η/‖W‖² (docs/science.md section 3).
  effectiveLr: { stem: 'effectiveLr', of: (lr, norm) => lr / (norm * norm) },
  // At equilibrium the shrink by weight decay balances the growth by orthogonal gradient steps:
  //   heavy ball μ: √(2ηλ/(1+μ));  Nesterov μ: √(2ηλ(1+2μ−2μ³)/(1+μ)) (derived in docs/science.md
  //   section 3; checked by simulation in test/unit/engine/mechanisms1.test.ts).
  equilibriumAngle(spec, regularization, lr) {
    const lambda = regularization.coefficient;
    if (regularization.type === 'none' || !(lambda > 0)) return undefined;
    const mu = spec.momentum;
    const nesterov = spec.nesterov && mu > 0 ? 1 + 2 * mu - 2 * mu ** 3 : 1;
    return Math.sqrt((2 * lr * lambda * nesterov) / (1 + mu));
  },
  stateFloats: (spec, P) => (spec.momentum > 0 ? P : 0),
};
