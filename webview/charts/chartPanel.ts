// One chart card: title, "?" explanation, per-chart tools (log x, log y, reset zoom, PNG, CSV) and a
// Chart.js line chart; a per-layer chart also has a layer picker (all, scale-invariant, one layer) and
// a layers × steps heatmap view (charts/heatmap.ts). The chart is created when the card first comes
// near the viewport, and updated in place afterwards: changed lines get new data, growing raw lines
// are appended to, and one chart.update('none') redraws without animation. Accuracies (fractions) read
// in percent on the axis and in tooltips.
import type { ChartDataset, ChartOptions, Scale, TooltipItem } from 'chart.js';
import { seriesToCsv } from '../data/csv';
import type { ChartSpec } from '../data/families';
import { displayLabels } from '../data/labels';
import { type LayerPick, layerOptions, sanitizePick } from '../data/layers';
import { runLook } from '../data/runStyle';
import type { Theme } from '../theme';
import { button, el, toggleButton } from '../ui/dom';
import { formatNumber, formatPercent, logTicks, X_AXIS_TITLES } from './format';
import { HeatmapView } from './heatmap';
import {
  appendablePoints,
  type ChartPoint,
  exportSeries,
  type LineContext,
  type LineSpec,
  linePoints,
  lineSpecs,
  type PointOptions,
  seriesLength,
} from './lines';
import { Chart } from './setup';

export interface PanelHost {
  context(): LineContext;
  theme(): Theme;
  setLog(chartId: string, axis: 'x' | 'y', on: boolean): void;
  /** A per-layer chart's layer picker changed. */
  setLayers(chartId: string, pick: LayerPick): void;
  /** A per-layer chart switched between lines and the layers × steps heatmap. */
  setHeatmap(chartId: string, on: boolean): void;
  exportPng(name: string, dataUrl: string): void;
  exportCsv(name: string, csv: string): void;
}

interface Drawn {
  spec: LineSpec;
  /** Everything but the records that the points depend on. */
  basis: string;
  /** Source series length drawn (sum over member runs). */
  length: number;
  points: ChartPoint[];
}

type LineChart = Chart<'line', ChartPoint[]>;

/** Replaces Chart.js's crowded log ticks with readable ones (format.ts: logTicks). */
function tidyLogTicks(scale: Scale): void {
  if (scale.type !== 'logarithmic') return;
  const ticks = logTicks(scale.min, scale.max);
  if (ticks.length >= 2) scale.ticks = ticks.map((value) => ({ value }));
}

const fileSafe = (s: string) => s.replace(/[^\w.-]+/g, '_');

export class ChartPanel {
  readonly element: HTMLElement;
  private chart: LineChart | null = null;
  private drawn: Drawn[] = [];
  private range: [number, number] | null = null;
  /** Forces the next refresh to redraw (new chart, theme). */
  private stale = true;
  private readonly canvas: HTMLCanvasElement;
  private readonly logXButton: HTMLButtonElement;
  private readonly logYButton: HTMLButtonElement;
  private readonly titleEl: HTMLElement;
  private readonly bodyEl: HTMLElement;
  /** Per-layer charts only. */
  private readonly layerSelect: HTMLSelectElement | null = null;
  private readonly heatButton: HTMLButtonElement | null = null;
  private heatmap: HeatmapView | null = null;
  private optionsBasis = '';

  constructor(
    public spec: ChartSpec,
    private readonly host: PanelHost,
  ) {
    const safeId = fileSafe(spec.id);
    const helpId = `wd-help-${safeId}`;
    this.titleEl = el('h3', { class: 'wd-card-title' }, spec.title);
    this.canvas = el('canvas', { role: 'img', 'aria-label': `Chart of ${spec.title}` });
    const { logX, logY } = this.logs();
    this.logXButton = toggleButton('log x', `Logarithmic x axis for ${spec.title}`, logX, (on) =>
      this.host.setLog(spec.id, 'x', on),
    );
    this.logYButton = toggleButton('log y', `Logarithmic y axis for ${spec.title}`, logY, (on) =>
      this.host.setLog(spec.id, 'y', on),
    );
    const help = el(
      'span',
      {
        class: 'wd-help',
        tabindex: '0',
        role: 'button',
        'aria-label': `About ${spec.title}`,
        'aria-describedby': helpId,
      },
      '?',
    );
    const popover = el('span', { class: 'wd-popover', role: 'tooltip', id: helpId }, spec.help);
    if (spec.layers) {
      const select = el('select', {
        class: 'wd-layer-pick',
        'aria-label': `Layers of ${spec.title}`,
        title: 'Which layers to draw: all, the scale-invariant ones (BN without affine), or one',
      });
      select.addEventListener('change', () => this.host.setLayers(this.spec.id, select.value as LayerPick));
      this.layerSelect = select;
      this.heatButton = toggleButton(
        'heatmap',
        `Layers × steps heatmap of ${spec.title}`,
        this.host.context().state.heatmap?.[spec.id] === true,
        (on) => this.host.setHeatmap(this.spec.id, on),
      );
    }
    this.bodyEl = el('div', { class: 'wd-card-body' }, this.canvas);
    this.element = el(
      'article',
      { class: 'wd-card', 'data-chart': spec.id, 'aria-label': `${spec.title} chart` },
      el(
        'header',
        { class: 'wd-card-head' },
        el(
          'div',
          { class: 'wd-card-heading' },
          this.titleEl,
          el('span', { class: 'wd-help-wrap' }, help, popover),
        ),
        el(
          'div',
          { class: 'wd-card-tools', role: 'toolbar', 'aria-label': `${spec.title} chart tools` },
          this.layerSelect,
          this.heatButton,
          this.logXButton,
          this.logYButton,
          button('⟲', `Reset zoom of ${spec.title}`, () => this.resetZoom(), 'wd-btn wd-icon'),
          button('PNG', `Save ${spec.title} as PNG`, () => this.exportPng()),
          button('CSV', `Save the visible series of ${spec.title} as CSV`, () => this.exportCsv()),
        ),
      ),
      this.bodyEl,
    );
    this.canvas.addEventListener('dblclick', () => this.resetZoom());
  }

