// The run table (webview/ui/runTable.ts): one row per run shown, as the runs tables of W&B, TensorBoard
// and DVC have it. Its columns: the run's label, status, progress and backend, one column per sweep key
// whose value differs among the runs, and the final metrics, each from the last record of the run that
// has the key (test accuracy is logged at extra-pass points only, so the very last record often lacks
// it). Pure data: rows, columns, formatting and sorting; no DOM.
import { formatAccuracy, METRICS, metricKey } from '../../src/protocol/metrics';
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';
import { toCsv } from './csv';
import { formatValue, sweepAxes } from './grouping';

export type SortDirection = 'asc' | 'desc';

/** A sorted column of the table: persisted in the view state (webview/state.ts `runTableSort`). */
export interface RunTableSort {
  /** A column id: `run`, `status`, `progress`, `backend`, `value:<sweep key>` or `metric:<metric key>`. */
  column: string;
  direction: SortDirection;
}

/** The final metrics, in column order: keys of the metric registry (src/protocol/metrics.ts). */
export const FINAL_METRICS: readonly string[] = [
  metricKey('test/accuracy'),
  metricKey('train/accuracy'),
  metricKey('test/loss'),
  metricKey('train/loss'),
  // Test loss − train loss (registered, logged at extra-pass points), as the Mechanism 2 charts show it.
  metricKey('generalizationGap'),
];

const FIXED_COLUMNS = new Set(['run', 'status', 'progress', 'backend']);

/** Whether `id` names a column this table can have (a fixed one, a sweep key or a final metric). */
export function isRunTableColumnId(id: string): boolean {
  if (FIXED_COLUMNS.has(id)) return true;
  if (id.startsWith('value:')) return id.length > 'value:'.length;
  if (id.startsWith('metric:')) return FINAL_METRICS.includes(id.slice('metric:'.length));
  return false;
}

/** A persisted sort read back: kept when well formed, else null (the shown order). */
export function sanitizeRunTableSort(raw: unknown): RunTableSort | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { column, direction } = raw as Record<string, unknown>;
  if (typeof column !== 'string' || column.length > 500 || !isRunTableColumnId(column)) return null;
  if (direction !== 'asc' && direction !== 'desc') return null;
  return { column, direction };
}

/** A header click: ascending, then descending, then back to the order the runs are shown in. */
export function nextSort(current: RunTableSort | null, column: string): RunTableSort | null {
  if (current?.column !== column) return { column, direction: 'asc' };
  return current.direction === 'asc' ? { column, direction: 'desc' } : null;
}

export interface RunTableColumn {
  id: string;
  kind: 'run' | 'status' | 'progress' | 'backend' | 'value' | 'metric';
  header: string;
  /** Numbers: right-aligned. */
  numeric: boolean;
  /** The CSV's header (accuracies are fractions there, and say so). */
  csvHeader: string;
  /** A tooltip for the header (a metric's definition). */
  title?: string;
}

export interface RunTableCell {
  text: string;
  /** What the column sorts by: numbers numerically, strings as text; undefined sorts last. */
  sort: number | string | undefined;
  /** The CSV field: raw numbers (accuracies as fractions). */
  csv: unknown;
  title?: string;
}

export interface RunTableRow {
  runId: string;
  /** The run's place among the runs shown: the default order, its legend colour, ties when sorting. */
  index: number;
  /** One per column, in column order. */
  cells: RunTableCell[];
}

export interface RunTable {
  columns: RunTableColumn[];
  rows: RunTableRow[];
}

export const MISSING = '—';

/** Accuracies as the rest of the view (and the Runs view, the CLI) show them: the registry's formatter. */
export { formatAccuracy };

/** A loss with 4 significant digits. */
export function formatLoss(v: number): string {
  return v.toPrecision(4);
}

/** How far the run got, as a fraction of all its steps: 1 when completed, undefined when unknown. */
export function progressFraction(run: RunView): number | undefined {
  if (run.status === 'completed') return 1;
  const p = run.progress;
  if (!p || !(p.totalSteps > 0) || !Number.isFinite(p.step)) return undefined;
  return Math.min(1, Math.max(0, p.step / p.totalSteps));
}

/** Progress as the legend rounds it: `38%`, `100%` when completed, `—` when unknown. */
export function formatProgress(run: RunView): string {
  const f = progressFraction(run);
  return f === undefined ? MISSING : `${Math.round(100 * f)}%`;
}

/** The sweep keys whose value is not the same in every run shown (a key some runs lack differs too). */
export function differingSweepKeys(runs: readonly RunView[]): string[] {
  return sweepAxes(runs).filter((k) => new Set(runs.map((r) => formatValue(r.values?.[k]))).size > 1);
}

/** The value of each key in the last record that has it (not the last record overall). */
export function lastValues(
  records: readonly MetricRecord[],
  keys: readonly string[] = FINAL_METRICS,
): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = records.length - 1; i >= 0 && out.size < keys.length; i--) {
    const r = records[i];
    for (const k of keys) {
      if (out.has(k)) continue;
      const v = r[k];
      if (typeof v === 'number' && Number.isFinite(v)) out.set(k, v);
    }
  }
  return out;
}

/**
 * The final values of each run, kept up to date incrementally: a run's records only grow between
 * resets (webview/model.ts), so each rebuild reads only the records added since the previous one.
 */
export class FinalValues {
  private readonly runs = new Map<
    string,
    { records: readonly MetricRecord[]; read: number; values: Map<string, number> }
  >();

  constructor(private readonly keys: readonly string[] = FINAL_METRICS) {}

