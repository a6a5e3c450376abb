// The run table's data (webview/data/runTable.ts): its columns (the sweep keys that differ, the final
// metrics some run has), each run's final value taken from its last record that has the key, the
// formatting (accuracy in percent, losses to 4 significant digits, progress), the sort (numbers
// numerically, text as text, missing values last in both directions, ties in the shown order), the CSV,
// and the sort's round trip through the view state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricRecord } from '../../../src/protocol/records';
import type { RunView } from '../../../src/protocol/runs';
import { displayLabels } from '../../../webview/data/labels';
import {
  buildRunTable,
  differingSweepKeys,
  FinalValues,
  formatAccuracy,
  formatLoss,
  formatProgress,
  lastValues,
  nextSort,
  type RunTable,
  type RunTableSort,
  runTableCsv,
  sortRows,
} from '../../../webview/data/runTable';
import { DEFAULT_STATE, sanitizeState } from '../../../webview/state';

const run = (id: string, values: Record<string, unknown>, over: Partial<RunView> = {}): RunView => ({
  id,
  name: 'sweep',
  group: 'g',
  values,
  label: '',
  status: 'completed',
  ...over,
});

const rec = (step: number, metrics: Record<string, number>): MetricRecord => ({
  step,
  epoch: step / 10,
  time: step,
  ...metrics,
});

/** The texts of one column, rows in the given order. */
const column = (table: RunTable, id: string, rows = table.rows): string[] => {
  const c = table.columns.findIndex((col) => col.id === id);
  assert.ok(c >= 0, `column ${id} in ${table.columns.map((col) => col.id)}`);
  return rows.map((r) => r.cells[c].text);
};
const order = (table: RunTable, sort: RunTableSort | null) => sortRows(table, sort).map((r) => r.runId);

// Four runs of one sweep: a, b, c completed with test accuracy; d failed before its first test pass.
const runs: RunView[] = [
  run(
    'a',
    { 'regularization.type': 'weightDecay', 'training.seed': 1, 'optimizer.lr': 0.1 },
    { backend: 'wasm' },
  ),
  run('b', { 'regularization.type': 'none', 'training.seed': 1, 'optimizer.lr': 0.1 }, { backend: 'cpu' }),
  run(
    'c',
    { 'regularization.type': 'weightDecay', 'training.seed': 2, 'optimizer.lr': 0.1 },
    { backend: 'tensorflow' },
  ),
  run(
    'd',
    { 'regularization.type': 'l2', 'training.seed': 1, 'optimizer.lr': 0.1 },
    {
      status: 'failed',
      error: 'diverged at step 17\n  at the second line',
      progress: { step: 9, totalSteps: 24, epoch: 1, epochs: 3 },
    },
  ),
];
const records = new Map<string, MetricRecord[]>([
  [
    'a',
    [
      rec(0, { 'train/loss': 2.3, 'test/accuracy': 0.1, 'test/loss': 2.3 }),
      rec(10, { 'train/loss': 0.9, 'test/accuracy': 0.8734, 'test/loss': 0.61234567 }),
      // The last record has no test pass: the final test accuracy is the one above.
      rec(20, { 'train/loss': 0.123456, 'train/accuracy': 0.95 }),
    ],
  ],
  ['b', [rec(0, { 'train/loss': 2.3, 'test/accuracy': 0.5, 'test/loss': 1.5 })]],
  ['c', [rec(0, { 'train/loss': 2.1, 'test/accuracy': 0.91 }), rec(10, { 'train/loss': 1.7 })]],
  ['d', [rec(0, { 'train/loss': 2.2 })]],
]);
const table = buildRunTable(runs, records, displayLabels(runs));

