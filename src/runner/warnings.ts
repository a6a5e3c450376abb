// What a run that ended well on paper still needs to say: a loss that grew by orders of magnitude while
// staying finite (no divergence check fires, the run "completes") is an exploded run, and its accuracy
// means nothing. Judged from the records, against the first record's loss (at initialisation, about
// ln(classes)).
import type { MetricRecord } from '../protocol/records';

/** How many times its first value a final loss may be before the run is called exploded. */
export const EXPLOSION_FACTOR = 100;

export function lossWarnings(first: MetricRecord | undefined, final: Record<string, number>): string[] {
  const start = first?.['test/loss'] ?? first?.['train/loss'];
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
