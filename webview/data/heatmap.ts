// The layers × steps view of a per-layer metric: one grid per run, a row per layer, a column per record
// step (binned when there are more steps than pixels to show them), the colour the value on a log scale
// — every layer of a VGG16 at once, where 16 lines in one chart would be a tangle.
import type { MetricRecord } from '../../src/protocol/records';

export interface HeatmapGrid {
  /** Rows, top to bottom. */
  layers: string[];
  /** Each column's last step. */
  steps: number[];
  /** rows × columns: the geometric mean of the column's positive values; NaN where there is none. */
  values: number[][];
}

/**
 * The grid of `stem`'s `layers` in one run's records: columns are the steps at which any of the layers
 * has a finite value, merged into at most `maxColumns` bins of consecutive steps (geometric mean, as the
 * colour scale is logarithmic). Values ≤ 0 cannot be shown on a log scale and count as missing.
 */
export function heatmapGrid(
  records: readonly MetricRecord[],
  stem: string,
  layers: readonly string[],
  maxColumns = 400,
): HeatmapGrid {
  const keys = layers.map((l) => `${stem}/${l}`);
  const steps: number[] = [];
  const raw: number[][] = keys.map(() => []);
  for (const r of records) {
    let any = false;
    for (const k of keys) {
      const v = r[k];
      if (typeof v === 'number' && Number.isFinite(v)) any = true;
    }
    if (!any) continue;
    steps.push(r.step);
    keys.forEach((k, i) => {
      const v = r[k];
      raw[i].push(typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : Number.NaN);
    });
  }
  const bin = Math.max(1, Math.ceil(steps.length / Math.max(1, maxColumns)));
  const columns = Math.ceil(steps.length / bin);
  const values = raw.map((row) =>
    Array.from({ length: columns }, (_, c) => {
      let sum = 0;
      let n = 0;
      for (let i = c * bin; i < Math.min(row.length, (c + 1) * bin); i++) {
        if (!Number.isNaN(row[i])) {
          sum += Math.log10(row[i]);
          n++;
        }
      }
      return n > 0 ? 10 ** (sum / n) : Number.NaN;
    }),
  );
  return {
    layers: [...layers],
    steps: Array.from({ length: columns }, (_, c) => steps[Math.min(steps.length, (c + 1) * bin) - 1]),
    values,
  };
}

/**
 * log10 of the smallest and largest value over the grids (one scale for every run of a chart, so their
 * colours compare); a constant metric gets half a decade either side. Undefined when nothing is positive.
 */
export function logRange(grids: readonly HeatmapGrid[]): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const g of grids) {
    for (const row of g.values) {
      for (const v of row) {
        if (!(v > 0)) continue;
        const l = Math.log10(v);
        if (l < lo) lo = l;
        if (l > hi) hi = l;
      }
    }
  }
  if (!Number.isFinite(lo)) return undefined;
  return hi - lo < 1e-12 ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** Viridis (matplotlib's perceptually uniform, colour-blind-safe map) at nine stops. */
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 140],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
] as const;

/** The colour of `t` in [0, 1] (clamped) on viridis, as `rgb(r, g, b)`. */
export function heatColor(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  const ch = (k: number) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${ch(0)}, ${ch(1)}, ${ch(2)})`;
}

/** Where `value` sits on the log scale `range` (0 = smallest, 1 = largest); NaN for values ≤ 0. */
export function logPosition(value: number, range: readonly [number, number]): number {
  if (!(value > 0)) return Number.NaN;
  return (Math.log10(value) - range[0]) / (range[1] - range[0]);
}
