// View state that survives tab switches and reloads (vscode.getState/setState). Anything read back is
// checked field by field: an older or foreign state must not break the view.
import { type RunTableSort, sanitizeRunTableSort } from './data/runTable';
import type { XAxis } from './data/series';

export interface ViewState {
  xAxis: XAxis;
  /** EMA weight in [0, 0.99]. */
  smoothing: number;
  /** Per chart id; absent = the chart's default. */
  logX: Record<string, boolean>;
  logY: Record<string, boolean>;
  /** A sweep key, or null for one line per run. */
  groupBy: string | null;
  /** Hidden run ids and group keys. */
  hidden: string[];
  /** Collapsed family ids. */
  collapsed: string[];
  /**
   * The runs shown (the last `showRuns`), so that an editor panel restored after a reload shows them
   * again: the extension's panel serializer reads `runIds` from this state.
   */
  runIds: string[];
  /** Per per-layer chart id: the layer picker's choice (data/layers.ts: `all`, `scaleInvariant`, `layer:<name>`). */
  layers: Record<string, string>;
  /** Per per-layer chart id: the layers × steps heatmap instead of lines. */
  heatmap: Record<string, boolean>;
  /** The chart filter's text (data/families.ts: chartMatches). */
  filter: string;
  /** The run table's sort (data/runTable.ts); null: the order the runs are shown in. */
  runTableSort: RunTableSort | null;
}

export const DEFAULT_STATE: ViewState = {
  xAxis: 'step',
  smoothing: 0,
  logX: {},
  logY: {},
  groupBy: null,
  hidden: [],
  collapsed: [],
  runIds: [],
  layers: {},
  heatmap: {},
  filter: '',
  runTableSort: null,
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const boolMap = (v: unknown): Record<string, boolean> => {
  const out: Record<string, boolean> = {};
  if (isRecord(v)) for (const [k, b] of Object.entries(v)) if (typeof b === 'boolean') out[k] = b;
  return out;
};

const stringMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, s] of Object.entries(v)) if (typeof s === 'string') out[k] = s;
  return out;
};

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

export function sanitizeState(raw: unknown): ViewState {
  if (!isRecord(raw)) {
    return {
      ...DEFAULT_STATE,
      logX: {},
      logY: {},
      hidden: [],
      collapsed: [],
      runIds: [],
      layers: {},
      heatmap: {},
    };
  }
  const xAxis = raw.xAxis === 'epoch' || raw.xAxis === 'time' ? raw.xAxis : 'step';
  const s = typeof raw.smoothing === 'number' && Number.isFinite(raw.smoothing) ? raw.smoothing : 0;
  return {
    xAxis,
    smoothing: Math.min(0.99, Math.max(0, s)),
    logX: boolMap(raw.logX),
    logY: boolMap(raw.logY),
    groupBy: typeof raw.groupBy === 'string' && raw.groupBy !== '' ? raw.groupBy : null,
    hidden: strings(raw.hidden),
    collapsed: strings(raw.collapsed),
    runIds: strings(raw.runIds),
    layers: stringMap(raw.layers),
    heatmap: boolMap(raw.heatmap),
    filter: typeof raw.filter === 'string' ? raw.filter.slice(0, 200) : '',
    runTableSort: sanitizeRunTableSort(raw.runTableSort),
  };
}
