// The lines of one chart for the current view — one per visible run (plus its theory overlays), or
// per group a mean line with a min-max band; on a per-layer chart one per run (or group) and picked
// layer, in shades of the run's colour — and their points after smoothing, zoom clipping, log-axis
// filtering and decimation. No DOM and no Chart.js here: the chart panel turns lines into datasets.

import { THEORY_PREFIX } from '../../src/protocol/metrics';
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';
import type { ExportSeries } from '../data/csv';
import { decimateMinMax } from '../data/decimate';
import { type ChartSpec, layerKey } from '../data/families';
import { aggregateSeries, formatValue, groupRuns } from '../data/grouping';
import { displayLabels } from '../data/labels';
import { pickedLayers, sanitizePick } from '../data/layers';
import { layerShade, runLook, THEORY_DASH, withAlpha } from '../data/runStyle';
import { clipToRange, type Point, positiveOnly, type SeriesCache } from '../data/series';
import { smoothPoints } from '../data/smoothing';
import type { ViewState } from '../state';

export type LineRole = 'run' | 'theory' | 'mean' | 'min' | 'max';

export interface ChartPoint extends Point {
  min?: number;
  max?: number;
  n?: number;
}

export interface LineSpec {
  /** Stable across updates: `role|run-or-group|metric`. */
  id: string;
  role: LineRole;
  metric: string;
  label: string;
  /** A per-layer chart's line: its layer (named in the tooltip beside the run). */
  layer?: string;
  runIds: string[];
  color: string;
  /** Fill colour of a band's max line (filled down to its min line). */
  fill?: string;
  dash: number[];
  width: number;
  /** Extra tooltip lines: the run's sweep values and status. */
  tooltip: string[];
}

export interface LineContext {
  runs: readonly RunView[];
  records: ReadonlyMap<string, readonly MetricRecord[]>;
  state: ViewState;
  palette: readonly string[];
  cache: SeriesCache;
  /** The chart background: layer shades move away from it, generated run colours contrast with it. */
  background?: string;
}

export interface PointOptions {
  logX: boolean;
  logY: boolean;
  /** The zoomed x range, or null for everything. */
  range: readonly [number, number] | null;
  /** Decimation target (points per line). */
  target: number;
}

function runTooltip(run: RunView): string[] {
  const lines = Object.entries(run.values ?? {}).map(([k, v]) => `${k} = ${formatValue(v)}`);
  if (run.status === 'running' && run.progress) {
    const pct = Math.round((100 * run.progress.step) / Math.max(1, run.progress.totalSteps));
    lines.push(`running · ${pct}% (epoch ${run.progress.epoch.toFixed(1)}/${run.progress.epochs})`);
  } else if (run.status !== 'completed') {
    lines.push(run.status + (run.error ? `: ${run.error.split('\n')[0]}` : ''));
  }
  lines.push(run.id);
  return lines;
}

/** The theory overlays of one layer's key (a scalar chart: all of them). */
function overlaysOf(chart: ChartSpec, key: string): string[] {
  if (!chart.layers) return chart.overlays;
  const theory = `${THEORY_PREFIX}${key}`;
  return chart.overlays.includes(theory) ? [theory] : [];
}

export function lineSpecs(chart: ChartSpec, ctx: LineContext): LineSpec[] {
  const hidden = new Set(ctx.state.hidden);
  const visibleRuns = ctx.runs.filter((r) => !hidden.has(r.id));
  const pick = sanitizePick(ctx.state.layers?.[chart.id], chart.layers ?? []);
  const background = ctx.background ?? '#ffffff';
  /** The layers a run draws (a scalar chart: one unnamed "layer"). */
  const layersOf = (run: RunView): (string | undefined)[] =>
    chart.layers ? pickedLayers(chart.layers, run, pick) : [undefined];
  const shade = (color: string, i: number, n: number, layer: string | undefined) =>
    layer === undefined ? color : layerShade(color, i, n, background);
  const out: LineSpec[] = [];
  if (ctx.state.groupBy === null) {
    const labels = displayLabels(ctx.runs);
    const runName = (run: RunView) => labels.get(run.id) ?? run.id;
    ctx.runs.forEach((run, index) => {
      if (hidden.has(run.id)) return;
      const look = runLook(index, ctx.palette, ctx.background);
      const layers = layersOf(run);
      layers.forEach((layer, li) => {
        const key = layerKey(chart, layer);
        const color = shade(look.color, li, layers.length, layer);
        for (const metric of [key, ...overlaysOf(chart, key)]) {
          const theory = metric !== key;
          out.push({
            id: `${theory ? 'theory' : 'run'}|${run.id}|${metric}`,
            role: theory ? 'theory' : 'run',
            metric,
            label: theory ? `theory · ${runName(run)}` : runName(run),
            layer,
            runIds: [run.id],
            // Opaque: a translucent line loses its contrast against the background (theme palettes).
            color,
            dash: theory ? [...THEORY_DASH] : look.dash,
            width: theory ? 1.25 : 1.5,
            tooltip: runTooltip(run),
          });
        }
      });
    });
    return out;
  }
  groupRuns(ctx.runs, ctx.state.groupBy).forEach((group, index) => {
    const members = group.runIds.filter((id) => !hidden.has(id) && visibleRuns.some((r) => r.id === id));
    if (hidden.has(group.key) || members.length === 0) return;
    const look = runLook(index, ctx.palette, ctx.background);
    // A layer is drawn for the group when any member draws it; bands only where one line per group is.
    const memberRuns = visibleRuns.filter((r) => members.includes(r.id));
    const picked = new Set(memberRuns.flatMap((r) => layersOf(r)));
    const layers = chart.layers ? chart.layers.filter((l) => picked.has(l)) : [undefined];
    layers.forEach((layer, li) => {
      const key = layerKey(chart, layer);
      const color = shade(look.color, li, layers.length, layer);
      const common = {
        runIds: members,
        layer,
        tooltip: [`mean of ${members.length} run${members.length === 1 ? '' : 's'}`],
      };
      if (layers.length === 1) {
        // Band first: the min line, then the max line filled down to it, then the mean on top.
        out.push(
          {
            ...common,
            id: `min|${group.key}|${key}`,
            role: 'min',
            metric: key,
            label: `${group.label} (min)`,
            color: 'transparent',
            dash: [],
            width: 0,
          },
          {
            ...common,
            id: `max|${group.key}|${key}`,
            role: 'max',
            metric: key,
            label: `${group.label} (max)`,
            color: 'transparent',
            fill: withAlpha(color, 0.18),
            dash: [],
            width: 0,
          },
        );
      }
      out.push({
        ...common,
        id: `mean|${group.key}|${key}`,
        role: 'mean',
        metric: key,
        label: group.label,
        color,
        dash: look.dash,
        width: 1.75,
      });
      for (const metric of overlaysOf(chart, key)) {
        out.push({
          ...common,
          id: `theory|${group.key}|${metric}`,
          role: 'theory',
          metric,
          label: `theory · ${group.label}`,
          color,
          dash: [...THEORY_DASH],
          width: 1.25,
        });
      }
    });
  });
  return out;
}

