// One batch's K-FAC factor statistics (docs/science.md section 6; factors.ts) as sums over its rows: per layer
// sum a a^T, sum ds ds^T and the row count M (N examples; conv: N x T locations). Sums rather than means,
// so that the shards of a data-parallel step add up: the batch's A is (sum over shards) / (total M).
import type { Model } from '../../models/model';
import { tf } from '../../tf';
import { type CurvatureKind, type LayerSample, logitGradients, sampleLayers } from './curvature';
import { blockShape, inputRows, momentSum, outputRows } from './factors';

export interface FactorSums {
  /** The layer's name (the sums cross threads: parallel/gradientWorker.ts). */
  layer: string;
  /** sum over rows of a a^T, [d_A, d_A] (homogeneous coordinate last). */
  A: tf.Tensor2D;
  /** sum over rows of ds ds^T, [d_S, d_S]. */
  S: tf.Tensor2D;
  /** Rows M summed over. */
  rows: number;
  /** Spatial locations T of the block. */
  locations: number;
}

/**
 * The statistics pass of a whole batch, given the batch's curvature noise (curvature.ts): on this thread
 * (localStatistics), or split across data-parallel threads (parallel/dataParallel.ts).
 */
export type StatisticsPass = (
  model: Model,
  x: tf.Tensor,
  kind: CurvatureKind,
  noise: tf.Tensor2D,
) => Promise<FactorSums[]>;

/** The factor sums of the examples `x` (a batch, or a shard under cross-shard BN), every layer in order. */
export function factorSums(
  model: Model,
  x: tf.Tensor,
  kind: CurvatureKind,
  noise: tf.Tensor2D,
): FactorSums[] {
  const samples = sampleLayers(model, x, (logits) => logitGradients(logits, kind, noise));
  try {
    return sumsOfSamples(samples);
  } finally {
    tf.dispose(samples.flatMap((s) => [s.input, s.grad]));
  }
}

/** The factor sums of a sampled backward pass's layer inputs and gradients (the samples stay the caller's). */
export function sumsOfSamples(samples: readonly LayerSample[]): FactorSums[] {
  return samples.map((s) =>
    tf.tidy(() => {
      const a = inputRows(s.layer, s.input);
      return {
        layer: s.layer.name,
        A: momentSum(a),
        S: momentSum(outputRows(s.grad)),
        rows: a.shape[0],
        locations: blockShape(s.layer, s.input.shape).locations,
      };
    }),
  );
}

/** The statistics pass on the training thread alone. */
export const localStatistics: StatisticsPass = async (model, x, kind, noise) =>
  factorSums(model, x, kind, noise);
