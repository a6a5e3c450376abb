// The run table (data/runTable.ts shapes it): a section of its own after the verdict card, one card
// "Runs" whose title folds it: one row per run shown with its legend swatch, status, progress, backend,
// the sweep values that differ and the final metrics. A header is a button that sorts by its column
// (ascending, descending, then the shown order again); the sort lives in the view state. Rebuilt with the
// Across runs section, and only when what it shows changed, so live records cost a comparison per frame.
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';
import { groupRuns } from '../data/grouping';
import { runLook } from '../data/runStyle';
import {
  buildRunTable,
  FinalValues,
  nextSort,
  type RunTable,
  type RunTableRow,
  type RunTableSort,
  runTableCsv,
  sortRows,
} from '../data/runTable';
import type { Theme } from '../theme';
import { button, el, lineSwatch } from './dom';

/** The section's id in the view state's `collapsed` list (next to the chart families' ids). */
export const RUN_TABLE_SECTION = 'runTable';

export interface RunTableInput {
  runs: readonly RunView[];
  records: ReadonlyMap<string, readonly MetricRecord[]>;
  /** Display label of each run (legend text). */
  labels: ReadonlyMap<string, string>;
  theme: Theme;
  sort: RunTableSort | null;
  /** The legend's grouping: a run's swatch is then its group's, as the charts draw it. */
  groupBy: string | null;
  /** Runs and groups hidden in the legend: their rows are dimmed. */
  hidden: readonly string[];
}

export interface RunTableActions {
  setSort(sort: RunTableSort | null): void;
  setCollapsed(collapsed: boolean): void;
  exportCsv(name: string, csv: string): void;
  /** Inside VS Code: reveal the run's folder (the legend's ↗). */
  openRun?(runId: string): void;
}

const ARIA_SORT = { asc: 'ascending', desc: 'descending' } as const;

export class RunTableSection {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly note = el('span', { class: 'wd-note wd-run-table-note' });
  private readonly finals = new FinalValues();
  private signature = '';
  private table: RunTable = { columns: [], rows: [] };
  private sorted: RunTableRow[] = [];
  private sort: RunTableSort | null = null;

  constructor(
    private readonly actions: RunTableActions,
    collapsed: boolean,
  ) {
    // The card's title is the section's toggle: no heading row of its own, so the charts keep their
    // place above the fold (test/harness/ui-flow.mjs) with the verdict and this table above them.
    this.toggle = el(
      'button',
      {
        type: 'button',
        class: 'wd-family-toggle',
        'aria-expanded': String(!collapsed),
        'aria-controls': 'wd-run-table-body',
      },
      el('span', { class: 'wd-chevron', 'aria-hidden': 'true' }, '▾'),
      el('span', { class: 'wd-run-table-title' }, 'Runs'),
    );
    this.body = el('div', { class: 'wd-table-wrap wd-run-table-wrap', id: 'wd-run-table-body' });
    this.body.hidden = collapsed;
    this.toggle.addEventListener('click', () => {
      const open = this.toggle.getAttribute('aria-expanded') !== 'true';
      this.toggle.setAttribute('aria-expanded', String(open));
      this.body.hidden = !open;
      this.actions.setCollapsed(!open);
    });
    const card = el(
      'article',
      { class: 'wd-xcard wd-run-table', 'data-view': 'run-table', 'aria-label': 'Run table' },
      el(
        'header',
        { class: 'wd-card-head' },
        el('div', { class: 'wd-card-heading' }, el('h2', { class: 'wd-card-title' }, this.toggle), this.note),
        el(
          'div',
          { class: 'wd-card-tools', role: 'toolbar', 'aria-label': 'Run table tools' },
          button('CSV', 'Export the run table as CSV', () =>
            this.actions.exportCsv('wdlab-runs.csv', runTableCsv(this.table, this.sorted)),
          ),
        ),
      ),
      this.body,
    );
    this.element = el(
      'section',
      { class: 'wd-run-table-section', 'aria-label': 'Run table', 'data-section': RUN_TABLE_SECTION },
      card,
    );
    this.element.hidden = true;
  }

