// Heavy-ball SGD as the official code runs it (docs/science.md section 2):
//   g' = g + lambda*theta (decayed params);  v = mu*v + g';  theta -= eta*v
// Nesterov (PyTorch's form): theta -= eta*(g' + mu*v). momentum 0 is plain SGD, with no slot.
// L2 and weight decay take the SAME code path, so their trajectories are bit-identical (section 7 item 7).
import type { RegularizationSpec, SgdSpec } from '../../spec/types';
import { tf } from '../tf';
import type { Optimizer, OptimizerContext, Param } from './optimizer';
import { decayCoefficient } from './regularization';
import { gradientOf, restoreAll, SlotSet } from './slots';

export class SgdOptimizer implements Optimizer {
  readonly type = 'sgd';
  private t = 0;
  private readonly params: readonly Param[];
  private readonly regularization: RegularizationSpec;
  private readonly velocity: SlotSet | null;

  constructor(
    private readonly spec: SgdSpec,
    ctx: OptimizerContext,
  ) {
    this.params = ctx.params;
    this.regularization = ctx.regularization;
    this.velocity = spec.momentum > 0 ? new SlotSet(ctx.params, 'momentum') : null;
  }

  get iterations(): number {
    return this.t;
  }

  step(grads: Map<string, tf.Tensor>, lr: number): void {
    const mu = this.spec.momentum;
    tf.tidy(() => {
      for (const p of this.params) {
        const g = gradientOf(grads, p);
        if (!g) continue;
        const theta = p.variable;
        const lambda = decayCoefficient(p, this.regularization);
        // For SGD, L2 and decoupled weight decay are the same update: lambda*theta joins the gradient.
        const gReg = lambda > 0 ? tf.add(g, tf.mul(lambda, theta)) : g;
        if (!this.velocity) {
          theta.assign(tf.sub(theta, tf.mul(lr, gReg)));
          continue;
        }
        const v = this.velocity.get(p.name);
        const vNew = tf.add(tf.mul(mu, v), gReg);
        v.assign(vNew);
        const direction = this.spec.nesterov ? tf.add(gReg, tf.mul(mu, vNew)) : vNew;
        theta.assign(tf.sub(theta, tf.mul(lr, direction)));
      }
    });
    this.t += 1;
  }

  getState(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    this.velocity?.copyInto(state);
    return state;
  }

  setState(state: Map<string, tf.Tensor>, iterations: number): void {
    restoreAll(this.velocity ? [this.velocity] : [], state);
    this.t = iterations;
  }

  dispose(): void {
    this.velocity?.dispose();
  }
}
