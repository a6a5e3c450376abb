import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricRecord } from '../../../src/protocol/records';
import { csvField, seriesToCsv, toCsv } from '../../../webview/data/csv';
import { decimateMinMax } from '../../../webview/data/decimate';
import { aggregateSeries, groupRuns, sweepAxes } from '../../../webview/data/grouping';
import { displayLabels } from '../../../webview/data/labels';
import { RUN_DASHES, runLook, THEORY_DASH, withAlpha } from '../../../webview/data/runStyle';
import {
  buildSeries,
  clipToRange,
  type Point,
  positiveOnly,
  SeriesCache,
} from '../../../webview/data/series';
import { emaSmooth } from '../../../webview/data/smoothing';
import { runView } from '../../helpers/runViews';

const close = (a: number[], b: number[], eps = 1e-9) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => {
    assert.ok(Math.abs(v - b[i]) < eps, `[${i}] ${v} vs ${b[i]}`);
  });
};

const run = runView;

describe('series', () => {
  const records: MetricRecord[] = [
    { step: 0, epoch: 0, time: 0, 'test/loss': 2.5 },
    { step: 2, epoch: 0.5, time: 1.5, 'train/loss': 2 },
    { step: 4, epoch: 1, time: 3, 'train/loss': 1, 'test/loss': 1.5 },
  ];
  test('only records with the key, on the chosen x axis', () => {
    assert.deepEqual(buildSeries(records, 'test/loss', 'step'), [
      { x: 0, y: 2.5, step: 0 },
      { x: 4, y: 1.5, step: 4 },
    ]);
    assert.deepEqual(
      buildSeries(records, 'train/loss', 'epoch').map((p) => p.x),
      [0.5, 1],
    );
    assert.deepEqual(
      buildSeries(records, 'train/loss', 'time').map((p) => p.x),
      [1.5, 3],
    );
  });
  test('non-finite values (null from a NaN in JSON) are skipped', () => {
    const bad = [{ step: 1, epoch: 0, time: 0, 'train/loss': null as unknown as number }];
    assert.deepEqual(buildSeries(bad, 'train/loss', 'step'), []);
  });
  test('the cache extends a series with new records only, and restarts after a reset', () => {
    const cache = new SeriesCache();
    const list = records.slice(0, 2);
    assert.equal(cache.get('a', list, 'train/loss', 'step').length, 1);
    list.push(records[2]);
    const s = cache.get('a', list, 'train/loss', 'step');
    assert.deepEqual(
      s.map((p) => p.y),
      [2, 1],
    );
    assert.equal(cache.get('a', [records[2]], 'train/loss', 'step').length, 1, 'fewer records = replaced');
    cache.drop('a');
    assert.equal(cache.get('a', records, 'train/loss', 'step').length, 2);
  });
  test('clipping keeps one neighbour on each side; log axes drop non-positive values', () => {
    const pts: Point[] = [0, 1, 2, 3, 4, 5].map((x) => ({ x, y: x - 1, step: x }));
    assert.deepEqual(
      clipToRange(pts, 2, 3).map((p) => p.x),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      positiveOnly(pts, true, false).map((p) => p.x),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      positiveOnly(pts, false, true).map((p) => p.x),
      [2, 3, 4, 5],
    );
  });
});

