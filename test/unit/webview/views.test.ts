// The parts of the view that run without a browser: lines per chart, the model, the state, log ticks,
// and `wdlab report`'s file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildReportData, ReportInputError, resolveReportRuns, writeReport } from '../../../src/cli/report';
import type { MetricRecord } from '../../../src/protocol/records';
import type { RunView } from '../../../src/protocol/runs';
import { type RunInfo, writeRunInfo } from '../../../src/runner/runStore';
import { formatNumber, formatPercent, logTicks } from '../../../webview/charts/format';
import { exportSeries, type LineContext, linePoints, lineSpecs } from '../../../webview/charts/lines';
import { discoverCharts } from '../../../webview/data/families';
import { SeriesCache } from '../../../webview/data/series';
import { RunModel } from '../../../webview/model';
import { DEFAULT_STATE, sanitizeState, type ViewState } from '../../../webview/state';
import { runView } from '../../helpers/runViews';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const view = (id: string, values: Record<string, unknown>): RunView => runView(id, values);

const recordsOf = (scale: number, n = 5): MetricRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    step: i * 10,
    epoch: i / 2,
    time: i * 1.5,
    'weightNorm/fc': scale * (i + 1),
    'theory/weightNorm/fc': scale,
  }));

function context(state: Partial<ViewState> = {}): LineContext {
  const runs = [
    view('a', { wd: 'none', seed: 1 }),
    view('b', { wd: 'none', seed: 2 }),
    view('c', { wd: 'yes', seed: 1 }),
  ];
  return {
    runs,
    records: new Map([
      ['a', recordsOf(1)],
      ['b', recordsOf(3)],
      ['c', recordsOf(2)],
    ]),
    state: { ...DEFAULT_STATE, ...state },
    palette: ['#ff0000', '#00ff00', '#0000ff'],
    cache: new SeriesCache(),
  };
}

const chart = discoverCharts(['weightNorm/fc', 'theory/weightNorm/fc'])[0].charts[0];
const all = { logX: false, logY: false, range: null, target: 1000 } as const;

describe('chart lines', () => {
  test('one line per visible run, plus its theory overlay drawn dotted in the same colour', () => {
    const ctx = context({ hidden: ['b'] });
    const specs = lineSpecs(chart, ctx);
    assert.deepEqual(
      specs.map((s) => s.id),
      [
        'run|a|weightNorm/fc',
        'theory|a|theory/weightNorm/fc',
        'run|c|weightNorm/fc',
        'theory|c|theory/weightNorm/fc',
      ],
    );
    assert.equal(specs[2].color, '#0000ff', 'colour by position among all runs, stable when others hide');
    assert.deepEqual(specs[1].dash, [1, 3]);
    assert.ok(specs[0].tooltip.includes('wd = none') && specs[0].tooltip.includes('seed = 1'));
    assert.deepEqual(
      linePoints(specs[2], ctx, all).map((p) => p.y),
      [2, 4, 6, 8, 10],
    );
  });

  test('grouped: min, max (filled down to min) and mean per group, over the runs that are shown', () => {
    const ctx = context({ groupBy: 'wd' });
    const specs = lineSpecs(chart, ctx);
    assert.deepEqual(
      specs.map((s) => `${s.role}:${s.label}`),
      [
        'min:wd=none (min)',
        'max:wd=none (max)',
        'mean:wd=none',
        'theory:theory · wd=none',
        'min:wd=yes (min)',
        'max:wd=yes (max)',
        'mean:wd=yes',
        'theory:theory · wd=yes',
      ],
    );
    assert.ok(specs[1].fill?.startsWith('rgba(255, 0, 0'));
    const mean = linePoints(specs[2], ctx, all);
    assert.deepEqual(
      mean.map((p) => p.y),
      [2, 4, 6, 8, 10],
    );
    assert.deepEqual(
      linePoints(specs[0], ctx, all).map((p) => p.y),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      linePoints(specs[1], ctx, all).map((p) => p.y),
      [3, 6, 9, 12, 15],
    );
    assert.equal(mean[0].n, 2);
    const hiddenGroup = lineSpecs(chart, context({ groupBy: 'wd', hidden: ['wd=yes'] }));
    assert.equal(hiddenGroup.length, 4);
  });

  test('points: x axis, smoothing, zoom clipping, log filtering, decimation', () => {
    const ctx = context({ xAxis: 'time', smoothing: 0.5 });
    const spec = lineSpecs(chart, ctx)[0];
    const pts = linePoints(spec, ctx, { ...all, range: [2, 4] });
    assert.deepEqual(
      pts.map((p) => p.x),
      [1.5, 3, 4.5],
    );
    assert.ok(Math.abs(pts[0].y - 5 / 3) < 1e-12, 'smoothed before clipping');
    const many = context();
    (many.records as Map<string, MetricRecord[]>).set(
      'a',
      Array.from({ length: 5000 }, (_, i) => ({ step: i, epoch: 0, time: 0, 'weightNorm/fc': i })),
    );
    assert.ok(linePoints(lineSpecs(chart, many)[0], many, { ...all, target: 500 }).length <= 500);
  });

  test('CSV series: raw values of the visible lines, means with their band when grouped', () => {
    const ctx = context({ smoothing: 0.9 });
    const s = exportSeries(lineSpecs(chart, ctx)[0], ctx, null);
    assert.deepEqual(
      s.points.map((p) => p.y),
      [1, 2, 3, 4, 5],
    );
    assert.equal(s.series, 'a');
    const g = context({ groupBy: 'wd' });
    const mean = exportSeries(lineSpecs(chart, g)[2], g, [0, 15]);
    assert.deepEqual(
      mean.points.map((p) => [p.step, p.y, p.min, p.max, p.n]),
      [
        [0, 2, 1, 3, 2],
        [10, 4, 2, 6, 2],
        [20, 6, 3, 9, 2],
      ],
    );
  });
});