  /** Re-renders from the model; hidden when no run is shown. */
  render(input: RunTableInput): void {
    this.table = buildRunTable(input.runs, input.records, input.labels, this.finals);
    this.sort = input.sort;
    this.sorted = sortRows(this.table, input.sort);
    const looks = this.looks(input);
    const hidden = new Set(input.hidden);
    const signature = JSON.stringify([
      this.table.columns,
      this.sorted.map((r) => [r.runId, r.cells, looks.get(r.runId), hidden.has(r.runId)]),
      input.sort,
      this.actions.openRun !== undefined,
    ]);
    this.element.hidden = input.runs.length === 0;
    if (signature === this.signature) return;
    this.signature = signature;
    const n = input.runs.length;
    this.note.textContent = `${n} run${n === 1 ? '' : 's'} · final values: each run's last record that has the metric · click a header to sort`;
    const focused = this.body.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).dataset.column
      : undefined;
    this.body.replaceChildren(this.renderTable(looks, hidden));
    if (focused !== undefined) {
      this.body.querySelector<HTMLElement>(`button[data-column="${CSS.escape(focused)}"]`)?.focus();
    }
  }

  /** Each run's swatch as the legend draws it: its own look, or its group's when grouped. */
  private looks(input: RunTableInput): Map<string, { color: string; dash: number[]; band: boolean }> {
    const { palette, background } = input.theme;
    const out = new Map<string, { color: string; dash: number[]; band: boolean }>();
    if (input.groupBy === null) {
      input.runs.forEach((r, i) => {
        out.set(r.id, { ...runLook(i, palette, background), band: false });
      });
    } else {
      groupRuns(input.runs, input.groupBy).forEach((g, i) => {
        const look = runLook(i, palette, background);
        for (const id of g.runIds) out.set(id, { ...look, band: true });
      });
    }
    return out;
  }

  private renderTable(
    looks: Map<string, { color: string; dash: number[]; band: boolean }>,
    hidden: ReadonlySet<string>,
  ): HTMLTableElement {
    const { columns } = this.table;
    const head = el(
      'tr',
      {},
      ...columns.map((c) => {
        const sorted = this.sort?.column === c.id ? this.sort.direction : undefined;
        const b = el(
          'button',
          {
            type: 'button',
            class: 'wd-run-table-sort',
            'data-column': c.id,
            title: c.title
              ? `${c.title} Click to sort.`
              : sorted === 'desc'
                ? 'Sorted descending: click for the shown order'
                : `Sort by ${c.header}`,
          },
          el('span', { class: 'wd-run-table-header' }, c.header),
          el(
            'span',
            { class: 'wd-run-table-arrow', 'aria-hidden': 'true' },
            sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '',
          ),
        );
        b.addEventListener('click', () => this.actions.setSort(nextSort(this.sort, c.id)));
        return el(
          'th',
          {
            scope: 'col',
            class: c.numeric ? 'wd-num' : undefined,
            'data-column': c.id,
            'aria-sort': sorted ? ARIA_SORT[sorted] : undefined,
          },
          b,
        );
      }),
    );
    const body = this.sorted.map((row) =>
      el(
        'tr',
        { 'data-run': row.runId, class: hidden.has(row.runId) ? 'wd-run-table-off' : undefined },
        ...row.cells.map((cell, i) => {
          const column = columns[i];
          const missing = cell.sort === undefined;
          const attrs = {
            class:
              [column.numeric ? 'wd-num' : '', missing ? 'wd-empty-cell' : ''].filter(Boolean).join(' ') ||
              undefined,
            'data-column': column.id,
            title: cell.title,
          };
          if (column.kind === 'run') return this.runCell(row.runId, cell.text, looks.get(row.runId));
          if (column.kind === 'status')
            return el(
              'td',
              attrs,
              el('span', { class: `wd-run-table-status wd-run-table-status-${cell.text}` }, cell.text),
            );
          return el('td', attrs, cell.text);
        }),
      ),
    );
    return el(
      'table',
      { class: 'wd-table wd-run-table-table' },
      el('thead', {}, head),
      el('tbody', {}, ...body),
    );
  }

  private runCell(
    runId: string,
    label: string,
    look: { color: string; dash: number[]; band: boolean } | undefined,
  ): HTMLTableCellElement {
    const swatch = look ? lineSwatch(look.color, look.dash, look.band) : null;
    const open = this.actions.openRun;
    const content = open
      ? el(
          'button',
          {
            type: 'button',
            class: 'wd-run-table-open',
            'aria-label': `Open the folder of ${label}`,
          },
          swatch,
          el('span', { class: 'wd-run-table-label' }, label),
        )
      : el('span', { class: 'wd-run-table-run' }, swatch, el('span', { class: 'wd-run-table-label' }, label));
    if (open) content.addEventListener('click', () => open(runId));
    const title = `${label}\n${runId}${open ? '\nClick to open its folder' : ''}`;
    return el('th', { scope: 'row', 'data-column': 'run', title }, content);
  }
}