/** The raw series of a line's runs for its metric, in the view's x axis. */
function memberSeries(spec: LineSpec, ctx: LineContext): Point[][] {
  return spec.runIds.map((id) => ctx.cache.get(id, ctx.records.get(id) ?? [], spec.metric, ctx.state.xAxis));
}

/** Points as drawn: smoothed (per run, before averaging), clipped to the zoom, log-safe, decimated. */
export function linePoints(spec: LineSpec, ctx: LineContext, o: PointOptions): ChartPoint[] {
  const smoothed = memberSeries(spec, ctx).map((s) => smoothPoints(s, ctx.state.smoothing));
  let points: ChartPoint[];
  if (spec.role === 'run' || (spec.role === 'theory' && ctx.state.groupBy === null)) {
    points = smoothed[0] ?? [];
  } else {
    const band = aggregateSeries(smoothed);
    const pick = spec.role === 'min' ? 'min' : spec.role === 'max' ? 'max' : 'mean';
    points = band.map((b) => ({ x: b.x, y: b[pick], step: b.step, min: b.min, max: b.max, n: b.n }));
  }
  if (o.range) points = clipToRange(points, o.range[0], o.range[1]);
  points = positiveOnly(points, o.logX, o.logY);
  // Always a fresh array: the chart owns it (and appends to it), the series cache owns its own.
  return points.length <= o.target ? points.slice() : decimateMinMax(points, o.target);
}

/**
 * Points appended since `from` (the run's series length last drawn), when a raw run line can simply
 * grow: no smoothing, grouping or zoom, and still below the decimation target. Null otherwise.
 */
export function appendablePoints(
  spec: LineSpec,
  ctx: LineContext,
  o: PointOptions,
  from: number,
  drawn: number,
): { points: ChartPoint[]; seriesLength: number } | null {
  if (spec.role !== 'run' && spec.role !== 'theory') return null;
  if (ctx.state.groupBy !== null || ctx.state.smoothing > 0 || o.range) return null;
  const series = memberSeries(spec, ctx)[0] ?? [];
  if (series.length < from) return null;
  const tail = positiveOnly(series.slice(from), o.logX, o.logY);
  if (drawn + tail.length > o.target) return null;
  return { points: tail, seriesLength: series.length };
}

export function seriesLength(spec: LineSpec, ctx: LineContext): number {
  return memberSeries(spec, ctx).reduce((n, s) => n + s.length, 0);
}

/** The raw (unsmoothed, undecimated) values of a visible line, clipped to the zoom, for CSV. */
export function exportSeries(
  spec: LineSpec,
  ctx: LineContext,
  range: readonly [number, number] | null,
): ExportSeries {
  const members = memberSeries(spec, ctx);
  let points: ChartPoint[];
  if (spec.role === 'mean' || (spec.role === 'theory' && ctx.state.groupBy !== null)) {
    points = aggregateSeries(members).map((b) => ({
      x: b.x,
      y: b.mean,
      step: b.step,
      min: b.min,
      max: b.max,
      n: b.n,
    }));
  } else {
    points = members[0] ?? [];
  }
  if (range) points = clipToRange(points, range[0], range[1]);
  return {
    series: spec.runIds.length === 1 && ctx.state.groupBy === null ? spec.runIds[0] : spec.label,
    label: spec.label,
    metric: spec.metric,
    points,
  };
}
