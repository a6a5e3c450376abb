// Adam with bias correction; weight decay is decoupled (AdamW), L2 joins the gradient (docs/science.md
// section 2).
import type { AdamSpec } from '../types';
import type { OptimizerDescriptor } from './descriptor';

export const adam: OptimizerDescriptor<AdamSpec> = {
  type: 'adam',
  displayName: 'Adam',
  article: 'an',
  summary: 'Adam with bias correction: lr, betas, eps. Weight decay is decoupled (AdamW).',
  fields: ['lr', 'betas', 'eps'],
  paper: { counterpart: 'adam', inPaper: true },
  lrDefault: 0.001,
  // Adam's step does not scale with the gradient, so the direction turns by about η/‖W‖ (first power;
  // docs/science.md section 3).
  effectiveLr: { stem: 'effectiveLrAdam', of: (lr, norm) => lr / norm },
  // AdamW: √(2ηλ(1−β₁)/(1+β₁)); Adam + L2 has no closed form (λθ is preconditioned).
  equilibriumAngle(spec, regularization, lr) {
    const lambda = regularization.coefficient;
    if (regularization.type !== 'weightDecay' || !(lambda > 0)) return undefined;
    const b1 = spec.betas[0];
    return Math.sqrt((2 * lr * lambda * (1 - b1)) / (1 + b1));
  },
  stateFloats: (_spec, P) => 2 * P,
};
