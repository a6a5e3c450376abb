// The across-runs views' data (webview/data/acrossRuns.ts) and the Table 1 coordinates of a spec
// (spec/setup.ts): cells are the mean and sample std of the final test accuracy over the completed runs of
// one setup, computed here independently; rows and columns follow the paper's order; scatter points are
// each run's last values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricRecord } from '../../../src/protocol/records';
import type { RunView } from '../../../src/protocol/runs';
import { resolveSpec } from '../../../src/spec';
import { paperSetup } from '../../../src/spec/setup';
import type { ExperimentSpec } from '../../../src/spec/types';
import { finalValue, paperTable, scatterPoints } from '../../../webview/data/acrossRuns';

const spec = (over: object): ExperimentSpec =>
  resolveSpec({
    name: 's',
    data: { dataset: 'cifar10' },
    model: { arch: 'vgg', depth: 16 },
    optimizer: { type: 'sgd' },
    ...over,
  }) as ExperimentSpec;

describe('paper setup of a spec (Table 1 coordinates)', () => {
  test('names follow paper-configs.tsv: network, setting, optimizer, variant', () => {
    assert.deepEqual(
      paperSetup(
        spec({
          data: { dataset: 'cifar100', augment: true },
          model: { arch: 'resnet', depth: 32, width: 4, batchNorm: true },
          optimizer: { type: 'kfac-g' },
          regularization: { type: 'weightDecay', coefficient: 3e-3 },
        }),
      ),
      {
        dataset: 'cifar100',
        network: 'resnet32',
        setting: 'BN+Aug',
        optimizer: 'K-FAC-G',
        optimizerRank: 3,
        variant: 'WD',
      },
    );
    assert.deepEqual(
      paperSetup(
        spec({
          model: { arch: 'vgg', depth: 16, width: 0.125, batchNorm: false },
          optimizer: { type: 'adam' },
          regularization: { type: 'l2', coefficient: 1e-4, apply: 'conv' },
        }),
      ),
      {
        dataset: 'cifar10',
        network: 'vgg16 x0.125',
        setting: 'none',
        optimizer: 'Adam',
        optimizerRank: 1,
        variant: 'L2 conv',
      },
    );
    // A zero coefficient is the baseline whatever the type says.
    const zero = spec({ regularization: { type: 'weightDecay', coefficient: 0 } });
    assert.equal(paperSetup(zero).variant, 'baseline');
  });
});

const rec = (step: number, values: Record<string, number>): MetricRecord =>
  ({ step, epoch: step / 10, time: step, ...values }) as MetricRecord;

function run(id: string, status: RunView['status'], setup?: Partial<NonNullable<RunView['setup']>>): RunView {
  return {
    id,
    name: 'grid',
    group: 'g',
    values: {},
    label: id,
    status,
    setup: setup && {
      dataset: 'cifar10',
      network: 'vgg16',
      setting: 'BN',
      optimizer: 'SGD',
      variant: 'baseline',
      ...setup,
      // As spec/setup.ts writes it: the optimizer registry's order.
      optimizerRank: ['SGD', 'Adam', 'K-FAC-F', 'K-FAC-G'].indexOf(setup.optimizer ?? 'SGD'),
    },
  };
}

