// The mechanism verdict card, first in the results when the runs shown differ in the regularizer (weight
// decay vs none or L2, the rest equal): per contrast, one row per mechanism with the verdict, the measured
// signature and whether the paper expects it there; the test-accuracy difference against the seed spread;
// the paper's expectation. The numbers come from src/protocol/verdict.ts, as `wdlab explain` prints them.
import type { MetricRecord } from '../../src/protocol/records';
import type { RunView } from '../../src/protocol/runs';
import { type Contrast, explainRuns, type VerdictReport, verdictLabel } from '../../src/protocol/verdict';
import { el } from './dom';

/** Contrasts shown open; further ones fold under "N more". */
const OPEN_CONTRASTS = 4;

function contrastCard(c: Contrast, index: number): HTMLElement {
  const baseline = c.baseline.type === 'none' ? 'none' : 'L2';
  const runs = (n: number) => `${n} run${n === 1 ? '' : 's'}`;
  const rows = c.rows.map((r) =>
    el(
      'tr',
      {
        'data-mechanism': String(r.mechanism),
        'data-verdict': r.verdict,
        class: r.expected ? 'wd-verdict-expected' : undefined,
      },
      el('th', { scope: 'row' }, r.title),
      el(
        'td',
        {},
        el(
          'span',
          { class: `wd-verdict-badge wd-verdict-${r.verdict.replace(/ /g, '-')}` },
          verdictLabel(r.verdict),
        ),
      ),
      el(
        'td',
        {
          class: 'wd-verdict-signature',
          title: r.rule ? `${r.evidence}. Shows when: ${r.rule}.` : r.evidence,
        },
        r.signature,
      ),
      el('td', { class: 'wd-verdict-paper' }, r.expected ? 'expected here' : '—'),
    ),
  );
  const table = el(
    'table',
    { class: 'wd-table wd-verdict-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'mechanism'),
        el('th', { scope: 'col' }, 'verdict'),
        el(
          'th',
          { scope: 'col', title: 'Hover a measurement for its definition and threshold' },
          `measured: weight decay / ${baseline}, end of run`,
        ),
        el('th', { scope: 'col' }, 'paper'),
      ),
    ),
    el('tbody', {}, ...rows),
  );
  const accuracyClass =
    c.accuracy.withinNoise === true
      ? 'wd-verdict-accuracy wd-verdict-noise'
      : c.accuracy.withinNoise === false
        ? 'wd-verdict-accuracy wd-verdict-beyond'
        : 'wd-verdict-accuracy wd-verdict-unknown';
  return el(
    'article',
    {
      class: 'wd-xcard wd-card-wide wd-verdict-card',
      'data-contrast': String(index),
      'aria-label': `Mechanism verdict: ${c.title}`,
    },
    el(
      'header',
      { class: 'wd-card-head' },
      el(
        'div',
        { class: 'wd-card-heading' },
        el('h3', { class: 'wd-card-title', title: `${c.title}. ${c.summary}` }, c.title),
        el(
          'span',
          { class: 'wd-note wd-verdict-runs' },
          `${runs(c.regularized.runIds.length)} vs ${runs(c.baseline.runIds.length)}, otherwise the same configuration`,
        ),
      ),
    ),
    el('div', { class: 'wd-table-wrap' }, table),
    el('p', { class: accuracyClass }, el('strong', {}, 'Test accuracy: '), c.accuracy.text),
    el('p', { class: 'wd-verdict-expectation' }, el('strong', {}, 'Paper: '), c.expectation.text),
  );
}

/** The section: hidden when no contrast is among the runs shown. */
export class VerdictSection {
  readonly element = el('section', {
    class: 'wd-verdict',
    'aria-label': 'Mechanism verdict',
    'data-view': 'verdict',
  });
  private signature = '';
  report: VerdictReport = { contrasts: [], notes: [] };

  constructor() {
    this.element.hidden = true;
  }

  /** Recomputes when a run, its status or its record count changed (completed runs' records do not). */
  render(runs: readonly RunView[], records: ReadonlyMap<string, readonly MetricRecord[]>): void {
    const signature = runs
      .map((r) => `${r.id}:${r.status}:${records.get(r.id)?.length ?? 0}:${r.facts ? 1 : 0}`)
      .join('|');
    if (signature === this.signature) return;
    this.signature = signature;
    this.report = explainRuns(runs, records);
    const { contrasts, notes } = this.report;
    this.element.hidden = contrasts.length === 0;
    if (contrasts.length === 0) {
      this.element.replaceChildren();
      return;
    }
    const cards = contrasts.map(contrastCard);
    const rest = cards.slice(OPEN_CONTRASTS);
    const children: HTMLElement[] = [
      el('h2', {}, 'What weight decay did · the three mechanisms'),
      el('div', { class: 'wd-grid' }, ...cards.slice(0, OPEN_CONTRASTS)),
    ];
    if (rest.length > 0)
      children.push(
        el(
          'details',
          { class: 'wd-verdict-more' },
          el('summary', {}, `${rest.length} more contrast${rest.length === 1 ? '' : 's'}`),
          el('div', { class: 'wd-grid' }, ...rest),
        ),
      );
    for (const n of notes) children.push(el('p', { class: 'wd-note' }, n));
    this.element.replaceChildren(...children);
  }
}