describe('run table columns', () => {
  test('the fixed columns, exactly the differing sweep keys, then the final metrics some run has', () => {
    assert.deepEqual(differingSweepKeys(runs), ['regularization.type', 'training.seed']);
    assert.deepEqual(
      table.columns.map((c) => c.id),
      [
        'run',
        'status',
        'progress',
        'backend',
        'value:regularization.type',
        'value:training.seed',
        'metric:test/accuracy',
        'metric:train/accuracy',
        'metric:test/loss',
        'metric:train/loss',
      ],
      'optimizer.lr is the same in every run; no run logged generalizationGap',
    );
    // A sweep key is headed by its dotted path; an accuracy says it is in percent.
    assert.deepEqual(
      table.columns.map((c) => c.header),
      [
        'Run',
        'Status',
        'Progress',
        'Backend',
        'regularization.type',
        'training.seed',
        'test/accuracy (%)',
        'train/accuracy (%)',
        'test/loss',
        'train/loss',
      ],
    );
    assert.deepEqual(
      table.columns.filter((c) => c.numeric).map((c) => c.id),
      [
        'progress',
        'value:training.seed',
        'metric:test/accuracy',
        'metric:train/accuracy',
        'metric:test/loss',
        'metric:train/loss',
      ],
    );
  });

  test('a key that some runs lack differs; one run alone has no sweep columns', () => {
    const two = [run('x', { 'regularization.type': 'weightDecay' }), run('y', { 'training.seed': 2 })];
    assert.deepEqual(differingSweepKeys(two), ['regularization.type', 'training.seed']);
    assert.deepEqual(differingSweepKeys([runs[0]]), []);
    assert.deepEqual(differingSweepKeys([run('x', { k: [1, 2] }), run('y', { k: [1, 2] })]), []);
  });

  test('the generalization gap has a column once a run logged it (a registered metric)', () => {
    const t = buildRunTable(
      runs.slice(0, 2),
      new Map([
        ['a', [rec(0, { generalizationGap: 0.04321987 })]],
        ['b', []],
      ]),
      new Map(),
    );
    assert.deepEqual(column(t, 'metric:generalizationGap'), ['0.04322', '—']);
  });
});

