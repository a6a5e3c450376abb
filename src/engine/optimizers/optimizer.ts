import type { RegularizationSpec } from '../../spec/types';
import type { LinearLayer, Model } from '../models/model';
import type { tf } from '../tf';

/** A trainable parameter as the optimizer sees it. */
export interface Param {
  /** Stable name, e.g. `conv1/kernel`, `fc/bias`; used for state in checkpoints. */
  readonly name: string;
  readonly variable: tf.Variable;
  /** Whether `regularization.apply` selects this parameter for L2 / weight decay. */
  readonly decay: boolean;
}

/**
 * Every optimizer applies the regularization where the paper defines it (science.md section 2):
 * L2 adds lambda*theta to the gradient before anything else (so it passes through any preconditioner);
 * weight decay is decoupled (AdamW: theta -= eta*(step + lambda*theta)); for SGD the two coincide.
 */
export interface Optimizer {
  readonly type: string;
  /** Number of steps taken so far (Adam's bias correction uses it). */
  readonly iterations: number;
  /**
   * One update with learning rate `lr` (after the schedule). `grads` maps param name -> gradient of the
   * unregularized training loss. Does not dispose the gradients.
   */
  step(grads: Map<string, tf.Tensor>, lr: number): void;
  /** Slot tensors (momentum, Adam moments) by stable name, for checkpoints. */
  getState(): Map<string, tf.Tensor>;
  setState(state: Map<string, tf.Tensor>, iterations: number): void;
  /**
   * Optional measurements of the optimizer's own state, merged into every metrics record (flat keys,
   * finite numbers only), e.g. K-FAC's `effectiveDamping/<layer>` (science.md section 5). Called once per
   * record, after the step; must not change the optimizer's state or leak tensors.
   */
  metrics?(): Record<string, number>;
  /**
   * Curvature-based optimizers (K-FAC) measure curvature on the step's batch: the trainer calls this before
   * every `step`, with the pre-update weights; the optimizer decides what its schedule makes due (factor
   * statistics every T_cov steps, inverses every T_inv; science.md section 6).
   */
  updateCurvature?(model: Model, x: tf.Tensor): void;
  /** Factor initialisation from several training batches before the first step ("roger init"). */
  initializeCurvature?(model: Model, batches: readonly tf.Tensor[]): void;
  dispose(): void;
}

export interface OptimizerContext {
  params: Param[];
  regularization: RegularizationSpec;
  /** The model's linear layers, in forward order (K-FAC builds one curvature block per layer). */
  layers?: readonly LinearLayer[];
  /** Seed of the optimizer's own sampling (K-FAC's sampled targets); the trial seed. */
  seed?: number;
}