describe('smoothing (TensorBoard EMA, debiased)', () => {
  test('hand-computed values for w = 0.5', () => {
    // s1 = 0.5·1 = 0.5 → /(1−0.5) = 1; s2 = 0.25 + 1 = 1.25 → /(1−0.25) = 5/3;
    // s3 = 0.625 + 1.5 = 2.125 → /(1−0.125) = 17/7.
    close(emaSmooth([1, 2, 3], 0.5), [1, 5 / 3, 17 / 7]);
  });
  test('hand-computed values for w = 0.9', () => {
    // s1 = 0.1·10 = 1 → /0.1 = 10; s2 = 0.9 + 0 = 0.9 → /0.19 = 4.7368...
    close(emaSmooth([10, 0], 0.9), [10, 0.9 / 0.19]);
  });
  test('weight 0 is the identity; constants stay exact; NaN passes through without advancing', () => {
    assert.deepEqual(emaSmooth([1, 5, 2], 0), [1, 5, 2]);
    assert.deepEqual(emaSmooth([0.1, 0.1, 0.1, 0.1], 0.6), [0.1, 0.1, 0.1, 0.1]);
    const s = emaSmooth([1, Number.NaN, 3], 0.5);
    assert.ok(Number.isNaN(s[1]));
    // The NaN does not count: the 3 is the second value, s = 0.25 + 1.5 = 1.75 → /(1−0.25) = 7/3.
    close([s[0], s[2]], [1, 7 / 3]);
  });
});

describe('decimation (min/max per bucket)', () => {
  const n = 10_000;
  const pts: Point[] = Array.from({ length: n }, (_, i) => ({ x: i, y: Math.sin(i / 300), step: i }));
  pts[1234].y = 50; // a spike
  pts[7777].y = -40; // a dip
  test('reduces 10,000 points to the target and keeps the extremes, in x order', () => {
    const out = decimateMinMax(pts, 1000);
    assert.ok(out.length <= 1000 && out.length >= 900, `${out.length} points`);
    assert.ok(out.includes(pts[1234]) && out.includes(pts[7777]));
    assert.equal(out[0], pts[0]);
    for (let i = 1; i < out.length; i++) assert.ok(out[i].x > out[i - 1].x);
    // Every bucket's extremes survive: the decimated range equals the raw range.
    assert.equal(Math.max(...out.map((p) => p.y)), 50);
    assert.equal(Math.min(...out.map((p) => p.y)), -40);
  });
  test('short series are returned as they are', () => {
    assert.equal(decimateMinMax(pts.slice(0, 50), 100).length, 50);
  });
});

describe('grouping by a sweep axis', () => {
  const runs = [
    run('a', { 'regularization.type': 'none', 'training.seed': 1 }),
    run('b', { 'regularization.type': 'weightDecay', 'training.seed': 1 }),
    run('c', { 'regularization.type': 'none', 'training.seed': 2 }),
    run('d', { other: true }),
  ];
  test('the sweep axes present, in order', () => {
    assert.deepEqual(sweepAxes(runs), ['regularization.type', 'training.seed', 'other']);
  });
  test('runs by value; runs without the axis form one group', () => {
    assert.deepEqual(
      groupRuns(runs, 'regularization.type').map((g) => [g.key, g.runIds]),
      [
        ['regularization.type=none', ['a', 'c']],
        ['regularization.type=weightDecay', ['b']],
        ['regularization.type=—', ['d']],
      ],
    );
  });
  test('mean and min-max band per step, hand-computed', () => {
    const s1: Point[] = [
      { x: 0, y: 1, step: 0 },
      { x: 10, y: 4, step: 10 },
    ];
    const s2: Point[] = [
      { x: 0, y: 3, step: 0 },
      { x: 12, y: 2, step: 10 },
      { x: 20, y: 7, step: 20 },
    ];
    const s3: Point[] = [{ x: 0, y: 8, step: 0 }];
    assert.deepEqual(aggregateSeries([s1, s2, s3]), [
      { x: 0, step: 0, mean: 4, min: 1, max: 8, n: 3 },
      { x: 11, step: 10, mean: 3, min: 2, max: 4, n: 2 },
      { x: 20, step: 20, mean: 7, min: 7, max: 7, n: 1 },
    ]);
  });
});

