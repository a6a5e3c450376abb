// Series: the (x, y) points of one metric of one run, for the chosen x axis. Records are sparse per
// key (test metrics come once per epoch), so only records that carry the key contribute a point.
import type { MetricRecord } from '../../src/protocol/records';

export type XAxis = 'step' | 'epoch' | 'time';

export interface Point {
  x: number;
  y: number;
  /** The optimizer step: the alignment key when runs are averaged. */
  step: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Points of `key` in record order; records without the key or with a non-finite value are skipped. */
export function buildSeries(records: readonly MetricRecord[], key: string, xAxis: XAxis, from = 0): Point[] {
  const out: Point[] = [];
  for (let i = from; i < records.length; i++) {
    const r = records[i];
    const y = r[key];
    const x = r[xAxis];
    if (finite(y) && finite(x)) out.push({ x, y, step: r.step });
  }
  return out;
}

/**
 * Series of every (run, key, x axis) built once and extended as records arrive: appending a batch
 * costs the batch, not the history (live charts during training).
 */
export class SeriesCache {
  private readonly entries = new Map<string, { points: Point[]; consumed: number }>();

  get(runId: string, records: readonly MetricRecord[], key: string, xAxis: XAxis): Point[] {
    const id = `${runId}\u0000${key}\u0000${xAxis}`;
    let entry = this.entries.get(id);
    if (!entry || entry.consumed > records.length) {
      entry = { points: [], consumed: 0 };
      this.entries.set(id, entry);
    }
    if (entry.consumed < records.length) {
      for (const p of buildSeries(records, key, xAxis, entry.consumed)) entry.points.push(p);
      entry.consumed = records.length;
    }
    return entry.points;
  }

  /** Forgets a run (its records were replaced or it is no longer shown). */
  drop(runId: string): void {
    for (const id of [...this.entries.keys()]) if (id.startsWith(`${runId}\u0000`)) this.entries.delete(id);
  }
}

/** The points inside [min, max] plus one neighbour on each side, so lines reach the chart's edges. */
export function clipToRange(points: readonly Point[], min: number, max: number): Point[] {
  let lo = 0;
  while (lo < points.length && points[lo].x < min) lo++;
  let hi = points.length - 1;
  while (hi >= 0 && points[hi].x > max) hi--;
  return points.slice(Math.max(0, lo - 1), Math.min(points.length, hi + 2));
}

/** Drops points that a log axis cannot show (x or y <= 0). */
export function positiveOnly(points: readonly Point[], logX: boolean, logY: boolean): Point[] {
  if (!logX && !logY) return points as Point[];
  return points.filter((p) => (!logX || p.x > 0) && (!logY || p.y > 0));
}
