// What the Runs view's rows and the Stop / finished messages say (src/extension/runDescriptions.ts):
// labels lead with the sweep values that differ, accuracy is always "acc" and progress "done", the
// sweep's row counts its trials' progress, and a Stop names what stopped, what never started and what goes on.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeFinished,
  describeGroup,
  describeRun,
  describeStop,
  percentDone,
  type RowRun,
  rowAccessibility,
  runLabel,
  sweepPercentDone,
} from '../../../src/extension/runDescriptions';
import type { RunInfo } from '../../../src/runner/runStore';

function row(
  over: Partial<RunInfo> & { values?: Record<string, unknown>; index?: number; count?: number },
  final: Record<string, number> = {},
): RowRun {
  const { values = {}, index = 0, count = 1, ...info } = over;
  const label = Object.entries(values)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return {
    id: `20261202-101500-quick-t${index + 1}`,
    final,
    info: {
      id: `20261202-101500-quick-t${index + 1}`,
      name: 'quick',
      group: '20261202-101500-quick',
      trial: { index, count, values, label },
      status: 'completed',
      createdAt: '2026-12-02T10:15:00Z',
      host: 'h',
      ...info,
    },
  };
}

test('a trial label leads with the values that differ, with short keys and bare type values', () => {
  const runs = [
    row({ values: { 'regularization.type': 'none', 'training.seed': 1 }, index: 0, count: 4 }),
    row({ values: { 'regularization.type': 'weightDecay', 'training.seed': 1 }, index: 1, count: 4 }),
    row({ values: { 'regularization.type': 'none', 'training.seed': 2 }, index: 2, count: 4 }),
  ];
  assert.equal(runLabel(runs[1], runs), 'weightDecay · seed=1');
  assert.equal(runLabel(runs[2], runs), 'none · seed=2');
  // A value every sibling shares is left out.
  const sameSeed = [runs[0], runs[1]];
  assert.equal(runLabel(runs[1], sameSeed), 'weightDecay');
  // Two paths that end alike keep enough of themselves to differ.
  const lrs = [
    row({ values: { 'optimizer.lr': 0.1, 'schedule.lr': 0.01 }, count: 2 }),
    row({ values: { 'optimizer.lr': 0.2, 'schedule.lr': 0.02 }, index: 1, count: 2 }),
  ];
  assert.equal(runLabel(lrs[0], lrs), 'optimizer.lr=0.1 · schedule.lr=0.01');
});

test('a labelled case leads its label; a single run is named by when it started', () => {
  const a = row({ values: { 'optimizer.type': 'adam', 'training.seed': 1 }, count: 2 });
  a.info.trial.label = 'AdamW, training.seed=1';
  const b = row({ values: { 'optimizer.type': 'sgd', 'training.seed': 2 }, index: 1, count: 2 });
  b.info.trial.label = 'SGD, training.seed=2';
  assert.equal(runLabel(a, [a, b]), 'AdamW · seed=1');
  const single = row({});
  assert.equal(runLabel(single, [single]), '2026-12-02 10:15:00');
});

test('descriptions: accuracy is "acc", progress is "done", stopped says where', () => {
  const p = { step: 120, totalSteps: 320, epoch: 1.5, epochs: 4 };
  assert.equal(percentDone(p), 37);
  assert.equal(percentDone({ ...p, step: 320 }), 100);
  assert.equal(percentDone(undefined), undefined);
  assert.equal(
    describeRun(row({ status: 'completed' }, { 'test/accuracy': 0.8591 })),
    'acc 85.9% · completed',
  );
  assert.equal(
    describeRun(row({ status: 'completed', warnings: ['below chance'] }, { 'test/accuracy': 0.05 })),
    'acc 5.0% · completed · 1 warning',
  );
  assert.equal(
    describeRun(row({ status: 'running', progress: p }, { 'test/accuracy': 0.62 })),
    '37% done · acc 62.0% · epoch 2/4',
  );
  assert.equal(describeRun(row({ status: 'running', progress: p })), '37% done · epoch 2/4');
  assert.equal(describeRun(row({ status: 'running' })), 'running · starting');
  // A Slurm task that has started: Slurm's word until its first progress, never a stale PENDING.
  const slurm = (state: string) =>
    row({
      status: 'running',
      executor: { kind: 'slurm', jobId: '7', arrayIndex: 0, script: 's.sh', options: {}, state },
    });
  assert.equal(describeRun(slurm('RUNNING')), 'running · RUNNING');
  assert.equal(describeRun(slurm('PENDING')), 'running · starting');
  assert.equal(
    describeRun(row({ status: 'cancelled', progress: p }, { 'test/accuracy': 0.147 })),
    'acc 14.7% · stopped at 37%',
  );
  assert.equal(describeRun(row({ status: 'cancelled' })), 'stopped before it started');
  assert.equal(
    describeRun(row({ status: 'interrupted', progress: p }, { 'test/accuracy': 0.3 })),
    'acc 30.0% · interrupted at 37%',
  );
  assert.equal(
    describeRun(row({ status: 'failed', error: { message: 'diverged at step 17\nstack' } })),
    'failed: diverged at step 17',
  );
  assert.equal(describeRun(row({ status: 'queued' })), 'queued');
  assert.equal(
    rowAccessibility(row({ status: 'running', progress: p }, { 'test/accuracy': 0.62 }), 'weightDecay'),
    'weightDecay, running, 37 percent done, test accuracy 62.0 percent',
  );
});

