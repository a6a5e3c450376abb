import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readCheckpoint, readCheckpointState, writeCheckpoint } from '../../../src/engine/checkpointFormat';
import type { MetricRecord } from '../../../src/protocol/records';
import {
  appendMetric,
  createSweepRuns,
  type DamagedLine,
  lastValues,
  listRuns,
  parseJsonl,
  readMetrics,
  readRunInfo,
  readRunSpec,
  runFiles,
  supersedeMetricsAfter,
  writeRunInfo,
} from '../../../src/runner/runStore';
import { expandSweep, loadSpecText, trialLabel } from '../../../src/spec';

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wdlab-store-'));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function sweepTrials() {
  const loaded = loadSpecText(
    JSON.stringify({
      name: 'store-test',
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 32 },
      model: { arch: 'mlp', hidden: [8] },
      optimizer: { type: 'sgd' },
      training: { batchSize: 16 },
      sweep: { 'regularization.type': ['none', 'weightDecay'], 'training.seed': [1, 2] },
    }),
  );
  assert.deepEqual(loaded.diagnostics, []);
  return expandSweep(loaded.spec!);
}

const record = (step: number, extra: Record<string, number> = {}): MetricRecord => ({
  step,
  epoch: step / 4,
  time: step,
  ...extra,
});

describe('run store', () => {
  test('a sweep allocates one queued run per trial, in one group, with the resolved spec', () => {
    const root = tmp();
    const trials = sweepTrials();
    const { group, runDirs } = createSweepRuns(
      root,
      trials,
      trials.map(trialLabel),
      undefined,
      new Date(2026, 0, 2, 3, 4, 5),
    );
    assert.equal(group, '20260102-030405-store-test');
    assert.equal(runDirs.length, 4);
    assert.deepEqual(
      runDirs.map((d) => d.slice(root.length + 1)),
      [1, 2, 3, 4].map((i) => `${group}-t${i}`),
    );
    const info = readRunInfo(runDirs[3]);
    assert.equal(info.status, 'queued');
    assert.deepEqual(info.trial.values, { 'regularization.type': 'weightDecay', 'training.seed': 2 });
    const spec = JSON.parse(readFileSync(runFiles(runDirs[3]).spec, 'utf8'));
    assert.equal(spec.regularization.type, 'weightDecay');
    assert.equal(spec.training.seed, 2);
    assert.deepEqual(spec.sweep, {});
    // The same second again gets fresh folders, never someone else's.
    const again = createSweepRuns(root, trials.slice(0, 1), [''], undefined, new Date(2026, 0, 2, 3, 4, 5));
    assert.equal(again.runDirs[0], join(root, `${group}.2`));
    const third = createSweepRuns(
      root,
      trials.slice(0, 2),
      ['', ''],
      undefined,
      new Date(2026, 0, 2, 3, 4, 5),
    );
    assert.deepEqual(third.runDirs, [join(root, `${group}.3-t1`), join(root, `${group}.3-t2`)]);
  });

  test('a torn last line is skipped quietly; a damaged line in the middle is skipped and reported with its line', () => {
    const good = `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`;
    const reports: DamagedLine[] = [];
    assert.equal(parseJsonl(`${good}{"step": 3, "ep`, 'm.jsonl', (d) => reports.push(d)).length, 2);
    assert.equal(reports.length, 0);
    const text = `${good}{oops\n[1,2]\n${JSON.stringify(record(4))}\n`;
    const read = parseJsonl<MetricRecord>(text, 'm.jsonl', (d) => reports.push(d));
    assert.deepEqual(
      read.map((r) => r.step),
      [1, 2, 4],
    );
    assert.deepEqual(
      reports.map((r) => [r.file, r.line, r.text]),
      [
        ['m.jsonl', 3, '{oops'],
        ['m.jsonl', 4, '[1,2]'],
      ],
    );
  });

  test('resume bookkeeping moves records after the checkpoint aside and keeps them', () => {
    const root = tmp();
    const trials = sweepTrials();
    const { runDirs } = createSweepRuns(root, trials.slice(0, 1), [''], undefined);
    const dir = runDirs[0];
    for (let s = 0; s <= 10; s++) appendMetric(dir, record(s, { 'train/loss': 10 - s }));
    assert.equal(supersedeMetricsAfter(dir, 6), 4);
    assert.deepEqual(
      readMetrics(dir).map((r) => r.step),
      [0, 1, 2, 3, 4, 5, 6],
    );
    const moved = parseJsonl<MetricRecord>(readFileSync(runFiles(dir).superseded, 'utf8'));
    assert.deepEqual(
      moved.map((r) => r.step),
      [7, 8, 9, 10],
    );
    assert.equal(supersedeMetricsAfter(dir, 6), 0);
    assert.deepEqual(lastValues(readMetrics(dir)), { step: 6, epoch: 1.5, time: 6, 'train/loss': 4 });
  });

  test('a run whose owner process is gone reads as interrupted, and that is written back', async () => {
    const root = tmp();
    const trials = sweepTrials();
    const { runDirs } = createSweepRuns(root, trials.slice(0, 2), ['a', 'b'], undefined);
    // A real process that has exited: its pid is not alive any more.
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    writeRunInfo(runDirs[0], { ...readRunInfo(runDirs[0]), status: 'running', ownerPid: deadPid });
    const runs = listRuns(root);
    assert.deepEqual(
      runs.map((r) => r.info.status),
      ['interrupted', 'queued'],
    );
    assert.equal(readRunInfo(runDirs[0]).status, 'interrupted');
  });

  test('checkpoints round-trip exactly and latest.json always names a complete state', () => {
    const dir = join(tmp(), 'checkpoint');
    const a = Float32Array.from([1.5, -2.25, Math.PI]);
    const b = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e-3);
    writeCheckpoint(dir, { step: 10, optimizerIterations: 10, elapsed: 1.5 }, [
      { name: 'w', shape: [3], data: a },
      { name: 'v', shape: [10, 100], data: b },
    ]);
    writeCheckpoint(dir, { step: 20, optimizerIterations: 20, elapsed: 3 }, [
      { name: 'w', shape: [3], data: a.map((x) => x * 2) },
      { name: 'v', shape: [10, 100], data: b },
    ]);
    assert.equal(readCheckpointState(dir)?.step, 20);
    const { tensors } = readCheckpoint(dir);
    assert.deepEqual(Array.from(tensors.get('w')!), [3, -4.5, Math.fround(Math.PI) * 2]);
    assert.deepEqual(tensors.get('v'), b);
    // Only the newest pair remains.
    assert.deepEqual(readdirSync(dir).sort(), ['latest.json', 'state-20.bin', 'state-20.json']);
    // A half-written newer state (a crash before latest.json moved) does not hide the complete one.
    writeFileSync(join(dir, 'state-30.bin'), 'partial');
    assert.equal(readCheckpointState(dir)?.step, 20);
  });

  test('the spec of a run written before the metrics block existed reads back with its defaults', () => {
    const trials = sweepTrials().slice(0, 1);
    const [dir] = createSweepRuns(tmp(), trials, trials.map(trialLabel), undefined).runDirs;
    const { metrics: _dropped, ...old } = JSON.parse(readFileSync(runFiles(dir).spec, 'utf8'));
    writeFileSync(runFiles(dir).spec, JSON.stringify(old));
    const spec = readRunSpec(dir);
    assert.equal(spec.metrics.jacobian, 'exact');
    assert.equal(spec.metrics.everySteps, 0);
    assert.deepEqual({ ...spec, metrics: undefined }, { ...old, metrics: undefined });
  });
});
