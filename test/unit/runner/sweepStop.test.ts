// Stopping one trial of a sweep, with real trainer processes: the trial training now stops at a step
// boundary with a checkpoint and the sweep goes on with the next; a queued trial stopped before its turn
// never starts (cancelled, no records) while the others train; stop() ends the current trial and cancels
// every queued one; resumeAll continues the stopped trials from their checkpoints, one after another.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { type RunInfo, readMetrics, runFiles } from '../../../src/runner/runStore';
import { SweepRun } from '../../../src/runner/sweep';
import type { TrialRunner } from '../../../src/runner/trialRunner';
import { loadSpecText, trialLabel } from '../../../src/spec';
import { trainerPath } from '../../helpers/backend';
import { tempDir } from '../../helpers/datasetFiles';

/** A three-trial sweep of a small MLP; each trial takes a few hundred steps (seconds, not milliseconds). */
const sweepSpec = {
  name: 'stop-one',
  data: { dataset: 'synthetic-vectors', trainSize: 2048, testSize: 64 },
  model: { arch: 'mlp', hidden: [16], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 0.0005 },
  training: { epochs: 3, batchSize: 16, backend: 'wasm', logEverySteps: 8 },
  metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 16 },
  sweep: { 'training.seed': [1, 2, 3] },
};

const info = (dir: string): RunInfo => JSON.parse(readFileSync(runFiles(dir).run, 'utf8'));

function trials() {
  const loaded = loadSpecText(JSON.stringify(sweepSpec));
  assert.ok(loaded.spec, JSON.stringify(loaded.diagnostics));
  return { trials: loaded.trials, labels: loaded.trials.map(trialLabel) };
}

/** Calls `act` once the trial at `index` has reported `steps` steps of progress. */
function whenTrainingTrial(index: number, steps: number, act: (runner: TrialRunner) => void) {
  return {
    trialStarted: (runner: TrialRunner, position: { index: number }) => {
      if (position.index !== index) return;
      let done = false;
      runner.on('progress', (p) => {
        if (!done && p.step >= steps) {
          done = true;
          act(runner);
        }
      });
    },
  };
}

describe('stopping one trial of a sweep (real trainers)', () => {
  test('the training trial stops with a checkpoint; the sweep goes on with the others', async () => {
    const runsDir = tempDir('wdlab-stop-one-');
    const { trials: ts, labels } = trials();
    let sweep!: SweepRun;
    const observer = whenTrainingTrial(0, 20, (runner) => assert.equal(sweep.stopTrial(runner.runDir), true));
    sweep = new SweepRun({ trainerPath: trainerPath() }, observer);
    const result = await sweep.run(runsDir, ts, labels);
    assert.equal(result.cancelled, false);
    assert.deepEqual(
      result.results.map((r) => r?.status),
      ['cancelled', 'completed', 'completed'],
    );
    const first = info(result.runDirs[0]);
    assert.ok(first.progress && first.progress.step >= 20 && first.progress.step < first.progress.totalSteps);
    assert.ok(existsSync(join(runFiles(result.runDirs[0]).checkpoint, 'latest.json')), 'no checkpoint');
    for (const dir of result.runDirs.slice(1)) assert.equal(info(dir).status, 'completed');
    // Stopping a trial that has ended does nothing.
    assert.equal(sweep.stopTrial(result.runDirs[0]), false);

    // Resume continues it from its checkpoint to the end.
    const resumed = await new SweepRun({ trainerPath: trainerPath() }).resumeAll([result.runDirs[0]]);
    assert.equal(resumed[0]?.status, 'completed');
    const steps = readMetrics(result.runDirs[0]).map((r) => r.step);
    assert.deepEqual(
      steps,
      [...new Set(steps)].sort((a, b) => a - b),
      'steps repeat or go back',
    );
  });

  test('a queued trial stopped before its turn never starts; the others train', async () => {
    const runsDir = tempDir('wdlab-stop-queued-');
    const { trials: ts, labels } = trials();
    let sweep!: SweepRun;
    let thirdDir = '';
    const observer = whenTrainingTrial(0, 4, (runner) => {
      thirdDir = join(runsDir, basename(runner.runDir).replace(/-t1$/, '-t3'));
      assert.equal(sweep.stopTrial(thirdDir), true);
      // Twice is once.
      assert.equal(sweep.stopTrial(thirdDir), false);
    });
    let skipped = '';
    sweep = new SweepRun(
      { trainerPath: trainerPath() },
      { ...observer, trialSkipped: (dir) => (skipped = dir) },
    );
    const result = await sweep.run(runsDir, ts, labels);
    assert.equal(result.runDirs[2], thirdDir);
    assert.equal(skipped, thirdDir);
    assert.deepEqual(
      result.results.map((r) => r?.status),
      ['completed', 'completed', undefined],
    );
    const third = info(thirdDir);
    assert.equal(third.status, 'cancelled');
    assert.equal(third.progress, undefined);
    assert.equal(readMetrics(thirdDir).length, 0);
    // Resumed, a never-started trial trains from the start.
    const resumed = await new SweepRun({ trainerPath: trainerPath() }).resumeAll([thirdDir]);
    assert.equal(resumed[0]?.status, 'completed');
    assert.equal(readMetrics(thirdDir)[0]?.step, 0);
  });

  test('stop() ends the current trial and cancels every queued one; resumeAll continues them all', async () => {
    const runsDir = tempDir('wdlab-stop-all-');
    const { trials: ts, labels } = trials();
    let sweep!: SweepRun;
    sweep = new SweepRun(
      { trainerPath: trainerPath() },
      whenTrainingTrial(0, 12, () => sweep.stop()),
    );
    const result = await sweep.run(runsDir, ts, labels);
    assert.equal(result.cancelled, true);
    assert.deepEqual(
      result.runDirs.map((d) => info(d).status),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    // resumeAll: the first from its checkpoint, the two others from the start, in order; stop() during
    // the second leaves the third as it was.
    const order: number[] = [];
    let again!: SweepRun;
    again = new SweepRun(
      { trainerPath: trainerPath() },
      {
        trialStarted: (runner, position) => {
          order.push(position.index);
          if (position.index === 1) runner.on('progress', (p) => p.step >= 8 && again.stop());
        },
      },
    );
    const resumed = await again.resumeAll(result.runDirs);
    assert.deepEqual(order, [0, 1]);
    assert.deepEqual(
      resumed.map((r) => r?.status),
      ['completed', 'cancelled', undefined],
    );
    assert.equal(info(result.runDirs[2]).status, 'cancelled');
  });
});
