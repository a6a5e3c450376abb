// One shard's forward and backward pass, the same code on the training thread and in every gradient
// worker (parallel/gradientWorker.ts). A step's loss is the mean cross-entropy over the whole batch of N,
// so a shard of n_k examples contributes (n_k / N) * (its own mean): the shards' gradients then sum to the
// full batch's gradient. With one shard (n_k = N) this is the ordinary step.
import { correctCount, crossEntropy } from '../evaluate';
import type { Model } from '../models/model';
import { type CrossShardSum, withCrossShardStatistics } from '../ops/batchNorm';
import { tf } from '../tf';

export interface ShardResult {
  /** (n_k / N) x the shard's mean loss: the shards' values sum to the batch's mean loss. */
  loss: tf.Scalar;
  /** Correct predictions in the shard. */
  correct: tf.Scalar;
  /** d loss / d variable, in the order of `variables`; undefined where the loss does not use it. */
  grads: (tf.Tensor | undefined)[];
}

export function shardGradients(
  model: Model,
  variables: tf.Variable[],
  x: tf.Tensor,
  labels: tf.Tensor1D,
  numClasses: number,
  batchSize: number,
  crossShard?: CrossShardSum,
): ShardResult {
  const weight = x.shape[0] / batchSize;
  let logits: tf.Tensor2D | undefined;
  const pass = () =>
    tf.variableGrads(() => {
      logits = tf.keep(model.forward(x, true));
      const mean = crossEntropy(logits, labels, numClasses);
      return weight === 1 ? mean : tf.mul(mean, weight);
    }, variables);
  const { value, grads } = crossShard ? withCrossShardStatistics(crossShard, pass) : pass();
  const correct = tf.tidy(() => correctCount(logits!, labels));
  logits!.dispose();
  return {
    loss: value,
    correct,
    grads: variables.map((v) => grads[v.name]),
  };
}
