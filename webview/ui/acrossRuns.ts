// The "Across runs" section: the paper's Table 1 as an HTML table (final test accuracy,
// mean ± std over seeds, per dataset · network · setting row and optimizer × variant column) and the
// Jacobian study's scatter charts (one point per run). Rebuilt from the run model whenever it changes;
// both are small (a cell per setup, a point per run), so no decimation or incremental update is needed.
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';
import { Chart } from '../charts/setup';
import { paperTable, SCATTER_PAIRS, scatterPoints } from '../data/acrossRuns';
import { toCsv } from '../data/csv';
import { runLook } from '../data/runStyle';
import type { Theme } from '../theme';
import { button, el } from './dom';

export interface AcrossRunsInput {
  runs: readonly RunView[];
  records: ReadonlyMap<string, readonly MetricRecord[]>;
  /** Display label of each run (legend text). */
  labels: ReadonlyMap<string, string>;
  theme: Theme;
}

/** Marker shapes, one per palette cycle (the line charts' dash patterns, RUN_DASHES, play that part). */
const POINT_STYLES = ['circle', 'rect', 'triangle', 'rectRot', 'star'] as const;

/** A card of this section: a title (and optional tools) over a one-line note and the body. */
function card(
  attrs: Record<string, string>,
  title: string,
  note: string,
  body: HTMLElement,
  tools?: HTMLElement,
): HTMLElement {
  return el(
    'article',
    attrs,
    el(
      'header',
      { class: 'wd-card-head' },
      el('div', { class: 'wd-card-heading' }, el('h3', { class: 'wd-card-title' }, title)),
      tools,
    ),
    el('p', { class: 'wd-note' }, note),
    body,
  );
}

const pct = (v: number): string => (100 * v).toFixed(2);

export class AcrossRunsSection {
  readonly element: HTMLElement;
  private readonly tableCard: HTMLElement;
  private readonly tableBody = el('div', { class: 'wd-table-wrap' });
  private readonly scatterCards = new Map<string, { card: HTMLElement; chart: Chart<'scatter'> | null }>();
  private readonly grid = el('div', { class: 'wd-grid' });
  private lastCsv = '';

  constructor(private readonly exportCsv: (name: string, csv: string) => void) {
    this.tableCard = card(
      { class: 'wd-xcard wd-card-wide', 'data-view': 'paper-table', 'aria-label': 'Table 1 view' },
      'Table 1 · final test accuracy (%)',
      'Completed runs, grouped as in the paper: mean ± std over the runs of a cell (seeds), n runs. Empty where nothing ran yet.',
      this.tableBody,
      el(
        'div',
        { class: 'wd-card-tools', role: 'toolbar', 'aria-label': 'Table tools' },
        button('CSV', 'Save the table as CSV', () => this.exportCsv('wdlab-table1.csv', this.lastCsv)),
      ),
    );
    this.element = el(
      'section',
      { class: 'wd-across', 'aria-label': 'Across runs' },
      el('h2', {}, 'Across runs'),
      this.grid,
    );
  }

  /** Drops the scatter charts (a theme change): the next render draws them with the new colours. */
  reset(): void {
    for (const s of this.scatterCards.values()) s.chart?.destroy();
    this.scatterCards.clear();
  }

  /** Re-renders from the model; hides itself when nothing spans runs. */
  render(input: AcrossRunsInput): void {
    const table = paperTable(input.runs, input.records);
    const showTable = table.counted > 0 && input.runs.length > 1;
    if (showTable) this.renderTable(table);
    const cards: HTMLElement[] = showTable ? [this.tableCard] : [];
    const wanted = new Set<string>();
    for (const pair of SCATTER_PAIRS) {
      const points = scatterPoints(input.runs, input.records, pair.x, pair.y);
      if (points.length < 2) continue;
      const id = `${pair.x}|${pair.y}`;
      wanted.add(id);
      cards.push(this.scatter(id, pair, points, input));
    }
    for (const [id, s] of this.scatterCards) {
      if (wanted.has(id)) continue;
      s.chart?.destroy();
      this.scatterCards.delete(id);
    }
    if (cards.length !== this.grid.children.length || cards.some((c, i) => this.grid.children[i] !== c)) {
      this.grid.replaceChildren(...cards);
    }
    this.element.hidden = cards.length === 0;
  }