describe('run table cells', () => {
  test('a final metric is the last record that has the key, not the last record overall', () => {
    assert.deepEqual(column(table, 'metric:test/accuracy'), ['87.3%', '50.0%', '91.0%', '—']);
    assert.deepEqual(column(table, 'metric:test/loss'), ['0.6123', '1.500', '—', '—']);
    assert.deepEqual(column(table, 'metric:train/loss'), ['0.1235', '2.300', '1.700', '2.200']);
    assert.deepEqual(column(table, 'metric:train/accuracy'), ['95.0%', '—', '—', '—']);
    assert.deepEqual([...lastValues(records.get('a') ?? [])].sort(), [
      ['test/accuracy', 0.8734],
      ['test/loss', 0.61234567],
      ['train/accuracy', 0.95],
      ['train/loss', 0.123456],
    ]);
  });

  test('accuracy in percent with one decimal, losses to 4 significant digits', () => {
    assert.equal(formatAccuracy(0.8734), '87.3%');
    assert.equal(formatAccuracy(1), '100.0%');
    assert.equal(formatAccuracy(0.05), '5.0%');
    assert.equal(formatLoss(0.61234567), '0.6123');
    assert.equal(formatLoss(2.3), '2.300');
    assert.equal(formatLoss(12.34567), '12.35');
  });

  test('progress: percent of the whole run, 100% when completed, — when unknown', () => {
    const p = (over: Partial<RunView>) => formatProgress(run('r', {}, over));
    assert.equal(p({ status: 'running', progress: { step: 9, totalSteps: 24, epoch: 1, epochs: 3 } }), '38%');
    assert.equal(p({ status: 'running', progress: { step: 0, totalSteps: 24, epoch: 0, epochs: 3 } }), '0%');
    assert.equal(p({ status: 'completed' }), '100%');
    assert.equal(
      p({ status: 'completed', progress: { step: 3, totalSteps: 24, epoch: 0, epochs: 3 } }),
      '100%',
    );
    assert.equal(p({ status: 'queued' }), '—');
    assert.equal(p({ status: 'running', progress: { step: 5, totalSteps: 0, epoch: 0, epochs: 0 } }), '—');
    assert.deepEqual(column(table, 'progress'), ['100%', '100%', '100%', '38%']);
  });

  test('label, status with the failure reason, backend, sweep values', () => {
    assert.deepEqual(column(table, 'run'), [
      'regularization.type=weightDecay, training.seed=1, optimizer.lr=0.1',
      'regularization.type=none, training.seed=1, optimizer.lr=0.1',
      'regularization.type=weightDecay, training.seed=2, optimizer.lr=0.1',
      'regularization.type=l2, training.seed=1, optimizer.lr=0.1',
    ]);
    assert.deepEqual(column(table, 'status'), ['completed', 'completed', 'completed', 'failed']);
    const status = table.columns.findIndex((c) => c.id === 'status');
    assert.deepEqual(
      table.rows.map((r) => r.cells[status].title),
      [undefined, undefined, undefined, 'diverged at step 17'],
    );
    assert.deepEqual(column(table, 'backend'), ['wasm', 'cpu', 'tensorflow', '—']);
    assert.deepEqual(column(table, 'value:regularization.type'), [
      'weightDecay',
      'none',
      'weightDecay',
      'l2',
    ]);
    assert.deepEqual(column(table, 'value:training.seed'), ['1', '1', '2', '1']);
  });

  test('final values are read incrementally: only new records, again from the start after a reset', () => {
    const finals = new FinalValues();
    const list = [rec(0, { 'test/accuracy': 0.2 })];
    assert.equal(finals.of('a', list).get('test/accuracy'), 0.2);
    list.push(rec(10, { 'train/loss': 1 }));
    assert.equal(finals.of('a', list).get('test/accuracy'), 0.2, 'a record without the key keeps it');
    list.push(rec(20, { 'test/accuracy': 0.4 }));
    assert.equal(finals.of('a', list).get('test/accuracy'), 0.4);
    const reset = [rec(0, { 'train/loss': 2 })];
    assert.equal(finals.of('a', reset).get('test/accuracy'), undefined, 'a reset forgets old records');
    const t1 = buildRunTable(runs, records, new Map(), finals);
    const t2 = buildRunTable(runs, records, new Map(), finals);
    assert.deepEqual(t2, t1);
    assert.deepEqual(column(t1, 'metric:test/accuracy'), column(table, 'metric:test/accuracy'));
  });
});