  of(runId: string, records: readonly MetricRecord[]): ReadonlyMap<string, number> {
    let entry = this.runs.get(runId);
    // A new array (the first records, a reset) or a shorter one: read it again from the start.
    if (!entry || entry.records !== records || records.length < entry.read) {
      entry = { records, read: 0, values: new Map() };
      this.runs.set(runId, entry);
    }
    for (let i = entry.read; i < records.length; i++) {
      const r = records[i];
      for (const k of this.keys) {
        const v = r[k];
        if (typeof v === 'number' && Number.isFinite(v)) entry.values.set(k, v);
      }
    }
    entry.read = records.length;
    return entry.values;
  }

  /** Forgets the runs no longer shown. */
  retain(runIds: Iterable<string>): void {
    const keep = new Set(runIds);
    for (const id of this.runs.keys()) if (!keep.has(id)) this.runs.delete(id);
  }
}

const DEFS = new Map(METRICS.map((d) => [d.stem, d]));

const cell = (text: string, sort: number | string | undefined, csv: unknown, title?: string) => ({
  text,
  sort,
  csv,
  title,
});

/** The table of the runs shown: rows in the order the runs are shown (sortRows orders them). */
export function buildRunTable(
  runs: readonly RunView[],
  records: ReadonlyMap<string, readonly MetricRecord[]>,
  labels: ReadonlyMap<string, string>,
  finals: FinalValues = new FinalValues(),
): RunTable {
  finals.retain(runs.map((r) => r.id));
  const finalOf = runs.map((r) => finals.of(r.id, records.get(r.id) ?? []));
  const keys = differingSweepKeys(runs);
  // A final metric no shown run has (yet) gets no column: the table holds what was measured.
  const metrics = FINAL_METRICS.filter((k) => finalOf.some((f) => f.has(k)));
  const columns: RunTableColumn[] = [
    { id: 'run', kind: 'run', header: 'Run', numeric: false, csvHeader: 'label' },
    { id: 'status', kind: 'status', header: 'Status', numeric: false, csvHeader: 'status' },
    { id: 'progress', kind: 'progress', header: 'Progress', numeric: true, csvHeader: 'progress (fraction)' },
    { id: 'backend', kind: 'backend', header: 'Backend', numeric: false, csvHeader: 'backend' },
    ...keys.map(
      (k): RunTableColumn => ({
        id: `value:${k}`,
        kind: 'value',
        header: k,
        numeric: runs.every((r) => r.values?.[k] === undefined || typeof r.values[k] === 'number'),
        csvHeader: k,
      }),
    ),
    ...metrics.map((k): RunTableColumn => {
      const def = DEFS.get(k);
      const fraction = def?.unit === 'fraction';
      return {
        id: `metric:${k}`,
        kind: 'metric',
        header: fraction ? `${k} (%)` : k,
        numeric: true,
        csvHeader: fraction ? `${k} (fraction)` : k,
        title: def ? `${def.help} Final value: the last record that has it.` : undefined,
      };
    }),
  ];
  const rows = runs.map((run, index): RunTableRow => {
    const label = labels.get(run.id) ?? run.id;
    const reason = run.status === 'failed' && run.error ? run.error.split('\n')[0] : undefined;
    const progress = progressFraction(run);
    const cells: RunTableCell[] = [
      cell(label, label, label, run.id),
      cell(run.status, run.status, run.status, reason),
      cell(formatProgress(run), progress, progress),
      cell(run.backend || MISSING, run.backend || undefined, run.backend),
      ...keys.map((k) => {
        const v = run.values?.[k];
        if (v === undefined) return cell(MISSING, undefined, undefined);
        const text = formatValue(v);
        return cell(text, typeof v === 'number' ? v : text, typeof v === 'number' ? v : text);
      }),
      ...metrics.map((k) => {
        const v = finalOf[index].get(k);
        if (v === undefined) return cell(MISSING, undefined, undefined);
        const text = DEFS.get(k)?.unit === 'fraction' ? formatAccuracy(v) : formatLoss(v);
        return cell(text, v, v);
      }),
    ];
    return { runId: run.id, index, cells };
  });
  return { columns, rows };
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Numbers before text in a column that mixes them.
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}

/**
 * The rows sorted by a column: numbers numerically, text as text, missing values last in either
 * direction, ties in the order the runs are shown. No sort, or a column the table does not have: the
 * shown order.
 */
export function sortRows(table: RunTable, sort: RunTableSort | null): RunTableRow[] {
  const byShown = [...table.rows].sort((a, b) => a.index - b.index);
  const c = sort ? table.columns.findIndex((col) => col.id === sort.column) : -1;
  if (!sort || c < 0) return byShown;
  const sign = sort.direction === 'asc' ? 1 : -1;
  return byShown.sort((x, y) => {
    const a = x.cells[c].sort;
    const b = y.cells[c].sort;
    const missingA = a === undefined || (typeof a === 'number' && Number.isNaN(a));
    const missingB = b === undefined || (typeof b === 'number' && Number.isNaN(b));
    if (missingA || missingB) return missingA && missingB ? x.index - y.index : missingA ? 1 : -1;
    return sign * compareValues(a, b) || x.index - y.index;
  });
}

/** The table as CSV, rows in the given order: run id first, raw values (accuracies as fractions). */
export function runTableCsv(table: RunTable, rows: readonly RunTableRow[] = table.rows): string {
  return toCsv(
    ['run', ...table.columns.map((c) => c.csvHeader)],
    rows.map((r) => [r.runId, ...r.cells.map((c) => c.csv)]),
  );
}
