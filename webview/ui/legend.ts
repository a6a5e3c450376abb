// The legend shared by every chart: one entry per run (colour + dash swatch, label, status), or per group
// with its member runs when grouped. Clicking an entry hides or shows it on all charts.

import type { RunView } from '../../src/protocol/runs';
import { groupRuns } from '../data/grouping';
import { displayLabels } from '../data/labels';
import { runLook } from '../data/runStyle';
import type { ViewState } from '../state';
import { button, el, lineSwatch } from './dom';

export interface LegendActions {
  toggle(id: string): void;
  /** Inside VS Code: reveal the run's folder. */
  openRun?(runId: string): void;
}

export function statusText(run: RunView): string {
  switch (run.status) {
    case 'running': {
      if (!run.progress) return 'running';
      const pct = Math.round((100 * run.progress.step) / Math.max(1, run.progress.totalSteps));
      return `running ${pct}%`;
    }
    case 'failed':
      return 'failed';
    case 'completed':
      return '';
    default:
      return run.status;
  }
}

function statusBadge(run: RunView): HTMLElement | null {
  const text = statusText(run);
  if (!text) return null;
  const reason = run.status === 'failed' && run.error ? run.error.split('\n')[0] : '';
  return el(
    'span',
    { class: `wd-badge wd-badge-${run.status}`, title: reason || undefined },
    text,
    reason
      ? el(
          'span',
          { class: 'wd-badge-reason' },
          `: ${reason.length > 60 ? `${reason.slice(0, 57)}…` : reason}`,
        )
      : null,
  );
}

function entry(
  id: string,
  label: string,
  swatch: SVGSVGElement,
  visible: boolean,
  actions: LegendActions,
  extra: (Node | null)[],
  cls: string,
): HTMLElement {
  const toggle = el(
    'button',
    {
      type: 'button',
      class: 'wd-legend-toggle',
      'aria-pressed': String(visible),
      'aria-label': `${visible ? 'Hide' : 'Show'} ${label}`,
      'data-id': id,
    },
    swatch,
    el('span', { class: 'wd-legend-label' }, label),
  );
  toggle.addEventListener('click', () => actions.toggle(id));
  return el('li', { class: `wd-legend-item ${cls}${visible ? '' : ' wd-off'}` }, toggle, ...extra);
}

export function renderLegend(
  container: HTMLElement,
  runs: readonly RunView[],
  state: ViewState,
  palette: readonly string[],
  /** The chart background (generated colours past the palette contrast with it). */
  background: string | undefined,
  actions: LegendActions,
): void {
  const hidden = new Set(state.hidden);
  const labels = displayLabels(runs);
  const runEntry = (run: RunView, look: { color: string; dash: number[] }, cls = '') => {
    const label = labels.get(run.id) ?? run.id;
    const open = actions.openRun
      ? button('↗', `Open the folder of ${label}`, () => actions.openRun?.(run.id), 'wd-btn wd-icon wd-open')
      : null;
    const li = entry(
      run.id,
      label,
      lineSwatch(look.color, look.dash),
      !hidden.has(run.id),
      actions,
      [statusBadge(run), open],
      cls,
    );
    li.title = [
      run.id,
      ...Object.entries(run.values ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ].join('\n');
    return li;
  };
  const list = el('ul', { class: 'wd-legend-list' });
  if (state.groupBy === null) {
    runs.forEach((run, i) => {
      list.append(runEntry(run, runLook(i, palette, background)));
    });
  } else {
    groupRuns(runs, state.groupBy).forEach((group, i) => {
      const look = runLook(i, palette, background);
      const members = el('ul', { class: 'wd-legend-members' });
      for (const id of group.runIds) {
        const run = runs.find((r) => r.id === id);
        if (run) members.append(runEntry(run, { color: 'currentColor', dash: [] }, 'wd-member'));
      }
      const n = group.runIds.length;
      const li = entry(
        group.key,
        `${group.label} · mean of ${n} run${n === 1 ? '' : 's'}`,
        lineSwatch(look.color, look.dash, true),
        !hidden.has(group.key),
        actions,
        [members],
        'wd-group',
      );
      list.append(li);
    });
  }
  container.replaceChildren(list);
}