test("a sweep's row counts its trials and the sweep's progress, not one trial's", () => {
  const half = { step: 50, totalSteps: 100, epoch: 1, epochs: 2 };
  const members = [
    row({ status: 'completed', index: 0, count: 4 }),
    row({ status: 'running', progress: half, index: 1, count: 4 }),
    row({ status: 'queued', index: 2, count: 4 }),
    row({ status: 'queued', index: 3, count: 4 }),
  ];
  // (1 + 0.5 + 0 + 0) / 4.
  assert.equal(sweepPercentDone(members, 4), 37);
  assert.equal(describeGroup(members, 4), '37% done · 4 trials · 1 completed · 1 running · 2 queued');
  // Trials whose folders are not listed yet count as not started.
  assert.equal(sweepPercentDone(members.slice(0, 2), 4), 37);
  const ended = [row({ status: 'completed', count: 2 }), row({ status: 'cancelled', index: 1, count: 2 })];
  assert.equal(describeGroup(ended, 2), '2 trials · 1 completed · 1 stopped');
});

test('Stop messages: one trial of a sweep, a whole sweep, a queued trial, a run that had already ended', () => {
  const labelOf = (id: string) =>
    ({ a: 'quick · none', b: 'quick · weightDecay', c: 'quick · l2' })[id] ?? id;
  const at = { step: 120, totalSteps: 320, epoch: 1.5, epochs: 4 };
  assert.equal(
    describeStop(
      {
        stopped: [{ runId: 'a', status: 'cancelled', started: true, progress: at }],
        skipped: [],
        continuing: 2,
      },
      labelOf,
    ),
    'Stopped quick · none at 37% (step 120 of 320). The sweep goes on with 2 more trials. Resume continues it from its last checkpoint once the sweep has ended.',
  );
  assert.equal(
    describeStop(
      {
        stopped: [{ runId: 'a', status: 'cancelled', started: true, progress: at }],
        skipped: [
          { runId: 'b', status: 'cancelled', started: false },
          { runId: 'c', status: 'cancelled', started: false },
        ],
        continuing: 0,
      },
      labelOf,
    ),
    'Stopped quick · none at 37% (step 120 of 320). 2 queued trials (quick · weightDecay, quick · l2) cancelled before starting. Resume Sweep continues all 3, each from its last checkpoint.',
  );
  assert.equal(
    describeStop(
      { stopped: [], skipped: [{ runId: 'b', status: 'cancelled', started: false }], continuing: 1 },
      labelOf,
    ),
    'One queued trial (quick · weightDecay) cancelled before starting. The sweep goes on with 1 more trial. Resume starts it once the sweep has ended.',
  );
  assert.equal(
    describeStop(
      { stopped: [{ runId: 'a', status: 'completed', started: true }], skipped: [], continuing: 0 },
      labelOf,
    ),
    'quick · none had already completed.',
  );
});

test('the finished notification names the counts and the accuracies', () => {
  assert.equal(
    describeFinished('quickstart', ['completed', 'completed'], [0.859, 0.704]),
    'quickstart finished: 2 completed (acc 85.9%, 70.4%)',
  );
  assert.equal(
    describeFinished('sweep', ['completed', 'failed', 'cancelled'], [0.5, undefined, 0.1]),
    'sweep finished: 1 completed (acc 50.0%), 1 failed, 1 stopped',
  );
});