  get created(): boolean {
    return this.chart !== null;
  }

  /** The chart's log toggles: the state's choice, else the family default. */
  private logs(): { logX: boolean; logY: boolean } {
    const s = this.host.context().state;
    return { logX: s.logX[this.spec.id] ?? false, logY: s.logY[this.spec.id] ?? this.spec.logYByDefault };
  }

  private pointOptions(): PointOptions {
    const width = this.canvas.clientWidth || this.element.clientWidth || 600;
    return { ...this.logs(), range: this.range, target: Math.max(200, Math.min(2000, Math.round(width))) };
  }

  /** Creates the Chart.js chart (once) and draws it. */
  create(): void {
    if (this.chart) return;
    this.chart = new Chart<'line', ChartPoint[]>(this.canvas, {
      type: 'line',
      data: { datasets: [] },
      options: this.options(),
    });
    this.element.dataset.drawn = 'true';
    this.refresh();
  }

  /** A per-layer chart's pick, checked against its layers. */
  private pick(): LayerPick {
    return sanitizePick(this.host.context().state.layers?.[this.spec.id], this.spec.layers ?? []);
  }

  private heatmapOn(): boolean {
    return this.spec.layers !== undefined && this.host.context().state.heatmap?.[this.spec.id] === true;
  }

  /** The layer picker's options (layers appear as records arrive), its value, the title and the mode. */
  private syncLayerControls(): void {
    const select = this.layerSelect;
    if (!select || !this.spec.layers) return;
    const ctx = this.host.context();
    const options = layerOptions(this.spec.layers, ctx.runs);
    const basis = JSON.stringify(options);
    if (basis !== this.optionsBasis) {
      this.optionsBasis = basis;
      select.replaceChildren(
        ...options.map((o) => el('option', { value: o.value, disabled: o.disabled }, o.label)),
      );
    }
    const pick = this.pick();
    if (select.value !== pick) select.value = pick;
    this.titleEl.textContent = pick.startsWith('layer:')
      ? `${this.spec.id}/${pick.slice('layer:'.length)}`
      : this.spec.title;
    const heat = this.heatmapOn();
    this.heatButton?.setAttribute('aria-pressed', String(heat));
    this.element.dataset.mode = heat ? 'heatmap' : 'lines';
    this.bodyEl.hidden = heat;
    if (heat && !this.heatmap) {
      this.heatmap = new HeatmapView();
      this.element.append(this.heatmap.element);
      // Its canvases are as wide as the card: drawn again when the card's width changes (next frame,
      // so that the redraw's own size change is not an observer loop).
      new ResizeObserver(() =>
        requestAnimationFrame(() => {
          if (this.heatmapOn()) this.renderHeatmap();
        }),
      ).observe(this.heatmap.element);
    }
    if (this.heatmap) this.heatmap.element.hidden = !heat;
  }

  private renderHeatmap(force = false): void {
    if (!this.heatmap || !this.spec.layers) return;
    const ctx = this.host.context();
    const hidden = new Set(ctx.state.hidden);
    const labels = displayLabels(ctx.runs);
    const theme = this.host.theme();
    const runs = ctx.runs.flatMap((run, i) => {
      if (hidden.has(run.id)) return [];
      const look = runLook(i, ctx.palette, ctx.background);
      return [{ run, color: look.color, dash: look.dash, label: labels.get(run.id) ?? run.id }];
    });
    this.heatmap.render(
      {
        stem: this.spec.id,
        layers: this.spec.layers,
        pick: this.pick(),
        runs,
        records: ctx.records,
        theme,
        format: (v) => this.format(v),
      },
      force,
    );
  }

