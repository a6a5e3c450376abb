// Views across runs: the paper's Table 1 — rows dataset · network · setting, columns optimizer ×
// variant, each cell the final test accuracy (mean ± std over seeds) of the completed runs in it — and the
// Jacobian study's scatter plots (docs/science.md section 4, the paper's Fig. 5): one point per run, the final
// value of one metric against another (e.g. Jacobian norm vs generalization gap).
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';

const SETTING_ORDER = ['none', 'BN', 'Aug', 'BN+Aug'];

/** The last finite value of `key` in a run's records. */
export function finalValue(records: readonly MetricRecord[], key: string): number | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const v = records[i][key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

export interface CellStats {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single run. */
  std: number;
  n: number;
  runIds: string[];
}

export interface PaperTable {
  /** Column headers: optimizer, then variant. */
  columns: { optimizer: string; variant: string }[];
  rows: { dataset: string; network: string; setting: string; cells: (CellStats | null)[] }[];
  /** Completed runs with a final test accuracy that the table counts. */
  counted: number;
}

function stats(values: number[], runIds: string[]): CellStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n, runIds };
}

const rank = (order: string[], v: string): number => {
  const i = order.indexOf(v);
  return i < 0 ? order.length : i;
};

/** Variants in the paper's order: baseline, then L2, then WD, scoped variants after their plain one. */
const variantRank = (v: string): number =>
  (v === 'baseline' ? 0 : v.startsWith('L2') ? 1 : 2) * 2 + (v.includes(' ') ? 1 : 0);

/**
 * Table 1 from the runs shown: only completed runs that recorded `metric` (default the final test
 * accuracy) and know their setup; runs that differ only by seed share a cell.
 */
export function paperTable(
  runs: readonly RunView[],
  records: ReadonlyMap<string, readonly MetricRecord[]>,
  metric = 'test/accuracy',
): PaperTable {
  const cells = new Map<string, { values: number[]; ids: string[] }>();
  const rowKeys = new Map<string, { dataset: string; network: string; setting: string }>();
  const colKeys = new Map<string, { optimizer: string; optimizerRank?: number; variant: string }>();
  let counted = 0;
  for (const run of runs) {
    const s = run.setup;
    const v = run.status === 'completed' && s ? finalValue(records.get(run.id) ?? [], metric) : undefined;
    if (!s || v === undefined) continue;
    counted += 1;
    const row = JSON.stringify([s.dataset, s.network, s.setting]);
    const col = JSON.stringify([s.optimizer, s.variant]);
    rowKeys.set(row, { dataset: s.dataset, network: s.network, setting: s.setting });
    colKeys.set(col, { optimizer: s.optimizer, optimizerRank: s.optimizerRank, variant: s.variant });
    const cell = cells.get(`${row}|${col}`) ?? { values: [], ids: [] };
    cell.values.push(v);
    cell.ids.push(run.id);
    cells.set(`${row}|${col}`, cell);
  }
  const cols = [...colKeys.entries()].sort(
    ([, a], [, b]) =>
      // The optimizer registry's order (src/spec/optimizers/), carried by each run's setup.
      (a.optimizerRank ?? Number.MAX_SAFE_INTEGER) - (b.optimizerRank ?? Number.MAX_SAFE_INTEGER) ||
      a.optimizer.localeCompare(b.optimizer) ||
      variantRank(a.variant) - variantRank(b.variant) ||
      a.variant.localeCompare(b.variant),
  );
  const rows = [...rowKeys.entries()].sort(
    ([, a], [, b]) =>
      a.dataset.localeCompare(b.dataset) ||
      a.network.localeCompare(b.network) ||
      rank(SETTING_ORDER, a.setting) - rank(SETTING_ORDER, b.setting),
  );
  return {
    columns: cols.map(([, c]) => ({ optimizer: c.optimizer, variant: c.variant })),
    rows: rows.map(([rowKey, r]) => ({
      ...r,
      cells: cols.map(([colKey]) => {
        const c = cells.get(`${rowKey}|${colKey}`);
        return c ? stats(c.values, c.ids) : null;
      }),
    })),
    counted,
  };
}

export interface ScatterPoint {
  runId: string;
  x: number;
  y: number;
}

/** The Jacobian-study pairs (docs/science.md section 4, Fig. 5): x metric, y metric. */
export const SCATTER_PAIRS: readonly { x: string; y: string; title: string; help: string }[] = [
  {
    x: 'jacobianNorm',
    y: 'generalizationGap',
    title: 'Jacobian norm vs generalization gap',
    help: 'One point per run: final E‖∂f/∂x‖²_F against final test loss − train loss (the paper’s Fig. 5, §4).',
  },
  {
    x: 'kfacGnNorm',
    y: 'jacobianNorm',
    title: 'K-FAC Gauss-Newton norm vs Jacobian norm',
    help: 'One point per run: final θᵀ(A⊗S)θ against final E‖∂f/∂x‖²_F; for deep linear nets ‖θ‖²_G,KFAC = (L+1)‖J_x‖²_F (§4).',
  },
  {
    x: 'gnNorm',
    y: 'jacobianNorm',
    title: 'Gauss-Newton norm vs Jacobian norm',
    help: 'One point per run: final θᵀGθ against final E‖∂f/∂x‖²_F; for deep linear nets ‖θ‖²_G = (L+1)²‖J_x‖²_F (§4).',
  },
];

/** One point per run that has a final value of both metrics (failed or running runs included as they are). */
export function scatterPoints(
  runs: readonly RunView[],
  records: ReadonlyMap<string, readonly MetricRecord[]>,
  x: string,
  y: string,
): ScatterPoint[] {
  const out: ScatterPoint[] = [];
  for (const run of runs) {
    const list = records.get(run.id) ?? [];
    const px = finalValue(list, x);
    const py = finalValue(list, y);
    if (px !== undefined && py !== undefined) out.push({ runId: run.id, x: px, y: py });
  }
  return out;
}
