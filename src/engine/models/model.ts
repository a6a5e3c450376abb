import type { tf } from '../tf';

/**
 * A linear layer (dense or conv) with everything the optimizers and the mechanism metrics need to reach
 * (docs/architecture.md, Engine): its weight and bias, and whether it is scale-invariant — followed by BN
 * without affine, so L(alpha * kernel) = L(kernel) (docs/science.md sections 1 and 3).
 */
export interface LinearLayer {
  /** Stable, human-readable name used in metric keys, e.g. `conv1`, `stage2.block1.conv2`, `fc`. */
  readonly name: string;
  readonly kind: 'dense' | 'conv';
  /** dense: [in, out]; conv: [kh, kw, inChannels, outChannels] (tfjs NHWC layout). */
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly scaleInvariant: boolean;
  /** The final (classifier) layer: what `regularization.apply: fc` decays. */
  readonly isLast: boolean;
  /** conv only. */
  readonly strides?: number;
  readonly padding?: 'same' | 'valid';
}

export interface Model {
  readonly arch: 'mlp' | 'vgg' | 'resnet';
  /** Input shape without the batch dimension: [32, 32, 3] for images, [d] for vectors. */
  readonly inputShape: number[];
  readonly numClasses: number;
  /** Every linear layer in forward order; the last one has isLast = true. */
  readonly layers: LinearLayer[];
  /**
   * Logits [batch, numClasses]. training = true uses batch statistics in BN (docs/science.md section 1);
   * training = false uses the moving averages. Never updates any state: see updateBatchNormStats.
   */
  forward(x: tf.Tensor, training: boolean): tf.Tensor2D;
  /**
   * Runs a training-mode forward pass and folds the batch statistics into the BN moving averages
   * (momentum 0.99, as the official code). Called once per step outside the gradient tape.
   */
  updateBatchNormStats(x: tf.Tensor): void;
  /** Trainable variables: every kernel and bias, in layer order. */
  trainableVariables(): tf.Variable[];
  /** Non-trainable state that a checkpoint must keep (BN moving means and variances), by stable name. */
  stateVariables(): Map<string, tf.Variable>;
  /** Number of trainable scalars. */
  parameterCount(): number;
  dispose(): void;
}