  /** Numbers as the chart shows them: accuracies in percent. */
  private format(v: number): string {
    return this.spec.percent ? formatPercent(v) : formatNumber(v);
  }

  /** Brings the chart up to date with the records and the view state. */
  refresh(): void {
    const chart = this.chart;
    if (!chart) return;
    this.syncLayerControls();
    if (this.heatmapOn()) {
      this.renderHeatmap();
      // The lines are brought up to date when they are shown again.
      this.stale = true;
      return;
    }
    const ctx = this.host.context();
    const o = this.pointOptions();
    const s = ctx.state;
    const basis = `${s.xAxis}|${s.smoothing}|${s.groupBy}|${o.logX}|${o.logY}|${o.range}|${o.target}`;
    const previous = new Map(this.drawn.map((d) => [d.spec.id, d]));
    const specs = lineSpecs(this.spec, ctx);
    const lengths = this.drawn.map((d) => d.length);
    const same =
      specs.length === this.drawn.length &&
      specs.every((spec, i) => spec.id === this.drawn[i].spec.id && spec.color === this.drawn[i].spec.color);
    this.drawn = specs.map((spec) => {
      const length = seriesLength(spec, ctx);
      const prev = previous.get(spec.id);
      if (prev && prev.basis === basis) {
        prev.spec = spec;
        if (prev.length === length) return prev;
        const grown = appendablePoints(spec, ctx, o, prev.length, prev.points.length);
        if (grown) {
          // The dataset's array itself grows: Chart.js parses only the new elements.
          prev.points.push(...grown.points);
          prev.length = grown.seriesLength;
          return prev;
        }
      }
      return { spec, basis, length, points: linePoints(spec, ctx, o) };
    });
    let changed =
      !same || this.drawn.some((d, i) => d !== previous.get(d.spec.id) || d.length !== lengths[i]);
    if (same) {
      chart.data.datasets.forEach((ds, i) => {
        if (ds.data !== this.drawn[i].points) ds.data = this.drawn[i].points;
      });
    } else {
      chart.data.datasets = this.drawn.map((d) => this.dataset(d));
    }
    changed = this.applyScales(chart) || changed;
    // Nothing new (another chart's records, a status change): no redraw.
    if (changed || this.stale) chart.update('none');
    this.stale = false;
  }

  private dataset(d: Drawn): ChartDataset<'line', ChartPoint[]> {
    const { spec } = d;
    return {
      label: spec.label,
      data: d.points,
      borderColor: spec.color,
      backgroundColor: spec.fill ?? spec.color,
      borderDash: spec.dash,
      borderWidth: spec.width,
      pointRadius: 0,
      pointHoverRadius: spec.role === 'min' || spec.role === 'max' ? 0 : 3,
      pointHitRadius: spec.role === 'min' || spec.role === 'max' ? 0 : 4,
      fill: spec.role === 'max' ? '-1' : false,
      tension: 0,
      spanGaps: true,
      // Means and runs above bands and theory lines.
      order: spec.role === 'run' || spec.role === 'mean' ? 0 : 1,
    };
  }

