import type { RegularizationSpec } from '../../spec/types';
import type { LinearLayer, Model } from '../models/model';
import type { tf } from '../tf';
import type { StatisticsPass } from './kfac/statistics';

/** A trainable parameter as the optimizer sees it. */
export interface Param {
  /** Stable name, e.g. `conv1/kernel`, `fc/bias`; used for state in checkpoints. */
  readonly name: string;
  readonly variable: tf.Variable;
  /** Whether `regularization.apply` selects this parameter for L2 / weight decay. */
  readonly decay: boolean;
}

/**
 * Every optimizer applies the regularization where the paper defines it (docs/science.md section 2):
 * L2 adds lambda*theta to the gradient before anything else (so it passes through any preconditioner);
 * weight decay is decoupled (AdamW: theta -= eta*(step + lambda*theta)); for SGD the two coincide.
 */
export interface Optimizer {
  readonly type: string;
  /** Number of steps taken so far (Adam's bias correction uses it). */
  readonly iterations: number;
  /**
   * One update with learning rate `lr` (after the schedule). `grads` maps param name -> gradient of the
   * unregularized training loss. Does not dispose the gradients. May be asynchronous when it must read a
   * value back from the device mid-step (K-FAC's KL clip): the trainer awaits it.
   */
  step(grads: Map<string, tf.Tensor>, lr: number): void | Promise<void>;
  /** Slot tensors (momentum, Adam moments) by stable name, for checkpoints. */
  getState(): Map<string, tf.Tensor>;
  setState(state: Map<string, tf.Tensor>, iterations: number): void;
  /**
   * Optional measurements of the optimizer's own state, merged into every metrics record (flat keys,
   * finite numbers only), e.g. K-FAC's `effectiveDamping/<layer>` (docs/science.md section 5). Called once per
   * record, after the step; must not change the optimizer's state or leak tensors.
   */
  metrics?(): Record<string, number> | Promise<Record<string, number>>;
  /**
   * Curvature-based optimizers (K-FAC) measure curvature on the step's batch: the trainer calls this before
   * every `step`, with the pre-update weights; the optimizer decides what its schedule makes due (factor
   * statistics every T_cov steps, inverses every T_inv; docs/science.md section 6).
   */
  updateCurvature?(model: Model, x: tf.Tensor): void | Promise<void>;
  /** Factor initialisation from several training batches before the first step ("roger init"). */
  initializeCurvature?(model: Model, batches: readonly tf.Tensor[]): void | Promise<void>;
  /**
   * Awaited by the trainer before every step's `updateCurvature`: an optimizer with work in flight (K-FAC's
   * worker-thread eigendecompositions) waits here for what this step needs. Never required for correctness
   * (without it the work is done synchronously), only for overlap.
   */
  beforeStep?(): Promise<void>;
  /** One line for the run's log and run.json: how a second-order optimizer inverts its curvature. */
  describeInverses?(): string;
  dispose(): void;
}

export interface OptimizerContext {
  params: Param[];
  regularization: RegularizationSpec;
  /** The model's linear layers, in forward order (K-FAC builds one curvature block per layer). */
  layers?: readonly LinearLayer[];
  /** Seed of the optimizer's own sampling (K-FAC's sampled targets); the trial seed. */
  seed?: number;
  /** K-FAC only: when its eigendecompositions run (kfac.ts). Absent: synchronously, used at once. */
  kfacInverses?: KfacInverseOptions;
  /** K-FAC only: where its factor statistics are computed (kfac/statistics.ts). Absent: this thread. */
  kfacStatistics?: StatisticsPass;
}

/**
 * K-FAC inverse rounds off the training thread (inverseSchedule "asynchronous"). A round due at step k
 * (k % T_inv == 0) snapshots the factors and eigendecomposes them in a worker thread while steps
 * k .. k+delay-1 keep the previous eigenbases; the new ones are swapped in at the fixed step k + delay (the
 * trainer awaits the worker there if it is late), so results never depend on timing. delay 0 = synchronous
 * at k (the first round, at step 0 or after the factors were re-initialised, is always synchronous). delay
 * is clamped to T_inv.
 */
export interface KfacInverseOptions {
  delay: number;
  /** Reference mode: compute in-thread at step k, still swap in at k + delay (bit-identical to the worker). */
  synchronous?: boolean;
  /** Test hook: a shared Int32Array[1]; the worker holds each job until its element is non-zero. */
  gate?: SharedArrayBuffer;
}

/**
 * The trainer's K-FAC inverse delay: D = T_inv, the whole period the inverses are amortised over,
 * so the worker never holds training up while one round takes less than T_inv steps. The price is staleness:
 * steps use eigenbases of factors T_inv .. 2 T_inv - 1 steps old (T_inv/2 .. T_inv - 1 more than with
 * synchronous rounds); the factors themselves are EMAs with a time constant of T_cov / (1 - 0.95) steps.
 */
export const defaultInverseDelay = (inverseEvery: number): number => inverseEvery;
