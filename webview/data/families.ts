// Metric families: the charts are organised by the paper's three mechanisms. Charts are discovered from
// the keys present in the records (nothing is configured per run); each key's section, order, help text
// and log-axis default come from the metric registry (src/protocol/metrics.ts), and a key it does not
// know lands in "Other".
import {
  AXIS_KEYS,
  METRIC_FAMILIES,
  METRICS,
  type MetricFamily,
  parseMetricKey,
  THEORY_PREFIX,
} from '../../src/protocol/metrics';

export type FamilyId = MetricFamily;

export interface Family {
  id: FamilyId;
  title: string;
}

export const FAMILIES: readonly Family[] = METRIC_FAMILIES;

/**
 * One chart: a main metric key, plus overlays drawn dashed beside it (theory predictions). A per-layer
 * metric (registry `perLayer`) is one chart for all its layers: its id is the stem (`weightNorm`), its
 * keys are `<stem>/<layer>` for each of `layers`.
 */
export interface ChartSpec {
  /** The main metric key, or a per-layer metric's stem; also the chart's id (state such as log toggles is stored by it). */
  id: string;
  family: FamilyId;
  title: string;
  /** Theory overlays (`theory/<key>`, for a per-layer chart `theory/<stem>/<layer>`), drawn dashed in the run's colour. */
  overlays: string[];
  /** One line: what the chart shows, with its formula. */
  help: string;
  /** Norms and learning rates span decades: Mechanism 1 charts open on a log y axis. */
  logYByDefault: boolean;
  /** A per-layer chart's layers, in order of first appearance; absent for a scalar metric. */
  layers?: string[];
  /** Values are fractions shown as percent on the axis and in tooltips (accuracies). */
  percent?: boolean;
}

/** The metric key of one layer of a chart (the chart's id itself for a scalar chart). */
export const layerKey = (chart: ChartSpec, layer: string | undefined): string =>
  chart.layers && layer !== undefined ? `${chart.id}/${layer}` : chart.id;

export interface FamilyCharts {
  family: Family;
  charts: ChartSpec[];
}

export { AXIS_KEYS };

/** `weightNorm/conv1` -> `conv1`; keys without a layer (or unknown to the registry) -> ''. */
const layerOf = (key: string): string => parseMetricKey(key)?.layer ?? '';

export function familyOf(key: string): FamilyId {
  const base = key.startsWith(THEORY_PREFIX) ? key.slice(THEORY_PREFIX.length) : key;
  return parseMetricKey(base)?.def.family ?? 'other';
}

export function helpFor(key: string): string {
  const parsed = parseMetricKey(key);
  if (!parsed) return `The metric "${key}" as logged by the trainer.`;
  return parsed.theory ? `Theory prediction of: ${parsed.def.help}` : parsed.def.help;
}

/** Every metric key of the records, in order of first appearance (axis keys excluded). */
export function metricKeys(recordSets: Iterable<readonly Record<string, unknown>[]>): string[] {
  const seen = new Set<string>(AXIS_KEYS);
  const out: string[] = [];
  for (const records of recordSets) {
    for (const r of records) {
      for (const k in r) {
        if (!seen.has(k)) {
          seen.add(k);
          out.push(k);
        }
      }
    }
  }
  return out;
}

/** Position of a key inside its family: the registry's order first, then by first appearance. */
function rank(key: string): number {
  const def = parseMetricKey(key)?.def;
  return def ? METRICS.indexOf(def) : Number.MAX_SAFE_INTEGER;
}

/**
 * Groups metric keys into families and charts: one chart per key (TensorBoard's choice: lines are runs,
 * so a chart must hold one quantity), except per-layer metrics, one chart per stem with a line per run
 * and layer (a VGG16 would otherwise fill Mechanism 1 with 40 charts); `theory/<key>` is attached to
 * `<key>`'s chart as an overlay. Families come in the paper's order; empty families are left out.
 */
export function discoverCharts(keys: readonly string[]): FamilyCharts[] {
  const keySet = new Set(keys);
  const charts: ChartSpec[] = [];
  const byId = new Map<string, ChartSpec>();
  const add = (id: string, perLayer = false): ChartSpec => {
    let chart = byId.get(id);
    if (!chart) {
      const def = perLayer ? METRICS.find((d) => d.stem === id) : parseMetricKey(id)?.def;
      chart = {
        id,
        family: def?.family ?? familyOf(id),
        title: perLayer ? `${id} · per layer` : id,
        overlays: [],
        help: perLayer && def ? def.help : helpFor(id),
        logYByDefault: def?.logY === true,
      };
      if (perLayer) chart.layers = [];
      if (def?.unit === 'fraction') chart.percent = true;
      byId.set(id, chart);
      charts.push(chart);
    }
    return chart;
  };
  for (const key of keys) {
    const theoryOf = key.startsWith(THEORY_PREFIX) ? key.slice(THEORY_PREFIX.length) : null;
    const parsed = parseMetricKey(theoryOf ?? key);
    const layer = parsed?.def.perLayer ? parsed.layer : undefined;
    if (theoryOf !== null && keySet.has(theoryOf)) {
      add(layer === undefined ? theoryOf : parsed!.def.stem, layer !== undefined).overlays.push(key);
    } else if (theoryOf === null && layer !== undefined) {
      const chart = add(parsed!.def.stem, true);
      if (!chart.layers!.includes(layer)) chart.layers!.push(layer);
    } else add(key);
  }
  const order = new Map(charts.map((c, i) => [c.id, i]));
  const rankOf = (c: ChartSpec) => (c.layers ? METRICS.findIndex((d) => d.stem === c.id) : rank(c.id));
  return FAMILIES.map((family) => ({
    family,
    charts: charts
      .filter((c) => c.family === family.id)
      .sort((a, b) => {
        const byKind = rankOf(a) - rankOf(b);
        return byKind !== 0 ? byKind : order.get(a.id)! - order.get(b.id)!;
      }),
  })).filter((f) => f.charts.length > 0);
}

/**
 * The chart filter: every whitespace-separated term of `query` must occur (case-insensitively) in the
 * chart's key, title, or a layer's key (`weightNorm/conv3` finds the weightNorm chart). Empty: all.
 */
export function chartMatches(chart: ChartSpec, query: string): boolean {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const hay = [chart.id, chart.title, ...(chart.layers ?? []).map((l) => `${chart.id}/${l}`)]
    .join('\n')
    .toLowerCase();
  return terms.every((t) => hay.includes(t));
}

/** The families and charts that the filter keeps; families left empty are dropped. */
export function filterCharts(families: readonly FamilyCharts[], query: string): FamilyCharts[] {
  return families
    .map((f) => ({ family: f.family, charts: f.charts.filter((c) => chartMatches(c, query)) }))
    .filter((f) => f.charts.length > 0);
}

export { layerOf };
