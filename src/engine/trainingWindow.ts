// The training loss and accuracy since the last record, summed on the device: [sum of loss × batch size,
// correct predictions, first step whose loss is not finite (Infinity: none)]. Read back only when a
// record, a checkpoint or a stop needs it, so a step never waits for the device to report.
import { read } from './read';
import { tf } from './tf';

const NO_BAD_STEP = Number.POSITIVE_INFINITY;

export type WindowReading = { loss: number; accuracy: number } | { diverged: string };

export class TrainingWindow {
  private readonly sums = tf.variable(tf.tensor1d([0, 0, NO_BAD_STEP]), false) as tf.Variable<tf.Rank.R1>;
  private examples = 0;

  /** Adds a step's [mean loss, correct] (a device tensor the caller still owns) over `batchSize` examples. */
  add(stats: tf.Tensor1D, batchSize: number, step: number): void {
    tf.tidy(() => {
      const loss = tf.slice(stats, 0, 1);
      const bad = tf.where(tf.isFinite(loss), tf.fill([1], NO_BAD_STEP), tf.fill([1], step));
      this.sums.assign(
        tf.concat([
          tf.add(tf.slice(this.sums, 0, 2), tf.mul(stats, tf.tensor1d([batchSize, 1]))),
          tf.minimum(tf.slice(this.sums, 2, 1), bad),
        ]) as tf.Tensor1D,
      );
    });
    this.examples += batchSize;
  }

  /** Reads and resets the window: its mean loss and accuracy, or why training diverged. */
  async take(): Promise<WindowReading> {
    const [lossSum, correct, bad] = await read(this.sums);
    const examples = this.examples;
    this.examples = 0;
    tf.tidy(() => this.sums.assign(tf.tensor1d([0, 0, NO_BAD_STEP])));
    // No record for it: JSON has no NaN/Infinity, and every metric in metrics.jsonl is a number.
    if (Number.isFinite(bad)) return { diverged: `diverged at step ${bad} (training loss not finite)` };
    return { loss: lossSum / Math.max(examples, 1), accuracy: correct / Math.max(examples, 1) };
  }

  dispose(): void {
    this.sums.dispose();
  }
}
