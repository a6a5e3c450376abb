// Inference-mode evaluation (BN moving averages): the loss, the accuracy, and fixed subsets of a split
// that metrics measure on again and again (the first examples, so every measurement sees the same ones).
import { gatherBatch } from './data/batches';
import type { DataSplit } from './data/dataset';
import { readAndDispose } from './read';
import { tf } from './tf';

/** Mean softmax cross-entropy (docs/science.md section 1) of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits) as tf.Scalar;
}

export const correctCount = (logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar =>
  tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));

/** The first min(n, split.n) examples of a split, as a view (no copy). */
export function firstExamples(split: DataSplit, n: number, inputShape: readonly number[]): DataSplit {
  const k = Math.min(n, split.n);
  const size = inputShape.reduce((a, b) => a * b, 1);
  return { x: split.x.subarray(0, k * size), y: split.y.subarray(0, k), n: k };
}

/** The inputs of a whole (small) split as one tensor [n, ...inputShape]; the caller disposes it. */
export function inputsOf(split: DataSplit, inputShape: readonly number[]): tf.Tensor {
  const all = Uint32Array.from({ length: split.n }, (_, i) => i);
  return tf.tensor(gatherBatch(split, all, inputShape).x, [split.n, ...inputShape]);
}

/** Test-mode (BN moving averages) loss and accuracy over a split, in batches. */
export async function evaluate(
  model: { forward(x: tf.Tensor, training: boolean): tf.Tensor2D },
  split: DataSplit,
  inputShape: number[],
  numClasses: number,
  batchSize: number,
): Promise<{ loss: number; accuracy: number }> {
  // Per-batch [loss sum, correct] stay on the device and are read back once, at the end.
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < split.n; start += batchSize) {
    const end = Math.min(start + batchSize, split.n);
    const indices = Uint32Array.from({ length: end - start }, (_, i) => start + i);
    const batch = gatherBatch(split, indices, inputShape);
    const out = tf.tidy(() => {
      const x = tf.tensor(batch.x, [end - start, ...inputShape]);
      const y = tf.tensor1d(batch.y, 'int32');
      const logits = model.forward(x, false);
      return tf.stack([tf.mul(crossEntropy(logits, y, numClasses), end - start), correctCount(logits, y)]);
    });
    parts.push(out);
  }
  const totals = tf.tidy(() => tf.sum(tf.stack(parts), 0));
  tf.dispose(parts);
  const [lossSum, correct] = await readAndDispose(totals);
  return { loss: lossSum / split.n, accuracy: correct / split.n };
}
