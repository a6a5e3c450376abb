// Plain-text tables and number formats for the terminal.
import { formatAccuracy } from '../protocol/metrics';

/** Left-aligned columns separated by two spaces; the header is underlined with dashes. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const percent = (v: number | undefined): string => (v === undefined ? '-' : formatAccuracy(v));

export const num = (v: number | undefined, digits = 4): string =>
  v === undefined ? '-' : Number.isFinite(v) ? v.toPrecision(digits) : String(v);

export const seconds = (s: number): string =>
  s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
