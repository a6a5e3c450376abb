// Grouping runs by one sweep axis: one line per value of that axis, the mean over the runs that share it
// (the other axes, e.g. seeds) with a min-max band around it.
import type { RunView } from '../../src/protocol/runs';
import type { Point } from './series';

/** The sweep keys present in the runs' values, in order of first appearance. */
export function sweepAxes(runs: readonly RunView[]): string[] {
  const seen = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.values ?? {})) seen.add(k);
  return [...seen];
}

export const formatValue = (v: unknown): string =>
  v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);

export interface RunGroup {
  /** Stable id, e.g. `regularization.type=weightDecay`. */
  key: string;
  label: string;
  runIds: string[];
}

/** Runs by their value of `axis`, in order of first appearance; runs without the axis form one group. */
export function groupRuns(runs: readonly RunView[], axis: string): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const value = formatValue(run.values?.[axis]);
    const key = `${axis}=${value}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, label: key, runIds: [] };
      groups.set(key, g);
    }
    g.runIds.push(run.id);
  }
  return [...groups.values()];
}

export interface BandPoint {
  x: number;
  step: number;
  mean: number;
  min: number;
  max: number;
  /** How many runs had a value at this step. */
  n: number;
}

/**
 * Aligns the members' series on the optimizer step (the trials of a sweep log at the same steps; their
 * epochs agree too, their wall times do not) and reduces each step to mean, min and max. x is the
 * members' mean x at that step, so a time axis shows the group's typical time.
 */
export function aggregateSeries(members: readonly (readonly Point[])[]): BandPoint[] {
  const bySteps = new Map<number, { xs: number; ys: number[] }>();
  for (const series of members) {
    for (const p of series) {
      let cell = bySteps.get(p.step);
      if (!cell) {
        cell = { xs: 0, ys: [] };
        bySteps.set(p.step, cell);
      }
      cell.xs += p.x;
      cell.ys.push(p.y);
    }
  }
  return [...bySteps.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, { xs, ys }]) => {
      let sum = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const y of ys) {
        sum += y;
        if (y < min) min = y;
        if (y > max) max = y;
      }
      return { x: xs / ys.length, step, mean: sum / ys.length, min, max, n: ys.length };
    });
}