describe('run table sort', () => {
  test('numbers numerically in both directions, missing values last in both', () => {
    // test/accuracy: a 0.8734, b 0.5, c 0.91, d missing.
    assert.deepEqual(order(table, { column: 'metric:test/accuracy', direction: 'asc' }), [
      'b',
      'a',
      'c',
      'd',
    ]);
    assert.deepEqual(order(table, { column: 'metric:test/accuracy', direction: 'desc' }), [
      'c',
      'a',
      'b',
      'd',
    ]);
    // Numerically, not as text: 12 > 9 > 1.5.
    const t = buildRunTable(
      runs.slice(0, 3),
      new Map([
        ['a', [rec(0, { 'test/loss': 9 })]],
        ['b', [rec(0, { 'test/loss': 12 })]],
        ['c', [rec(0, { 'test/loss': 1.5 })]],
      ]),
      new Map(),
    );
    assert.deepEqual(order(t, { column: 'metric:test/loss', direction: 'asc' }), ['c', 'a', 'b']);
    assert.deepEqual(order(t, { column: 'metric:test/loss', direction: 'desc' }), ['b', 'a', 'c']);
    // Missing ones (c, d) stay last and in the shown order either way.
    assert.deepEqual(order(table, { column: 'metric:test/loss', direction: 'asc' }), ['a', 'b', 'c', 'd']);
    assert.deepEqual(order(table, { column: 'metric:test/loss', direction: 'desc' }), ['b', 'a', 'c', 'd']);
    assert.deepEqual(order(table, { column: 'backend', direction: 'desc' }), ['a', 'c', 'b', 'd']);
  });

  test('text as text; ties keep the shown order in both directions', () => {
    assert.deepEqual(order(table, { column: 'value:regularization.type', direction: 'asc' }), [
      'd',
      'b',
      'a',
      'c',
    ]);
    assert.deepEqual(order(table, { column: 'value:regularization.type', direction: 'desc' }), [
      'a',
      'c',
      'b',
      'd',
    ]);
    assert.deepEqual(order(table, { column: 'status', direction: 'desc' }), ['d', 'a', 'b', 'c']);
    // Sweep values that are numbers sort as numbers: seed 2 after seed 1 (three ties in the shown order).
    assert.deepEqual(order(table, { column: 'value:training.seed', direction: 'desc' }), [
      'c',
      'a',
      'b',
      'd',
    ]);
  });

  test('no sort, or a column the table lacks, is the shown order; header clicks cycle', () => {
    assert.deepEqual(order(table, null), ['a', 'b', 'c', 'd']);
    assert.deepEqual(order(table, { column: 'metric:generalizationGap', direction: 'asc' }), [
      'a',
      'b',
      'c',
      'd',
    ]);
    const first = nextSort(null, 'progress');
    assert.deepEqual(first, { column: 'progress', direction: 'asc' });
    const second = nextSort(first, 'progress');
    assert.deepEqual(second, { column: 'progress', direction: 'desc' });
    assert.equal(nextSort(second, 'progress'), null, 'a third click: the shown order again');
    assert.deepEqual(nextSort(second, 'run'), { column: 'run', direction: 'asc' });
    // Progress: a, b, c completed (100%, ties in the shown order), d stopped at 38%.
    assert.deepEqual(order(table, first), ['d', 'a', 'b', 'c']);
    assert.deepEqual(order(table, second), ['a', 'b', 'c', 'd']);
  });

  test('the CSV follows the sort: run ids, raw values, accuracies as fractions', () => {
    const sorted = sortRows(table, { column: 'metric:test/accuracy', direction: 'desc' });
    const [header, ...lines] = runTableCsv(table, sorted).trimEnd().split('\r\n');
    assert.equal(
      header,
      'run,label,status,progress (fraction),backend,regularization.type,training.seed,' +
        'test/accuracy (fraction),train/accuracy (fraction),test/loss,train/loss',
    );
    assert.deepEqual(
      lines.map((l) => l.split(',')[0]),
      ['c', 'a', 'b', 'd'],
    );
    assert.ok(lines[1].endsWith(',wasm,weightDecay,1,0.8734,0.95,0.61234567,0.123456'), lines[1]);
    assert.ok(lines[3].includes(',failed,0.375,,l2,1,,,,2.2'), lines[3]);
  });
});

describe('run table sort in the view state', () => {
  test('a valid sort survives the round trip; an invalid one is dropped', () => {
    const sort: RunTableSort = { column: 'metric:test/accuracy', direction: 'desc' };
    const saved = JSON.parse(JSON.stringify({ ...DEFAULT_STATE, runTableSort: sort }));
    assert.deepEqual(sanitizeState(saved).runTableSort, sort);
    assert.deepEqual(
      sanitizeState({ runTableSort: { column: 'value:training.seed', direction: 'asc' } }).runTableSort,
      {
        column: 'value:training.seed',
        direction: 'asc',
      },
    );
    for (const bad of [
      { column: 'metric:test/accuracy', direction: 'up' },
      { column: 'metric:not-a-metric', direction: 'asc' },
      { column: 'value:', direction: 'asc' },
      { column: 7, direction: 'asc' },
      { direction: 'asc' },
      'metric:test/accuracy',
      null,
    ]) {
      assert.equal(sanitizeState({ runTableSort: bad }).runTableSort, null, JSON.stringify(bad));
    }
    assert.equal(sanitizeState(undefined).runTableSort, null);
    assert.equal(DEFAULT_STATE.runTableSort, null);
  });
});