describe('labels and looks', () => {
  test('labels tell runs apart: values for a one-trial sweep, spec names when mixed, ids when equal', () => {
    const one = { ...run('r3', { 'training.seed': 2 }), label: 'r3' };
    const bare = { ...run('r4', {}), label: 'r4', name: 'other' };
    const twin1 = run('r1', { lr: 0.1 });
    const twin2 = run('r2', { lr: 0.1 });
    assert.deepEqual(
      [...displayLabels([twin1, twin2, one]).values()],
      ['lr=0.1 (r1)', 'lr=0.1 (r2)', 'training.seed=2'],
    );
    assert.deepEqual([...displayLabels([one, bare]).values()], ['sweep: training.seed=2', 'r4']);
  });
  test('50 runs get 50 distinct colour + dash looks; theory dashes differ from every run dash', () => {
    const palette = [
      '#111111',
      '#222222',
      '#333333',
      '#444444',
      '#555555',
      '#666666',
      '#777777',
      '#888888',
      '#999999',
      '#aaaaaa',
    ];
    const looks = Array.from({ length: 50 }, (_, i) => runLook(i, palette));
    assert.equal(new Set(looks.map((l) => `${l.color}|${l.dash}`)).size, 50);
    assert.deepEqual(looks[0], { color: '#111111', dash: [] });
    assert.deepEqual(looks[10].dash, [...RUN_DASHES[1]]);
    const more = Array.from({ length: 200 }, (_, i) => runLook(i, palette));
    assert.equal(new Set(more.map((l) => `${l.color}|${l.dash}`)).size, 200);
    assert.ok(!RUN_DASHES.some((d) => d.join() === THEORY_DASH.join()));
  });
  test('colours with alpha for bands', () => {
    assert.equal(withAlpha('#ff8000', 0.2), 'rgba(255, 128, 0, 0.2)');
    assert.equal(withAlpha('#f80', 0.5), 'rgba(255, 136, 0, 0.5)');
    assert.equal(withAlpha('rgb(1, 2, 3)', 0.1), 'rgba(1, 2, 3, 0.1)');
    assert.equal(withAlpha('hsl(10, 50%, 50%)', 0.1), 'hsla(10, 50%, 50%, 0.1)');
  });
});

describe('CSV', () => {
  test('fields with commas, quotes, line breaks or edge spaces are quoted; quotes doubled', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(' pad'), '" pad"');
    assert.equal(csvField(0.25), '0.25');
    assert.equal(csvField(Number.NaN), '');
    assert.equal(csvField(undefined), '');
    assert.equal(toCsv(['a', 'b'], [[1, 'x,y']]), 'a,b\r\n1,"x,y"\r\n');
  });
  test('visible series in long form: header + one row per point', () => {
    const series = [
      { series: 'run-1', label: 'lr=0.1, seed=1', metric: 'train/loss', points: [{ x: 0.5, y: 2, step: 2 }] },
      { series: 'run-2', label: 'say "x"', metric: 'train/loss', points: [{ x: 1, y: 1.5, step: 4 }] },
    ];
    assert.equal(
      seriesToCsv(series, 'epoch', false),
      'run,label,metric,step,epoch,value\r\nrun-1,"lr=0.1, seed=1",train/loss,2,0.5,2\r\nrun-2,"say ""x""",train/loss,4,1,1.5\r\n',
    );
    assert.equal(
      seriesToCsv(series.slice(0, 1), 'step', false).split('\r\n')[0],
      'run,label,metric,step,value',
    );
    const grouped = [
      {
        series: 'g',
        label: 'wd=none',
        metric: 'lr',
        points: [{ x: 3, y: 2, step: 3, min: 1, max: 3, n: 2 }],
      },
    ];
    assert.equal(
      seriesToCsv(grouped, 'step', true),
      'group,metric,step,mean,min,max,n\r\nwd=none,lr,3,2,1,3,2\r\n',
    );
    // Accuracies are drawn in percent; their CSV keeps fractions and says so in the header.
    assert.equal(
      seriesToCsv(series.slice(0, 1), 'step', false, 'fraction').split('\r\n')[0],
      'run,label,metric,step,value (fraction)',
    );
    assert.equal(
      seriesToCsv(grouped, 'step', true, 'fraction').split('\r\n')[0],
      'group,metric,step,mean (fraction),min (fraction),max (fraction),n',
    );
  });
});
