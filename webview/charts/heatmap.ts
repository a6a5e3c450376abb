// The layers × steps heatmaps of a per-layer chart (data/heatmap.ts shapes them): small multiples, one
// canvas per visible run, rows = the picked layers, columns = record steps, viridis on one log scale
// shared by the runs, with a colour bar. Hovering a cell names run, layer, step and value.
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';
import { type HeatmapGrid, heatColor, heatmapGrid, logPosition, logRange } from '../data/heatmap';
import { type LayerPick, pickedLayers } from '../data/layers';
import type { Theme } from '../theme';
import { el, lineSwatch } from '../ui/dom';
import { formatNumber } from './format';

export interface HeatmapInput {
  stem: string;
  layers: readonly string[];
  pick: LayerPick;
  /** Visible runs, each with its legend colour and label. */
  runs: readonly { run: RunView; color: string; dash: number[]; label: string }[];
  records: ReadonlyMap<string, readonly MetricRecord[]>;
  theme: Theme;
  format: (v: number) => string;
}

const ROW_MIN = 5;
const ROW_MAX = 16;
const AXIS_H = 16;

export class HeatmapView {
  readonly element = el('div', { class: 'wd-heatmaps' });
  private basis = '';
  private readonly canvases: HTMLCanvasElement[] = [];

  /** Redraws when the records, runs, pick, theme or width changed since the last call. */
  render(input: HeatmapInput, force = false): void {
    const width = Math.max(200, this.element.clientWidth || 400);
    const lengths = input.runs.map(({ run }) => input.records.get(run.id)?.length ?? 0);
    const basis = JSON.stringify([
      input.runs.map((r) => [r.run.id, r.color, r.label]),
      lengths,
      input.pick,
      input.layers,
      width,
      input.theme.background,
      input.theme.foreground,
    ]);
    if (!force && basis === this.basis) return;
    this.basis = basis;
    const labelW = Math.min(width * 0.35, 12 + 7 * Math.max(4, ...input.layers.map((l) => l.length)));
    const columns = Math.max(10, Math.floor((width - labelW) / 2));
    const grids = input.runs.map(({ run }) =>
      heatmapGrid(
        input.records.get(run.id) ?? [],
        input.stem,
        pickedLayers(input.layers, run, input.pick),
        columns,
      ),
    );
    const range = logRange(grids);
    this.canvases.length = 0;
    const blocks = input.runs.map((r, i) => {
      const canvas = el('canvas', { class: 'wd-heatmap-canvas', role: 'img' });
      canvas.setAttribute(
        'aria-label',
        `${input.stem} of ${r.label}: ${grids[i].layers.length} layers × ${grids[i].steps.length} steps`,
      );
      this.canvases.push(canvas);
      this.draw(canvas, grids[i], range, width, labelW, input, r.label);
      return el(
        'figure',
        { class: 'wd-heatmap', 'data-run': r.run.id },
        el('figcaption', {}, lineSwatch(r.color, r.dash), el('span', {}, r.label)),
        grids[i].layers.length > 0 && grids[i].steps.length > 0
          ? canvas
          : el('p', { class: 'wd-note' }, 'no values of these layers'),
      );
    });
    this.element.replaceChildren(...blocks, this.scale(range, input));
  }

  /** Forgets what was drawn: the next render redraws (theme change). */
  invalidate(): void {
    this.basis = '';
  }

  /** Every run's heatmap stacked in one canvas (PNG export). */
  snapshot(background: string): HTMLCanvasElement {
    const out = document.createElement('canvas');
    const shown = this.canvases.filter((c) => c.isConnected && c.width > 0);
    out.width = Math.max(1, ...shown.map((c) => c.width));
    out.height = Math.max(
      1,
      shown.reduce((h, c) => h + c.height, 0),
    );
    const ctx = out.getContext('2d');
    if (!ctx) return out;
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, out.width, out.height);
    let y = 0;
    for (const c of shown) {
      ctx.drawImage(c, 0, y);
      y += c.height;
    }
    return out;
  }

  private draw(
    canvas: HTMLCanvasElement,
    grid: HeatmapGrid,
    range: [number, number] | undefined,
    width: number,
    labelW: number,
    input: HeatmapInput,
    runLabel: string,
  ): void {
    const rows = grid.layers.length;
    const rowH = Math.max(ROW_MIN, Math.min(ROW_MAX, Math.floor(240 / Math.max(1, rows))));
    const height = rows * rowH + AXIS_H;
    const dpr = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx || rows === 0 || grid.steps.length === 0) return;
    const { theme } = input;
    ctx.scale(dpr, dpr);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, width, height);
    const plotW = width - labelW;
    const colW = plotW / grid.steps.length;
    grid.values.forEach((row, r) => {
      row.forEach((v, c) => {
        const t = range ? logPosition(v, range) : Number.NaN;
        if (Number.isNaN(t)) return;
        ctx.fillStyle = heatColor(t);
        // +0.5: no hairline gaps between cells.
        ctx.fillRect(labelW + c * colW, r * rowH, colW + 0.5, rowH + 0.5);
      });
    });
    const font = `${Math.min(11, theme.fontSize - 1)}px ${theme.fontFamily}`;
    ctx.font = font;
    ctx.fillStyle = theme.muted;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const every = Math.ceil(12 / rowH);
    grid.layers.forEach((layer, r) => {
      if (r % every !== 0) return;
      let text = layer;
      while (text.length > 3 && ctx.measureText(text).width > labelW - 6) text = `${text.slice(0, -2)}…`;
      ctx.fillText(text, labelW - 4, r * rowH + rowH / 2);
    });
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillText(`step ${formatNumber(grid.steps[0])}`, labelW, rows * rowH + 3);
    ctx.textAlign = 'right';
    ctx.fillText(formatNumber(grid.steps[grid.steps.length - 1]), width, rows * rowH + 3);
    canvas.onmousemove = (e) => {
      const box = canvas.getBoundingClientRect();
      const x = e.clientX - box.left - labelW;
      const r = Math.floor((e.clientY - box.top) / rowH);
      const c = Math.floor(x / colW);
      const v = grid.values[r]?.[c];
      canvas.title =
        x >= 0 && v !== undefined
          ? `${runLabel} · ${grid.layers[r]} · step ${formatNumber(grid.steps[c])}: ${Number.isNaN(v) ? '—' : input.format(v)}`
          : '';
    };
  }

  /** The colour bar: viridis from the smallest to the largest value, log scale. */
  private scale(range: [number, number] | undefined, input: HeatmapInput): HTMLElement {
    if (!range) return el('p', { class: 'wd-note' }, 'no positive values to show on a log scale');
    const bar = el('canvas', { class: 'wd-heat-bar', 'aria-hidden': 'true' });
    bar.width = 160;
    bar.height = 10;
    const ctx = bar.getContext('2d');
    if (ctx) {
      for (let x = 0; x < bar.width; x++) {
        ctx.fillStyle = heatColor(x / (bar.width - 1));
        ctx.fillRect(x, 0, 1, bar.height);
      }
    }
    return el(
      'div',
      { class: 'wd-heat-scale', 'aria-label': 'Colour scale (log)' },
      el('span', {}, input.format(10 ** range[0])),
      bar,
      el('span', {}, input.format(10 ** range[1])),
      el('span', { class: 'wd-note' }, 'log scale'),
    );
  }
}
