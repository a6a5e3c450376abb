// Batch normalization without gamma/beta (center=False, scale=False), as in the official code
// (science.md section 1). With no affine part, a layer followed by it is scale-invariant:
// BN(alpha * W x + b) = BN(W x) in training mode, up to eps (science.md section 3).
import { tf } from '../tf';

/** Added to the variance before the square root (the official code's epsilon). */
export const BN_EPSILON = 1e-3;
/** moving <- momentum * moving + (1 - momentum) * batch (TensorFlow's convention; the official 0.99). */
export const BN_MOMENTUM = 0.99;

/** Per-channel statistics of one batch: population (biased) variance, as TF's non-fused batch norm and
 * its fused kernel with `_bessels_correction_test_only` (the default) both fold into the moving average. */
export interface BatchStatistics {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Axes every channel is normalized over: all but the last (NHWC images: N, H, W; vectors: N). */
const reductionAxes = (rank: number): number[] => Array.from({ length: rank - 1 }, (_, i) => i);

/** One BN layer's state: the moving mean and variance used at evaluation time (no trainable parameters). */
export class BatchNorm {
  readonly movingMean: tf.Variable<tf.Rank.R1>;
  readonly movingVariance: tf.Variable<tf.Rank.R1>;

  constructor(
    /** Stable name, e.g. `conv1_1.bn`; the moving statistics are `<name>.movingMean` / `.movingVariance`. */
    readonly name: string,
    readonly channels: number,
    /** Weight of the old value in the moving averages (model.batchNormMomentum; the paper's 0.99). */
    readonly momentum: number = BN_MOMENTUM,
  ) {
    // Keras/TF initial moving statistics: mean 0, variance 1.
    this.movingMean = tf.tidy(() => tf.variable(tf.zeros([channels]), false) as tf.Variable<tf.Rank.R1>);
    this.movingVariance = tf.tidy(() => tf.variable(tf.ones([channels]), false) as tf.Variable<tf.Rank.R1>);
  }

  /** Training mode: normalize with this batch's own statistics (gradients flow through them). */
  normalizeWithBatchStatistics<T extends tf.Tensor>(x: T): { y: T; statistics: BatchStatistics } {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, reductionAxes(x.rank));
      const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, BN_EPSILON))) as T;
      return { y, statistics: { mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D } };
    });
  }

  /** Evaluation mode: normalize with the moving averages. */
  normalizeWithMovingStatistics<T extends tf.Tensor>(x: T): T {
    return tf.tidy(
      () => tf.mul(tf.sub(x, this.movingMean), tf.rsqrt(tf.add(this.movingVariance, BN_EPSILON))) as T,
    );
  }

  /** Folds one batch's statistics into the moving averages (the only mutation of BN state). */
  foldIntoMovingStatistics(statistics: BatchStatistics): void {
    tf.tidy(() => {
      const fold = (moving: tf.Variable<tf.Rank.R1>, batch: tf.Tensor1D) =>
        moving.assign(tf.add(tf.mul(moving, this.momentum), tf.mul(batch, 1 - this.momentum)));
      fold(this.movingMean, statistics.mean);
      fold(this.movingVariance, statistics.variance);
    });
  }

  dispose(): void {
    this.movingMean.dispose();
    this.movingVariance.dispose();
  }
}