  private renderTable(table: ReturnType<typeof paperTable>): void {
    const optimizers = [...new Set(table.columns.map((c) => c.optimizer))];
    const head1 = el(
      'tr',
      {},
      el('th', { rowspan: '2', scope: 'col' }, 'dataset'),
      el('th', { rowspan: '2', scope: 'col' }, 'network'),
      el('th', { rowspan: '2', scope: 'col' }, 'setting'),
      ...optimizers.map((o) =>
        el(
          'th',
          { colspan: String(table.columns.filter((c) => c.optimizer === o).length), scope: 'colgroup' },
          o,
        ),
      ),
    );
    const head2 = el('tr', {}, ...table.columns.map((c) => el('th', { scope: 'col' }, c.variant)));
    const body = table.rows.map((r) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, r.dataset),
        el('td', {}, r.network),
        el('td', {}, r.setting),
        ...r.cells.map((c) =>
          c
            ? el(
                'td',
                { class: 'wd-num', title: `${c.n} run${c.n === 1 ? '' : 's'}: ${c.runIds.join(', ')}` },
                `${pct(c.mean)}${c.n > 1 ? ` ± ${pct(c.std)}` : ''}`,
                el('span', { class: 'wd-n' }, ` n=${c.n}`),
              )
            : el('td', { class: 'wd-num wd-empty-cell' }, '—'),
        ),
      ),
    );
    this.tableBody.replaceChildren(
      el('table', { class: 'wd-table' }, el('thead', {}, head1, head2), el('tbody', {}, ...body)),
    );
    // The table shows percent; the CSV keeps the records' fractions and says so.
    const header = [
      'dataset',
      'network',
      'setting',
      'optimizer',
      'variant',
      'mean (fraction)',
      'std (fraction)',
      'n',
    ];
    const rows = table.rows.flatMap((r) =>
      r.cells.flatMap((c, i) =>
        c
          ? [
              [
                r.dataset,
                r.network,
                r.setting,
                table.columns[i].optimizer,
                table.columns[i].variant,
                c.mean,
                c.std,
                c.n,
              ],
            ]
          : [],
      ),
    );
    this.lastCsv = toCsv(header, rows);
  }

  private scatter(
    id: string,
    pair: (typeof SCATTER_PAIRS)[number],
    points: { runId: string; x: number; y: number }[],
    input: AcrossRunsInput,
  ): HTMLElement {
    let entry = this.scatterCards.get(id);
    if (!entry) {
      const canvas = el('canvas', { role: 'img', 'aria-label': `Scatter chart of ${pair.title}` });
      entry = {
        card: card(
          { class: 'wd-xcard', 'data-scatter': id, 'aria-label': `${pair.title} chart` },
          pair.title,
          pair.help,
          el('div', { class: 'wd-card-body' }, canvas),
        ),
        chart: null,
      };
      this.scatterCards.set(id, entry);
      // The canvas needs a size: the chart is made once the card is in the document.
      requestAnimationFrame(() => this.draw(id, canvas, pair, points, input));
    } else if (entry.chart) {
      this.fill(entry.chart, points, input);
      entry.chart.update('none');
    }
    return entry.card;
  }

  private draw(
    id: string,
    canvas: HTMLCanvasElement,
    pair: (typeof SCATTER_PAIRS)[number],
    points: { runId: string; x: number; y: number }[],
    input: AcrossRunsInput,
  ): void {
    const entry = this.scatterCards.get(id);
    if (!entry || entry.chart) return;
    const t = input.theme;
    const axis = (title: string) => ({
      type: 'linear' as 'linear' | 'logarithmic',
      title: { display: true, text: title, color: t.muted },
      ticks: { color: t.muted, maxRotation: 0, autoSkipPadding: 16 },
      grid: { color: t.grid },
    });
    entry.chart = new Chart(canvas, {
      type: 'scatter',
      data: { datasets: [] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: axis(pair.x),
          y: axis(pair.y),
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) => {
                const raw = item.raw as { x: number; y: number; label: string };
                return `${raw.label}: ${pair.x} ${raw.x.toPrecision(4)}, ${pair.y} ${raw.y.toPrecision(4)}`;
              },
            },
          },
          wdBackground: { color: t.background },
        },
      },
    });
    this.fill(entry.chart, points, input);
    entry.chart.update('none');
    entry.card.dataset.drawn = 'true';
  }

  /** One dataset per run so each point has the run's legend colour. */
  private fill(
    chart: Chart<'scatter'>,
    points: { runId: string; x: number; y: number }[],
    input: AcrossRunsInput,
  ): void {
    const index = new Map(input.runs.map((r, i) => [r.id, i]));
    // Log axes once the values span more than a decade (norms across depths and widths, Fig. 5).
    const scales = chart.options.scales ?? {};
    for (const k of ['x', 'y'] as const) {
      const vs = points.map((p) => p[k]);
      const spread = Math.min(...vs) > 0 ? Math.max(...vs) / Math.min(...vs) : 1;
      const scale = scales[k];
      if (scale) scale.type = spread > 10 ? 'logarithmic' : 'linear';
    }
    chart.data.datasets = points.map((p) => {
      const i = index.get(p.runId) ?? 0;
      const color = runLook(i, input.theme.palette, input.theme.background).color;
      // Runs that share a colour (the legend tells them apart by dash) get different marker shapes.
      const shape =
        POINT_STYLES[Math.floor(i / Math.max(1, input.theme.palette.length)) % POINT_STYLES.length];
      return {
        label: input.labels.get(p.runId) ?? p.runId,
        data: [{ x: p.x, y: p.y, label: input.labels.get(p.runId) ?? p.runId }],
        backgroundColor: color,
        borderColor: color,
        pointStyle: shape,
        pointRadius: 5,
        pointHoverRadius: 7,
      };
    });
  }
}