  private options(): ChartOptions<'line'> {
    const theme = this.host.theme();
    const tick = {
      color: theme.muted,
      font: { family: theme.fontFamily, size: theme.fontSize - 1 },
      maxTicksLimit: 7,
    };
    const grid = { color: theme.grid };
    const { logX, logY } = this.logs();
    const s = this.host.context().state;
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false, axis: 'xy' },
      scales: {
        x: {
          type: logX ? 'logarithmic' : 'linear',
          title: { display: true, text: X_AXIS_TITLES[s.xAxis], color: theme.muted, font: tick.font },
          ticks: { ...tick, callback: (v) => formatNumber(Number(v)) },
          grid,
          border: { color: theme.grid },
          afterBuildTicks: tidyLogTicks,
        },
        y: {
          type: logY ? 'logarithmic' : 'linear',
          ticks: { ...tick, callback: (v) => this.format(Number(v)) },
          grid,
          border: { color: theme.grid },
          afterBuildTicks: tidyLogTicks,
        },
      },
      plugins: {
        legend: { display: false },
        wdBackground: { color: theme.background },
        tooltip: {
          backgroundColor: theme.background,
          titleColor: theme.foreground,
          bodyColor: theme.foreground,
          borderColor: theme.grid,
          borderWidth: 1,
          titleFont: { family: theme.fontFamily },
          bodyFont: { family: theme.fontFamily },
          filter: (item) => {
            const role = this.drawn[item.datasetIndex]?.spec.role;
            return role !== 'min' && role !== 'max';
          },
          callbacks: {
            title: (items) =>
              items.length
                ? `${X_AXIS_TITLES[this.host.context().state.xAxis]} ${formatNumber(items[0].parsed.x ?? 0)}`
                : '',
            label: (item: TooltipItem<'line'>) => {
              const d = this.drawn[item.datasetIndex];
              const layer = d?.spec.layer === undefined ? '' : ` · ${d.spec.layer}`;
              return `${d?.spec.label ?? ''}${layer}: ${this.format(item.parsed.y ?? Number.NaN)}`;
            },
            afterLabel: (item: TooltipItem<'line'>) => {
              const d = this.drawn[item.datasetIndex];
              if (!d) return [];
              const p = item.raw as ChartPoint;
              const band =
                d.spec.role === 'mean' && p.min !== undefined && p.max !== undefined
                  ? [`min ${this.format(p.min)} · max ${this.format(p.max)} · n ${p.n}`]
                  : [];
              return [...band, ...d.spec.tooltip];
            },
          },
        },
        zoom: {
          // Ctrl+wheel zooms (a plain wheel keeps scrolling the page of charts), drag selects a range,
          // Shift+drag pans; double-click or ⟲ resets.
          zoom: {
            wheel: { enabled: true, modifierKey: 'ctrl' },
            drag: { enabled: true, threshold: 6, backgroundColor: 'rgba(128,128,128,0.15)' },
            mode: 'xy',
            onZoomComplete: () => this.onViewChanged(),
          },
          pan: { enabled: true, mode: 'xy', modifierKey: 'shift', onPanComplete: () => this.onViewChanged() },
        },
      },
    };
  }

  /** Scale types and the x title from the state; true when something changed. */
  private applyScales(chart: LineChart): boolean {
    const { logX, logY } = this.logs();
    const scales = chart.options.scales ?? {};
    const x = scales.x;
    const y = scales.y;
    let changed = false;
    const xType = logX ? 'logarithmic' : 'linear';
    const yType = logY ? 'logarithmic' : 'linear';
    if (x && x.type !== xType) {
      x.type = xType;
      changed = true;
    }
    if (y && y.type !== yType) {
      y.type = yType;
      changed = true;
    }
    const xTitle = x && 'title' in x ? x.title : undefined;
    const title = X_AXIS_TITLES[this.host.context().state.xAxis];
    if (xTitle && xTitle.text !== title) {
      xTitle.text = title;
      changed = true;
    }
    this.logXButton.setAttribute('aria-pressed', String(logX));
    this.logYButton.setAttribute('aria-pressed', String(logY));
    return changed;
  }

  /** After a zoom or pan, re-decimate for the visible x range: zooming in reveals the raw detail. */
  private onViewChanged(): void {
    const x = this.chart?.scales.x;
    if (!x) return;
    this.range = [x.min, x.max];
    this.refresh();
  }

  resetZoom(): void {
    this.range = null;
    if (!this.chart) return;
    this.chart.resetZoom('none');
    this.refresh();
  }

  /** The zoom is dropped when the axes change meaning (x axis choice, log toggles). */
  clearZoom(): void {
    if (this.range === null && !this.chart?.isZoomedOrPanned()) return;
    this.resetZoom();
  }

  applyTheme(): void {
    this.heatmap?.invalidate();
    if (!this.chart) return;
    this.chart.options = this.options();
    this.chart.data.datasets = [];
    this.drawn = [];
    this.stale = true;
    this.refresh();
  }

  exportPng(): void {
    if (!this.chart) this.create();
    if (this.heatmapOn() && this.heatmap) {
      const image = this.heatmap.snapshot(this.host.theme().background);
      this.host.exportPng(`${fileSafe(this.spec.id)}-heatmap.png`, image.toDataURL('image/png'));
      return;
    }
    this.host.exportPng(`${fileSafe(this.spec.id)}.png`, this.canvas.toDataURL('image/png'));
  }

  /**
   * CSV of the lines drawn now: raw values (not smoothed or decimated), within the zoomed range.
   * Accuracies stay fractions; `withUnit` says so in the header (`value (fraction)`).
   */
  csv(withUnit = true): string {
    const ctx = this.host.context();
    const specs = lineSpecs(this.spec, ctx).filter((s) => s.role !== 'min' && s.role !== 'max');
    return seriesToCsv(
      specs.map((s) => exportSeries(s, ctx, this.range)),
      ctx.state.xAxis,
      ctx.state.groupBy !== null,
      withUnit && this.spec.percent ? 'fraction' : undefined,
    );
  }

  exportCsv(): void {
    this.host.exportCsv(`${fileSafe(this.spec.id)}.csv`, this.csv());
  }

  setSpec(spec: ChartSpec): void {
    this.spec = spec;
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = null;
    this.element.remove();
  }
}
