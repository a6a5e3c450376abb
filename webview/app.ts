// The results view: wires the run model (fed by host messages or a report's embedded data), the view
// state, the legend, the toolbar and one ChartPanel per discovered metric. Every change only marks
// what is stale; one requestAnimationFrame flush per frame brings the DOM and charts up to date, so a
// training run that sends records every few milliseconds costs one chart.update('none') per frame.
import type { MetricRecord } from '../src/protocol/records';
import type { RunView } from '../src/protocol/runs';
import type { HostToWebview, ReportData } from '../src/protocol/webview';
import { ChartPanel, type PanelHost } from './charts/chartPanel';
import type { LineContext } from './charts/lines';
import { registerChartJs } from './charts/setup';
import { toCsv } from './data/csv';
import { chartMatches, discoverCharts, type FamilyId } from './data/families';
import { sweepAxes } from './data/grouping';
import { displayLabels } from './data/labels';
import { SeriesCache, type XAxis } from './data/series';
import type { Host } from './host';
import { RunModel } from './model';
import { sanitizeState, type ViewState } from './state';
import { readTheme, type Theme, watchTheme } from './theme';
import { AcrossRunsSection } from './ui/acrossRuns';
import { el } from './ui/dom';
import { createExporter, type Exporter } from './ui/exports';
import { renderLegend } from './ui/legend';
import { RUN_TABLE_SECTION, RunTableSection } from './ui/runTable';
import { Toolbar } from './ui/toolbar';
import { VerdictSection } from './ui/verdict';

export const EMPTY_TEXT = 'No runs selected — run an experiment or pick runs in the Runs view';

interface Section {
  element: HTMLElement;
  body: HTMLElement;
  toggle: HTMLButtonElement;
}