describe('run model', () => {
  test('records append in batches, new keys are noticed, a reset replaces, showRuns drops old runs', () => {
    const m = new RunModel();
    m.showRuns([view('a', {}), view('b', {})], 'T');
    assert.equal(m.addRecords('a', [{ step: 0, epoch: 0, time: 0, lr: 1 }]), true);
    assert.equal(m.addRecords('a', [{ step: 1, epoch: 0, time: 0, lr: 1 }]), false);
    assert.equal(m.addRecords('b', [{ step: 1, epoch: 0, time: 0, 'test/loss': 1 }]), true);
    assert.deepEqual(m.keys, ['lr', 'test/loss']);
    assert.equal(m.addRecords('zzz', [{ step: 1, epoch: 0, time: 0, x: 1 }]), false, 'unknown run ignored');
    m.addRecords('a', [{ step: 5, epoch: 0, time: 0, lr: 2 }], true);
    assert.equal(m.records.get('a')?.length, 1);
    assert.deepEqual(m.showRuns([view('b', {})]), ['a']);
    assert.deepEqual(m.keys, ['test/loss']);
    assert.equal(m.title, 'T');
    assert.ok(m.updateRun({ ...view('b', {}), status: 'failed', error: 'diverged' }));
    assert.equal(m.run('b')?.status, 'failed');
  });
});

describe('view state', () => {
  test('a foreign or partial state is repaired field by field', () => {
    assert.deepEqual(sanitizeState(undefined), DEFAULT_STATE);
    assert.deepEqual(
      sanitizeState({
        xAxis: 'bogus',
        smoothing: 7,
        logY: { a: true, b: 'x' },
        hidden: ['r', 3],
        groupBy: '',
      }),
      { ...DEFAULT_STATE, smoothing: 0.99, logY: { a: true }, hidden: ['r'] },
    );
    const good: ViewState = {
      xAxis: 'epoch',
      smoothing: 0.6,
      logX: { lr: true },
      logY: { 'weightNorm/fc': false },
      groupBy: 'training.seed',
      hidden: ['a'],
      collapsed: ['other'],
      runIds: ['run-1', 'run-2'],
      layers: { weightNorm: 'scaleInvariant', effectiveLr: 'layer:conv2' },
      heatmap: { weightNorm: true },
      filter: 'damping',
      runTableSort: { column: 'metric:test/accuracy', direction: 'desc' },
    };
    assert.deepEqual(sanitizeState(JSON.parse(JSON.stringify(good))), good);
  });
  test('the shown run ids survive the round trip the panel serializer depends on', () => {
    const saved = JSON.parse(JSON.stringify({ ...DEFAULT_STATE, runIds: ['a', 'b'] }));
    assert.deepEqual(sanitizeState(saved).runIds, ['a', 'b']);
    assert.deepEqual(sanitizeState({ runIds: ['a', 7, null, 'c'] }).runIds, ['a', 'c']);
    assert.deepEqual(sanitizeState({ runIds: 'a' }).runIds, []);
    assert.deepEqual(sanitizeState({ xAxis: 'step' }).runIds, []);
  });
});

