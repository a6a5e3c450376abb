// The view's controls: chart filter, x axis, smoothing, group-by, reset zoom and CSV of every visible series.
import type { XAxis } from '../data/series';
import type { ViewState } from '../state';
import { button, el } from './dom';

export interface ToolbarActions {
  setXAxis(x: XAxis): void;
  setSmoothing(w: number): void;
  setGroupBy(axis: string | null): void;
  resetZoom(): void;
  exportAllCsv(): void;
  /** The chart filter's text (matched against chart keys and titles). */
  setFilter(text: string): void;
}

export class Toolbar {
  readonly element: HTMLElement;
  private readonly xAxis: HTMLSelectElement;
  private readonly smoothing: HTMLInputElement;
  private readonly smoothingValue: HTMLOutputElement;
  private readonly groupBy: HTMLSelectElement;
  private readonly filter: HTMLInputElement;
  private readonly filterCount: HTMLOutputElement;
  private axes: string[] = [];

  constructor(actions: ToolbarActions) {
    this.filter = el('input', {
      id: 'wd-filter',
      type: 'search',
      placeholder: 'filter charts, e.g. damping',
      'aria-label': 'Filter charts by metric key or title',
      spellcheck: 'false',
      autocomplete: 'off',
    });
    this.filter.addEventListener('input', () => actions.setFilter(this.filter.value));
    this.filterCount = el('output', { for: 'wd-filter', class: 'wd-filter-count', 'aria-live': 'polite' });
    this.xAxis = el(
      'select',
      { id: 'wd-x-axis', 'aria-label': 'X axis' },
      el('option', { value: 'step' }, 'step'),
      el('option', { value: 'epoch' }, 'epoch'),
      el('option', { value: 'time' }, 'time (s)'),
    );
    this.xAxis.addEventListener('change', () => actions.setXAxis(this.xAxis.value as XAxis));
    this.smoothing = el('input', {
      id: 'wd-smoothing',
      type: 'range',
      min: '0',
      max: '0.99',
      step: '0.01',
      'aria-label': 'Smoothing (exponential moving average weight)',
    });
    this.smoothingValue = el('output', { for: 'wd-smoothing', class: 'wd-smoothing-value' });
    this.smoothing.addEventListener('input', () => {
      const w = Number(this.smoothing.value);
      this.smoothingValue.textContent = w.toFixed(2);
      actions.setSmoothing(w);
    });
    this.groupBy = el('select', { id: 'wd-group-by', 'aria-label': 'Group runs by sweep axis' });
    this.groupBy.addEventListener('change', () => actions.setGroupBy(this.groupBy.value || null));
    this.element = el(
      'div',
      { class: 'wd-toolbar', role: 'toolbar', 'aria-label': 'Chart options' },
      this.filter,
      this.filterCount,
      el('label', { class: 'wd-field', for: 'wd-x-axis' }, 'x axis'),
      this.xAxis,
      el(
        'label',
        {
          class: 'wd-field',
          for: 'wd-smoothing',
          title: 'Exponential moving average, debiased like TensorBoard: s = w·s + (1−w)·y',
        },
        'smoothing',
      ),
      this.smoothing,
      this.smoothingValue,
      el(
        'label',
        {
          class: 'wd-field',
          for: 'wd-group-by',
          title: 'Mean line and min-max band over the other sweep axes (e.g. seeds)',
        },
        'group by',
      ),
      this.groupBy,
      el('span', { class: 'wd-spacer' }),
      el(
        'span',
        { class: 'wd-hint' },
        'drag: zoom · shift+drag: pan · ctrl+wheel: zoom · double-click: reset',
      ),
      button(
        'Reset zoom',
        'Reset the zoom of every chart (drag: zoom · shift+drag: pan · ctrl+wheel: zoom · double-click: reset)',
        () => actions.resetZoom(),
      ),
      button('Export CSV', 'Save every visible series as CSV', () => actions.exportAllCsv()),
    );
  }

  /** Shows the state and the sweep axes present in the runs. */
  sync(state: ViewState, axes: string[]): void {
    if (this.filter.value !== state.filter && document.activeElement !== this.filter) {
      this.filter.value = state.filter;
    }
    this.xAxis.value = state.xAxis;
    this.smoothing.value = String(state.smoothing);
    this.smoothingValue.textContent = state.smoothing.toFixed(2);
    if (axes.join('\n') !== this.axes.join('\n') || this.groupBy.options.length === 0) {
      this.axes = axes;
      this.groupBy.replaceChildren(
        el('option', { value: '' }, 'none (one line per run)'),
        ...axes.map((a) => el('option', { value: a }, a)),
      );
    }
    this.groupBy.value = state.groupBy !== null && axes.includes(state.groupBy) ? state.groupBy : '';
    this.groupBy.disabled = axes.length === 0;
  }

  /** "n of m charts" while a filter is set (`shown` null: none set). */
  setFilterCount(shown: number | null, total: number): void {
    this.filterCount.textContent = shown === null ? '' : `${shown} of ${total} charts`;
  }
}