describe('Table 1 view', () => {
  const runs = [
    run('a1', 'completed', { optimizer: 'Adam', variant: 'WD' }),
    run('a2', 'completed', { optimizer: 'Adam', variant: 'WD' }),
    run('a3', 'completed', { optimizer: 'Adam', variant: 'WD' }),
    run('s1', 'completed', {}),
    run('k1', 'completed', { optimizer: 'K-FAC-G', variant: 'baseline', setting: 'BN+Aug' }),
    run('l1', 'completed', { optimizer: 'Adam', variant: 'L2' }),
    run('b0', 'completed', { optimizer: 'Adam', variant: 'baseline', setting: 'none' }),
    run('running', 'running', { optimizer: 'SGD', variant: 'WD' }),
    run('failed', 'failed', { optimizer: 'SGD', variant: 'WD' }),
    run('nosetup', 'completed', {}),
    run('noacc', 'completed', { optimizer: 'K-FAC-F' }),
  ];
  runs[9] = { ...runs[9], setup: undefined }; // a run from before setups were recorded
  const acc: Record<string, number> = { a1: 0.9, a2: 0.92, a3: 0.95, s1: 0.8, k1: 0.7, l1: 0.85, b0: 0.6 };
  const records = new Map<string, MetricRecord[]>(
    runs.map((r) => [
      r.id,
      r.id === 'noacc'
        ? [rec(1, { 'train/loss': 1 })]
        : [
            rec(5, { 'test/accuracy': 0.1 }),
            rec(10, { 'train/loss': 0.3 }),
            rec(20, { 'test/accuracy': acc[r.id] ?? 0.5 }),
          ],
    ]),
  );

  test('cells: mean and sample std of the final accuracy of the completed runs of a setup', () => {
    const t = paperTable(runs, records);
    assert.equal(t.counted, 7);
    const col = t.columns.findIndex((c) => c.optimizer === 'Adam' && c.variant === 'WD');
    const row = t.rows.findIndex((r) => r.setting === 'BN');
    const cell = t.rows[row].cells[col]!;
    const values = [0.9, 0.92, 0.95];
    const mean = values.reduce((a, b) => a + b) / 3;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
    assert.equal(cell.n, 3);
    assert.ok(Math.abs(cell.mean - mean) < 1e-12);
    assert.ok(Math.abs(cell.std - std) < 1e-12);
    assert.deepEqual(cell.runIds, ['a1', 'a2', 'a3']);
    // A single run has std 0; a setup that did not run is empty (null).
    const sgd = t.columns.findIndex((c) => c.optimizer === 'SGD' && c.variant === 'baseline');
    assert.deepEqual(t.rows[row].cells[sgd], { mean: 0.8, std: 0, n: 1, runIds: ['s1'] });
    const none = t.rows.findIndex((r) => r.setting === 'none');
    assert.equal(t.rows[none].cells[sgd], null);
  });

  test("rows and columns in the paper's order; running, failed and setup-less runs are not counted", () => {
    const t = paperTable(runs, records);
    assert.deepEqual(
      t.columns.map((c) => `${c.optimizer} ${c.variant}`),
      ['SGD baseline', 'Adam baseline', 'Adam L2', 'Adam WD', 'K-FAC-G baseline'],
    );
    assert.deepEqual(
      t.rows.map((r) => r.setting),
      ['none', 'BN', 'BN+Aug'],
    );
    const all = t.rows.flatMap((r) => r.cells.flatMap((c) => c?.runIds ?? []));
    for (const id of ['running', 'failed', 'nosetup', 'noacc']) assert.ok(!all.includes(id), id);
  });
});

describe('scatter points and final values', () => {
  test('the last finite value of each metric, one point per run that has both', () => {
    const records = new Map<string, MetricRecord[]>([
      [
        'x',
        [
          rec(1, { jacobianNorm: 5, generalizationGap: 0.1 }),
          rec(2, { jacobianNorm: 7 }),
          rec(3, { jacobianNorm: Number.NaN }),
        ],
      ],
      ['y', [rec(1, { jacobianNorm: 2 })]],
      ['z', [rec(1, { jacobianNorm: 3, generalizationGap: 0.4 })]],
    ]);
    assert.equal(finalValue(records.get('x')!, 'jacobianNorm'), 7);
    assert.equal(finalValue(records.get('x')!, 'missing'), undefined);
    const runs = ['x', 'y', 'z'].map((id) => run(id, 'completed'));
    assert.deepEqual(scatterPoints(runs, records, 'jacobianNorm', 'generalizationGap'), [
      { runId: 'x', x: 7, y: 0.1 },
      { runId: 'z', x: 3, y: 0.4 },
    ]);
  });
});
