// Adam with bias correction (Kingma & Ba 2015, Alg. 1, in PyTorch's form) and the paper's two
// regularizers (docs/science.md section 2):
//   L2:            g += lambda*theta BEFORE the moments, so it passes through the preconditioner;
//   weight decay:  decoupled (AdamW): theta -= eta*(adam_step + lambda*theta), a shrink of eta*lambda per step.
// adam_step = mhat/(sqrt(vhat)+eps), mhat = m/(1-b1^t), vhat = v/(1-b2^t).
import type { AdamSpec, RegularizationSpec } from '../../spec/types';
import { tf } from '../tf';
import type { Optimizer, OptimizerContext, Param } from './optimizer';
import { decayCoefficient } from './regularization';
import { gradientOf, restoreAll, SlotSet } from './slots';

export class AdamOptimizer implements Optimizer {
  readonly type = 'adam';
  private t = 0;
  private readonly params: readonly Param[];
  private readonly regularization: RegularizationSpec;
  private readonly m: SlotSet;
  private readonly v: SlotSet;

  constructor(
    private readonly spec: AdamSpec,
    ctx: OptimizerContext,
  ) {
    this.params = ctx.params;
    this.regularization = ctx.regularization;
    this.m = new SlotSet(ctx.params, 'm');
    this.v = new SlotSet(ctx.params, 'v');
  }

  get iterations(): number {
    return this.t;
  }

  step(grads: Map<string, tf.Tensor>, lr: number): void {
    const [b1, b2] = this.spec.betas;
    const t = this.t + 1;
    // Bias corrections in float64 on the host; only the final factors are cast to float32.
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const decoupled = this.regularization.type === 'weightDecay';
    tf.tidy(() => {
      for (const p of this.params) {
        const g = gradientOf(grads, p);
        if (!g) continue;
        const theta = p.variable;
        const lambda = decayCoefficient(p, this.regularization);
        const gReg = lambda > 0 && !decoupled ? tf.add(g, tf.mul(lambda, theta)) : g;
        const m = this.m.get(p.name);
        const v = this.v.get(p.name);
        const mNew = tf.add(tf.mul(b1, m), tf.mul(1 - b1, gReg));
        const vNew = tf.add(tf.mul(b2, v), tf.mul(1 - b2, tf.square(gReg)));
        m.assign(mNew);
        v.assign(vNew);
        const mHat = tf.div(mNew, bc1);
        const vHat = tf.div(vNew, bc2);
        const adamStep = tf.div(mHat, tf.add(tf.sqrt(vHat), this.spec.eps));
        const update = lambda > 0 && decoupled ? tf.add(adamStep, tf.mul(lambda, theta)) : adamStep;
        theta.assign(tf.sub(theta, tf.mul(lr, update)));
      }
    });
    this.t = t;
  }

  getState(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    this.m.copyInto(state);
    this.v.copyInto(state);
    return state;
  }

  setState(state: Map<string, tf.Tensor>, iterations: number): void {
    restoreAll([this.m, this.v], state);
    this.t = iterations;
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
