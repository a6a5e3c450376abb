// What a run that ended well on paper still needs to say. A loss that grew by orders of magnitude while
// staying finite (no divergence check fires, the run "completes") is an exploded run, and its accuracy
// means nothing; judged from the records, against the first record's loss (at initialisation, about
// ln(classes)), for the training and the test loss alike. A final test accuracy below chance (1 / the
// dataset's classes) means the network predicts worse than a guess: a broken setup rather than a result.
// Said of a completed run: in run.json's `warnings`, after the run in `wdlab run`, in `wdlab list`, and in
// the Runs view's tooltip.
import type { MetricRecord } from '../protocol/records';

/** How many times its first value a final loss may be before the run is called exploded. */
export const EXPLOSION_FACTOR = 100;

/**
 * Every warning for a completed run: its first record, the last value of each metric, and the number of
 * classes of its dataset (spec/catalog.ts DATASET_CLASSES), when known.
 */
export function runWarnings(
  first: MetricRecord | undefined,
  final: Record<string, number>,
  classes?: number,
): string[] {
  return [...lossWarnings(first, final, classes), ...chanceWarnings(final, classes)];
}

export function lossWarnings(
  first: MetricRecord | undefined,
  final: Record<string, number>,
  classes?: number,
): string[] {
  // The test loss at step 0 is the whole test set's; without a first record, an untrained classifier's.
  const start =
    first?.['test/loss'] ??
    first?.['train/loss'] ??
    (classes !== undefined && classes > 1 ? Math.log(classes) : undefined);
  if (start === undefined || !(start > 0)) return [];
  const out: string[] = [];
  for (const key of ['train/loss', 'test/loss']) {
    const end = final[key];
    if (end !== undefined && end > EXPLOSION_FACTOR * start) {
      out.push(
        `${key} grew from ${start.toPrecision(3)} at the start to ${end.toPrecision(3)} (${(end / start).toExponential(1)}x): the run exploded without overflowing, so its accuracy means little; try a smaller optimizer.lr`,
      );
    }
  }
  return out;
}

/** A final test accuracy below chance, 1 / classes. */
export function chanceWarnings(final: Record<string, number>, classes?: number): string[] {
  const accuracy = final['test/accuracy'];
  if (accuracy === undefined || classes === undefined || !(classes > 1)) return [];
  const chance = 1 / classes;
  if (!(accuracy < chance)) return [];
  // Enough digits that the two numbers differ on screen (9.96% vs 10.00%, not 10.0% vs 10.0%).
  const digits = (accuracy * 100).toFixed(1) === (chance * 100).toFixed(1) ? 2 : 1;
  const pct = (x: number) => `${(x * 100).toFixed(digits)}%`;
  return [
    `test/accuracy ended at ${pct(accuracy)}, below chance (${pct(chance)} for ${classes} classes): the network predicts worse than a guess; look for an optimizer.lr too large for the setup, a loss that exploded, or data that does not match its labels`,
  ];
}
