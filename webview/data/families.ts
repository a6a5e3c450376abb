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

/** One chart: a main metric key, plus overlays drawn dashed beside it (theory predictions). */
export interface ChartSpec {
  /** The main metric key; also the chart's id (state such as log toggles is stored by it). */
  id: string;
  family: FamilyId;
  title: string;
  /** Theory overlays (`theory/<key>`), drawn dashed in the run's colour. */
  overlays: string[];
  /** One line: what the chart shows, with its formula. */
  help: string;
  /** Norms and learning rates span decades: Mechanism 1 charts open on a log y axis. */
  logYByDefault: boolean;
}

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
 * so a chart must hold one quantity), with `theory/<key>` attached to `<key>`'s chart as an overlay.
 * Families come in the paper's order; empty families are left out.
 */
export function discoverCharts(keys: readonly string[]): FamilyCharts[] {
  const keySet = new Set(keys);
  const charts: ChartSpec[] = [];
  const byId = new Map<string, ChartSpec>();
  const add = (id: string): ChartSpec => {
    let chart = byId.get(id);
    if (!chart) {
      const family = familyOf(id);
      chart = {
        id,
        family,
        title: id,
        overlays: [],
        help: helpFor(id),
        logYByDefault: parseMetricKey(id)?.def.logY === true,
      };
      byId.set(id, chart);
      charts.push(chart);
    }
    return chart;
  };
  for (const key of keys) {
    const theoryOf = key.startsWith(THEORY_PREFIX) ? key.slice(THEORY_PREFIX.length) : null;
    if (theoryOf !== null && keySet.has(theoryOf)) add(theoryOf).overlays.push(key);
    else add(key);
  }
  const order = new Map(charts.map((c, i) => [c.id, i]));
  return FAMILIES.map((family) => ({
    family,
    charts: charts
      .filter((c) => c.family === family.id)
      .sort((a, b) => {
        const byKind = rank(a.id) - rank(b.id);
        return byKind !== 0 ? byKind : order.get(a.id)! - order.get(b.id)!;
      }),
  })).filter((f) => f.charts.length > 0);
}

export { layerOf };