export class ResultsApp {
  private readonly model = new RunModel();
  private readonly cache = new SeriesCache();
  private state: ViewState;
  private theme: Theme;
  private readonly panels = new Map<string, ChartPanel>();
  private readonly sections = new Map<FamilyId, Section>();
  private readonly exporter: Exporter;
  private readonly toolbar: Toolbar;
  private readonly titleEl = el('h1', { class: 'wd-title' }, 'Results');
  private readonly summaryEl = el('div', { class: 'wd-summary' });
  private readonly toastEl = el('div', { class: 'wd-toast', role: 'status', 'aria-live': 'polite' });
  private readonly legendEl = el('nav', { class: 'wd-legend', 'aria-label': 'Runs' });
  private readonly chartsEl = el('main', { class: 'wd-charts' });
  private readonly emptyEl = el('div', { class: 'wd-empty', role: 'note' });
  /** Shown when the chart filter leaves nothing. */
  private readonly noMatchEl = el('p', { class: 'wd-no-match', role: 'status' });
  private readonly observer: IntersectionObserver;
  private frame: number | null = null;
  private layoutStale = true;
  /** The Table 1 view and the scatter charts are rebuilt from the model when runs or records change. */
  private acrossStale = true;
  private readonly across: AcrossRunsSection;
  /** The mechanism verdict card, first in the results; rebuilt with the Across runs section. */
  private readonly verdict = new VerdictSection();
  /** The run table, after the verdict: rebuilt with Across runs, and on a new sort or legend change. */
  private readonly runTable: RunTableSection;
  private tableStale = true;
  private legendStale = true;
  private painted = false;
  private readonly panelHost: PanelHost;
  private readonly generatedAt: string | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
    report?: ReportData,
  ) {
    registerChartJs();
    this.state = sanitizeState(host.getState());
    this.theme = readTheme();
    this.exporter = createExporter(host, (text) => this.toast(text));
    this.across = new AcrossRunsSection((name, csv) => this.exporter.csv(name, csv));
    this.runTable = new RunTableSection(
      {
        setSort: (runTableSort) => {
          this.tableStale = true;
          this.update({ runTableSort });
        },
        setCollapsed: (collapsed) => {
          const now = new Set(this.state.collapsed);
          if (collapsed) now.add(RUN_TABLE_SECTION);
          else now.delete(RUN_TABLE_SECTION);
          this.update({ collapsed: [...now] });
        },
        exportCsv: (name, csv) => this.exporter.csv(name, csv),
        openRun: host.inVsCode ? (runId) => host.post({ type: 'openRun', runId }) : undefined,
      },
      this.state.collapsed.includes(RUN_TABLE_SECTION),
    );
    this.toolbar = new Toolbar({
      setXAxis: (xAxis: XAxis) => this.update({ xAxis }, { clearZoom: true }),
      setSmoothing: (smoothing) => this.update({ smoothing }),
      setGroupBy: (groupBy) => this.update({ groupBy }, { legend: true }),
      resetZoom: () => {
        for (const p of this.panels.values()) p.resetZoom();
      },
      setFilter: (filter) => {
        this.state = { ...this.state, filter };
        this.host.setState(this.state);
        this.applyFilter();
      },
      exportAllCsv: () => this.exportAllCsv(),
    });
    this.panelHost = {
      context: () => this.context(),
      theme: () => this.theme,
      setLog: (chartId, axis, on) => {
        const key = axis === 'x' ? 'logX' : 'logY';
        this.panels.get(chartId)?.clearZoom();
        this.update({ [key]: { ...this.state[key], [chartId]: on } });
      },
      setLayers: (chartId, pick) => {
        this.panels.get(chartId)?.clearZoom();
        this.update({ layers: { ...this.state.layers, [chartId]: pick } });
      },
      setHeatmap: (chartId, on) => this.update({ heatmap: { ...this.state.heatmap, [chartId]: on } }),
      exportPng: (name, dataUrl) => this.exporter.png(name, dataUrl),
      exportCsv: (name, csv) => this.exporter.csv(name, csv),
    };
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          const id = (e.target as HTMLElement).dataset.chart;
          const panel = id === undefined ? undefined : this.panels.get(id);
          if (panel && !panel.created) panel.create();
          this.observer.unobserve(e.target);
        }
      },
      { rootMargin: '400px 0px' },
    );
    root.replaceChildren(
      el(
        'header',
        { class: 'wd-header' },
        el('div', { class: 'wd-heading' }, this.titleEl, this.summaryEl),
        this.toastEl,
      ),
      // Options and legend stay at the top while the charts scroll under them.
      el('div', { class: 'wd-sticky' }, this.toolbar.element, this.legendEl),
      this.emptyEl,
      this.noMatchEl,
      this.chartsEl,
    );
    watchTheme(() => this.onThemeChanged());
    if (report) {
      this.generatedAt = report.generatedAt;
      this.model.showRuns(report.runs, report.title);
      for (const run of report.runs) this.model.addRecords(run.id, report.records[run.id] ?? []);
      this.flush();
    } else {
      host.onMessage((m) => this.handle(m));
      this.flush();
      host.post({ type: 'ready' });
    }
  }

  handle(m: HostToWebview): void {
    switch (m.type) {
      case 'showRuns':
        for (const id of this.model.showRuns(m.runs, m.title)) this.cache.drop(id);
        this.layoutStale = true;
        this.legendStale = true;
        this.acrossStale = true;
        // Persisted for the panel serializer (src/extension/resultsHost.ts): a restored panel reads them.
        this.state = { ...this.state, runIds: m.runs.map((r) => r.id) };
        this.host.setState(this.state);
        break;
      case 'records':
        if (m.reset) this.cache.drop(m.runId);
        if (this.model.addRecords(m.runId, m.records as MetricRecord[], m.reset)) this.layoutStale = true;
        this.acrossStale = true;
        break;
      case 'runUpdate':
        if (this.model.updateRun(m.run)) this.legendStale = true;
        this.acrossStale = true;
        break;
      case 'exportResult':
        this.toast(m.detail, !m.ok);
        return;
    }
    this.schedule();
  }

  /** The state as the charts should read it: a group-by axis that no shown run has means no grouping. */
  private context(): LineContext {
    const axes = sweepAxes(this.model.runs);
    const state =
      this.state.groupBy !== null && !axes.includes(this.state.groupBy)
        ? { ...this.state, groupBy: null }
        : this.state;
    return {
      runs: this.model.runs,
      records: this.model.records,
      state,
      palette: this.theme.palette,
      cache: this.cache,
      background: this.theme.background,
    };
  }

  private update(patch: Partial<ViewState>, o: { clearZoom?: boolean; legend?: boolean } = {}): void {
    this.state = { ...this.state, ...patch };
    this.host.setState(this.state);
    if (o.clearZoom) for (const p of this.panels.values()) p.clearZoom();
    if (o.legend) {
      this.legendStale = true;
      // The run table's swatches and dimmed rows follow the legend's grouping and hidden runs.
      this.tableStale = true;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.flush();
    });
  }

  private flush(): void {
    if (this.legendStale) {
      this.legendStale = false;
      this.renderHeader();
    }
    if (this.layoutStale) {
      this.layoutStale = false;
      this.layout();
    }
    if (this.acrossStale || this.tableStale) {
      const labels = displayLabels(this.model.runs);
      if (this.acrossStale) {
        this.verdict.render(this.model.runs, this.model.records);
        this.across.render({ runs: this.model.runs, records: this.model.records, labels, theme: this.theme });
      }
      this.acrossStale = false;
      this.tableStale = false;
      // Cheap when nothing it shows changed: only records added since the last render are read.
      this.runTable.render({
        runs: this.model.runs,
        records: this.model.records,
        labels,
        theme: this.theme,
        sort: this.state.runTableSort,
        groupBy: this.context().state.groupBy,
        hidden: this.state.hidden,
      });
    }
    for (const p of this.panels.values()) p.refresh();
    if (!this.painted && [...this.panels.values()].some((p) => p.created)) {
      this.painted = true;
      // After the frame that shows the first charts: the bench's "first paint".
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark('wdlab:first-paint');
          this.createRestWhenIdle();
        }, 0),
      );
    }
  }

  private renderHeader(): void {
    const runs = this.model.runs;
    this.titleEl.textContent = this.model.title || (runs.length === 1 ? runs[0].name : 'Results');
    const count = (s: RunView['status']) => runs.filter((r) => r.status === s).length;
    const parts = [`${runs.length} run${runs.length === 1 ? '' : 's'}`];
    for (const s of ['running', 'queued', 'failed', 'cancelled', 'interrupted', 'damaged'] as const) {
      const n = count(s);
      if (n > 0) parts.push(`${n} ${s}`);
    }
    if (this.generatedAt) parts.push(`report of ${new Date(this.generatedAt).toLocaleString()}`);
    this.summaryEl.textContent = runs.length > 0 ? parts.join(' · ') : '';
    const ctx = this.context();
    this.toolbar.sync(ctx.state, sweepAxes(runs));
    renderLegend(this.legendEl, runs, ctx.state, this.theme.palette, this.theme.background, {
      toggle: (id) => {
        const hidden = new Set(this.state.hidden);
        if (hidden.has(id)) hidden.delete(id);
        else hidden.add(id);
        this.update({ hidden: [...hidden] }, { legend: true });
      },
      openRun: this.host.inVsCode ? (runId) => this.host.post({ type: 'openRun', runId }) : undefined,
    });
  }

  private layout(): void {
    const noRuns = this.model.runs.length === 0;
    const noData = !noRuns && this.model.keys.length === 0;
    this.root.dataset.view = noRuns ? 'empty' : noData ? 'waiting' : 'charts';
    this.emptyEl.textContent = noRuns ? EMPTY_TEXT : noData ? 'Waiting for the first records…' : '';
    this.emptyEl.hidden = !noRuns && !noData;
    const families = discoverCharts(this.model.keys);
    const wanted = new Set(families.flatMap((f) => f.charts.map((c) => c.id)));
    for (const [id, panel] of this.panels) {
      if (!wanted.has(id)) {
        panel.destroy();
        this.panels.delete(id);
      }
    }
    const order: HTMLElement[] = [this.verdict.element, this.runTable.element, this.across.element];
    for (const { family, charts } of families) {
      const section = this.section(family.id, family.title);
      const cards: HTMLElement[] = [];
      for (const spec of charts) {
        let panel = this.panels.get(spec.id);
        if (panel) panel.setSpec(spec);
        else {
          panel = new ChartPanel(spec, this.panelHost);
          this.panels.set(spec.id, panel);
        }
        cards.push(panel.element);
      }
      if (
        cards.some((c, i) => section.body.children[i] !== c) ||
        section.body.children.length !== cards.length
      ) {
        section.body.replaceChildren(...cards);
      }
      order.push(section.element);
    }
    const present = new Set(families.map((f) => f.family.id));
    for (const [id, s] of this.sections) {
      if (!present.has(id)) {
        s.element.remove();
        this.sections.delete(id);
      }
    }
    if (
      order.some((s, i) => this.chartsEl.children[i] !== s) ||
      this.chartsEl.children.length !== order.length
    ) {
      this.chartsEl.replaceChildren(...order);
    }
    this.applyFilter();
  }

  /** Hides the charts the filter box leaves out (and sections left empty), then draws what came into view. */
  private applyFilter(): void {
    const query = this.state.filter;
    let shown = 0;
    for (const panel of this.panels.values()) {
      const match = chartMatches(panel.spec, query);
      panel.element.hidden = !match;
      if (match) shown++;
    }
    for (const s of this.sections.values()) {
      s.element.hidden = !Array.from(s.body.children).some((c) => !(c as HTMLElement).hidden);
    }
    const charts = this.root.dataset.view === 'charts';
    this.noMatchEl.hidden = !charts || shown > 0 || this.panels.size === 0;
    this.noMatchEl.textContent = `No chart matches “${query.trim()}”`;
    this.toolbar.setFilterCount(query.trim() ? shown : null, this.panels.size);
    this.createVisiblePanels();
  }

  /**
   * Charts in the viewport are created now (first paint); the others in idle time after it, or when
   * scrolled to, whichever comes first.
   */
  private createVisiblePanels(): void {
    const limit = window.innerHeight;
    for (const panel of this.panels.values()) {
      if (panel.created || !panel.element.isConnected) continue;
      const rect = panel.element.getBoundingClientRect();
      if (rect.height > 0 && rect.top < limit) panel.create();
      else this.observer.observe(panel.element);
    }
  }

  /** After the first paint, the charts further down are drawn one per idle period, before scrolling. */
  private createRestWhenIdle(): void {
    const next = [...this.panels.values()].find((p) => !p.created && p.element.offsetParent !== null);
    if (!next) return;
    const idle = (cb: () => void) =>
      typeof requestIdleCallback === 'function'
        ? requestIdleCallback(cb, { timeout: 500 })
        : setTimeout(cb, 16);
    idle(() => {
      if (!next.created && next.element.offsetParent !== null) next.create();
      this.createRestWhenIdle();
    });
  }

  private section(id: FamilyId, title: string): Section {
    let s = this.sections.get(id);
    if (s) return s;
    const collapsed = this.state.collapsed.includes(id);
    const body = el('div', { class: 'wd-grid', id: `wd-family-${id}` });
    body.hidden = collapsed;
    const toggle = el(
      'button',
      {
        type: 'button',
        class: 'wd-family-toggle',
        'aria-expanded': String(!collapsed),
        'aria-controls': body.id,
      },
      el('span', { class: 'wd-chevron', 'aria-hidden': 'true' }, '▾'),
      title,
    );
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      body.hidden = !open;
      const collapsedNow = new Set(this.state.collapsed);
      if (open) collapsedNow.delete(id);
      else collapsedNow.add(id);
      this.update({ collapsed: [...collapsedNow] });
      if (open) this.createVisiblePanels();
    });
    s = {
      element: el('section', { class: 'wd-family', 'data-family': id }, el('h2', {}, toggle), body),
      body,
      toggle,
    };
    this.sections.set(id, s);
    return s;
  }

  private onThemeChanged(): void {
    this.theme = readTheme();
    this.legendStale = true;
    this.across.reset();
    this.acrossStale = true;
    for (const p of this.panels.values()) p.applyTheme();
    this.schedule();
  }

  /** Every visible series of every chart, in one long-format CSV. */
  private exportAllCsv(): void {
    let header = '';
    const rows: string[] = [];
    for (const panel of this.panels.values()) {
      // Charts that the filter box hides are not "visible series".
      if (panel.element.hidden) continue;
      // One header for every metric: without a unit (accuracies are fractions, as in metrics.jsonl).
      const [head, ...body] = panel.csv(false).trimEnd().split('\r\n');
      header = head;
      rows.push(...body);
    }
    const csv = header
      ? `${header}\r\n${rows.map((r) => `${r}\r\n`).join('')}`
      : toCsv(['run', 'metric'], []);
    this.exporter.csv('wdlab-series.csv', csv);
  }

  private toast(text: string, error = false): void {
    this.toastEl.textContent = text;
    this.toastEl.classList.toggle('wd-error', error);
    this.toastEl.classList.add('wd-show');
    setTimeout(() => this.toastEl.classList.remove('wd-show'), 4000);
  }
}
