// CSV (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled; lines end in CRLF
// so spreadsheet programs agree.

export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** One visible line of a chart, as exported: raw values, in long ("tidy") form. */
export interface ExportSeries {
  /** Run id, or group key when grouped. */
  series: string;
  label: string;
  metric: string;
  points: readonly { x: number; y: number; step: number; min?: number; max?: number; n?: number }[];
}

/**
 * Long format — one row per point — because runs log at different steps and a wide table would be
 * mostly empty; `pandas.read_csv(...).pivot(...)` turns it wide when needed.
 */
export function seriesToCsv(
  series: readonly ExportSeries[],
  xAxis: string,
  grouped: boolean,
  /** Named in the value columns' headers, e.g. `fraction` for accuracies (drawn in percent). */
  unit?: string,
): string {
  // The step is always a column (it is how runs line up); the chosen x axis is added when it differs.
  const xCols = xAxis === 'step' ? ['step'] : ['step', xAxis];
  const xs = (p: ExportSeries['points'][number]) => (xAxis === 'step' ? [p.step] : [p.step, p.x]);
  const u = (name: string) => (unit ? `${name} (${unit})` : name);
  const header = grouped
    ? ['group', 'metric', ...xCols, u('mean'), u('min'), u('max'), 'n']
    : ['run', 'label', 'metric', ...xCols, u('value')];
  const rows: unknown[][] = [];
  for (const s of series) {
    for (const p of s.points) {
      rows.push(
        grouped
          ? [s.label, s.metric, ...xs(p), p.y, p.min, p.max, p.n]
          : [s.series, s.label, s.metric, ...xs(p), p.y],
      );
    }
  }
  return toCsv(header, rows);
}