describe('axis ticks and numbers', () => {
  test('log ticks: nice linear values inside a decade, 1-2-5 over a few, decades beyond', () => {
    assert.deepEqual(logTicks(0.00164, 0.0024), [0.0018, 0.002, 0.0022, 0.0024]);
    assert.deepEqual(logTicks(0.03, 2), [0.05, 0.1, 0.2, 0.5, 1, 2]);
    assert.deepEqual(logTicks(0.007, 0.04), [0.007, 0.01, 0.02, 0.03]);
    assert.deepEqual(logTicks(1e-6, 1), [1e-6, 1e-4, 0.01, 1], 'every other decade past 6 ticks');
    assert.deepEqual(logTicks(1e-3, 10), [1e-3, 0.01, 0.1, 1, 10]);
    assert.ok(logTicks(1e-12, 1e12).length <= 13);
  });
  test('numbers', () => {
    assert.equal(formatNumber(0.123456), '0.1235');
    // Accuracies are fractions, drawn in percent on axes and in tooltips.
    assert.equal(formatPercent(0.8734), '87.34%');
    assert.equal(formatPercent(0.2), '20%');
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(0.0005), '0.05%');
    assert.equal(formatNumber(0.00012), '1.20e-4');
    assert.equal(formatNumber(123456), '1.23e+5');
    assert.equal(formatNumber(0), '0');
  });
});

describe('wdlab report', () => {
  function fakeRun(
    runsDir: string,
    id: string,
    values: Record<string, unknown>,
    records: MetricRecord[],
  ): string {
    const dir = join(runsDir, id);
    mkdirSync(dir, { recursive: true });
    const info: RunInfo = {
      id,
      name: 'tiny',
      group: id.replace(/-t\d+$/, ''),
      trial: { index: 0, count: 2, values, label: `wd=${values.wd}` },
      status: 'completed',
      createdAt: `2026-01-01T00:00:0${id.slice(-1)}.000Z`,
      host: 'elsewhere',
    };
    writeRunInfo(dir, info);
    writeFileSync(join(dir, 'metrics.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return dir;
  }
  const work = mkdtempSync(join(tmpdir(), 'wdlab-report-'));
  made.push(work);
  const runsDir = join(work, 'runs');
  const a = fakeRun(runsDir, '20260101-000000-tiny-t1', { wd: 'none' }, recordsOf(1));
  const b = fakeRun(runsDir, '20260101-000000-tiny-t2', { wd: '</script>' }, recordsOf(2));
  const media = join(work, 'media');
  mkdirSync(media);
  writeFileSync(join(media, 'webview.js'), 'console.log("ui");\n//# sourceMappingURL=webview.js.map\n');
  writeFileSync(join(media, 'webview.css'), 'body{}');

  test('run dirs, a runs dir, or a group id; a missing dir is bad input', () => {
    assert.deepEqual(resolveReportRuns([a, b], runsDir), [a, b]);
    assert.deepEqual(resolveReportRuns([runsDir], runsDir), [a, b]);
    assert.deepEqual(resolveReportRuns(['20260101-000000-tiny'], runsDir), [a, b]);
    assert.throws(() => resolveReportRuns([join(work, 'nope')], runsDir), ReportInputError);
    assert.throws(() => resolveReportRuns([], runsDir), ReportInputError);
    assert.throws(() => buildReportData([media]), /not a run directory/);
  });

  test('one self-contained file: inline UI, embedded runs and records, no external references', () => {
    const out = join(work, 'report.html');
    const { runs, bytes } = writeReport([a, b], out, {
      mediaDir: media,
      now: new Date('2026-02-03T04:05:06Z'),
    });
    assert.equal(runs, 2);
    const html = readFileSync(out, 'utf8');
    assert.equal(bytes, Buffer.byteLength(html));
    assert.match(html, /<script nonce="[^"]+">console\.log\("ui"\);\n<\/script>/);
    assert.doesNotMatch(html, /sourceMappingURL|src=|href=/);
    const json = /id="wdlab-report-data" nonce="[^"]+">([^<]*)<\/script>/.exec(html)?.[1];
    assert.ok(json);
    const data = JSON.parse(json);
    assert.equal(data.title, 'tiny — 2 runs');
    assert.equal(data.generatedAt, '2026-02-03T04:05:06.000Z');
    assert.deepEqual(
      data.runs.map((r: RunView) => r.values.wd),
      ['none', '</script>'],
    );
    assert.equal(data.records['20260101-000000-tiny-t2'].length, 5);
  });

  test('a missing UI bundle is reported, not written as a broken page', () => {
    assert.throws(
      () => writeReport([a], join(work, 'x.html'), { mediaDir: join(work, 'none') }),
      /build the results UI/,
    );
  });
});
