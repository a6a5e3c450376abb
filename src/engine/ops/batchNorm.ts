// Batch normalization without gamma/beta (center=False, scale=False), as in the official code
// (docs/science.md section 1). With no affine part, a layer followed by it is scale-invariant:
// BN(alpha * W x + b) = BN(W x) in training mode, up to eps (docs/science.md section 3).
import { tf } from '../tf';
import { channelMean, channelSum } from './channels';
import { customOp } from './customOp';

/** Sums per-channel vectors over every shard of a data-parallel step (parallel/shardGroup.ts allReduce). */
export type CrossShardSum = (values: Float64Array) => Float64Array;

/** Set while a data-parallel shard's step runs (withCrossShardStatistics). */
let crossShardSum: CrossShardSum | undefined;

/**
 * Runs `f` (a shard's forward and backward pass) with every training-mode BN taking its statistics over the
 * whole batch, all shards together: the full-batch BN of the paper, not ghost batch norm.
 */
export function withCrossShardStatistics<T>(sum: CrossShardSum, f: () => T): T {
  const previous = crossShardSum;
  crossShardSum = sum;
  try {
    return f();
  } finally {
    crossShardSum = previous;
  }
}

/**
 * The per-channel means, [1, C] each, of row blocks [M_k, C] over the rows of all shards: the shards' sums
 * and row counts are all-reduced in one call, and every shard divides by the same total M.
 */
function meansOverShards(parts: tf.Tensor2D[], sum: CrossShardSum): tf.Tensor2D[] {
  const channels = parts[0].shape[1];
  const local = new Float64Array(parts.length * channels + 1);
  parts.forEach((part, i) => {
    const partSum = channelSum(part);
    local.set(partSum.dataSync(), i * channels);
    partSum.dispose();
  });
  local[parts.length * channels] = parts[0].shape[0];
  const total = sum(local);
  const rows = total[parts.length * channels];
  return parts.map((_, i) =>
    tf.tensor2d(
      Float32Array.from(total.subarray(i * channels, (i + 1) * channels), (v) => v / rows),
      [1, channels],
    ),
  );
}

/**
 * Training-mode normalization y = (x - mu) / sqrt(sigma^2 + eps) over the rows (M = N*H*W examples x
 * locations) of every channel, with mu, sigma^2 the batch's own (population) statistics, and its exact
 * gradient written out instead of taped (the taped form reduces over outer axes in every broadcast's
 * backward, wasm's slow path: ops/channels.ts). The op keeps y and the scale only; x is viewed as [M, C]
 * inside it, so that no taped reshape keeps x alive too (memory: docs/performance.md):
 *     dx = s (dy - mean(dy) - y mean(dy * y)),   s = (sigma^2 + eps)^-1/2,   means over the rows.
 * Returns y (differentiable in x) and the statistics (not differentiable: only the moving averages use them).
 * In a data-parallel step every mean is over all shards' rows (withCrossShardStatistics).
 */
function normalizeRows<T extends tf.Tensor>(input: T): { y: T; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let statistics: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const channels = input.shape[input.rank - 1];
  const asRows = (t: tf.Tensor) => tf.reshape(t, [-1, channels]) as tf.Tensor2D;
  // Captured now: the backward pass runs later, and must reduce over the same shards.
  const sum = crossShardSum;
  const means = (parts: tf.Tensor2D[]) => (sum ? meansOverShards(parts, sum) : parts.map(channelMean));
  const op = customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const x = asRows(xs);
    const [mean] = means([x]);
    const centered = tf.sub(x, mean);
    const [variance] = means([tf.square(centered) as tf.Tensor2D]);
    const scale = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const y = tf.mul(centered, scale) as tf.Tensor2D;
    statistics = { mean: tf.keep(tf.reshape(mean, [-1])), variance: tf.keep(tf.reshape(variance, [-1])) };
    save([y, scale]);
    return {
      value: tf.reshape(y, xs.shape),
      gradFunc: (dyIn: tf.Tensor, saved: tf.Tensor[]) => {
        const [sy, sScale] = saved as tf.Tensor2D[];
        const dy = asRows(dyIn);
        const [meanDy, meanDyY] = means([dy, tf.mul(dy, sy) as tf.Tensor2D]);
        return [tf.reshape(tf.mul(sScale, tf.sub(tf.sub(dy, meanDy), tf.mul(sy, meanDyY))), xs.shape)];
      },
    };
  });
  const y = op(input) as T;
  // The kept statistics would outlive every tidy; their clones (which share the data) are tracked by the
  // caller's scope like any result, so a caller that drops them frees them.
  const kept = statistics!;
  const out = { y, mean: tf.clone(kept.mean), variance: tf.clone(kept.variance) };
  tf.dispose([kept.mean, kept.variance]);
  return out;
}

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

  /**
   * Training mode: normalize every channel over all other axes (NHWC images: N, H, W; vectors: N) with this
   * batch's own statistics (gradients flow through them: normalizeRows).
   */
  normalizeWithBatchStatistics<T extends tf.Tensor>(x: T): { y: T; statistics: BatchStatistics } {
    const { y, mean, variance } = normalizeRows(x);
    return { y, statistics: { mean, variance } };
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
