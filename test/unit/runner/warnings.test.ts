// What a completed run still needs to say (runner/warnings.ts), judged from hand-made records: an exploded
// training or test loss, and a final test accuracy below chance for the dataset's classes. Then the same
// through a TrialRunner with a scripted trainer: the warnings land in run.json, and `wdlab list` shows them.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MetricRecord } from '../../../src/protocol/records';
import { readRunInfo } from '../../../src/runner/runStore';
import { TrialRunner } from '../../../src/runner/trialRunner';
import { chanceWarnings, EXPLOSION_FACTOR, lossWarnings, runWarnings } from '../../../src/runner/warnings';
import { DATASET_CLASSES } from '../../../src/spec/catalog';
import { createBelowChanceRun } from '../../helpers/belowChance';
import { runCli } from '../../helpers/cli';
import { scratchDir } from '../../helpers/scratch';

const record = (step: number, fields: Record<string, number>): MetricRecord => ({
  step,
  epoch: step / 10,
  time: step,
  ...fields,
});

/** Step 0 of a 10-class run: chance-level test metrics, loss about ln(10). */
const first = record(0, { 'train/loss': 2.31, 'test/loss': 2.3, 'test/accuracy': 0.1 });

describe('run warnings', () => {
  test('a healthy run says nothing', () => {
    const final = { 'train/loss': 0.4, 'test/loss': 0.7, 'test/accuracy': 0.78 };
    assert.deepEqual(runWarnings(first, final, 10), []);
  });

  test('a training loss grown past the factor is an exploded run', () => {
    const final = { 'train/loss': 2.3 * EXPLOSION_FACTOR * 1.5, 'test/loss': 2.0, 'test/accuracy': 0.3 };
    const [w, ...rest] = runWarnings(first, final, 10);
    assert.deepEqual(rest, []);
    assert.match(w, /^train\/loss grew from 2\.30 at the start to 345 \(1\.5e\+2x\): the run exploded/);
  });

  test('a test loss grown past the factor is one too, while the training loss is fine', () => {
    const final = { 'train/loss': 0.05, 'test/loss': 2.3 * EXPLOSION_FACTOR * 2, 'test/accuracy': 0.5 };
    const warnings = runWarnings(first, final, 10);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^test\/loss grew from 2\.30 at the start to 460 \(2\.0e\+2x\)/);
    // Just under the factor: no warning.
    assert.deepEqual(lossWarnings(first, { 'test/loss': 2.3 * EXPLOSION_FACTOR * 0.99 }), []);
  });

  test('without a first record the start is an untrained classifier’s loss, ln(classes)', () => {
    assert.deepEqual(lossWarnings(undefined, { 'test/loss': 1000 }), []);
    const [w] = lossWarnings(undefined, { 'test/loss': 1000 }, 100);
    assert.match(w, /^test\/loss grew from 4\.61 at the start to 1\.00e\+3/);
  });

  test('a final test accuracy below chance, 1 / classes of the dataset', () => {
    const [w, ...rest] = runWarnings(
      first,
      { 'train/loss': 2.2, 'test/loss': 2.4, 'test/accuracy': 0.04 },
      10,
    );
    assert.deepEqual(rest, []);
    assert.equal(
      w.split(':')[0],
      'test/accuracy ended at 4.0%, below chance (10.0% for 10 classes)',
      'the part `wdlab list` shows',
    );
    // CIFAR-100: chance is 1%.
    assert.deepEqual(chanceWarnings({ 'test/accuracy': 0.04 }, DATASET_CLASSES.cifar100), []);
    assert.match(
      chanceWarnings({ 'test/accuracy': 0.005 }, 100)[0],
      /^test\/accuracy ended at 0\.5%, below chance \(1\.0% for 100 classes\)/,
    );
    // Close to chance: digits enough to tell them apart.
    assert.match(
      chanceWarnings({ 'test/accuracy': 0.0996 }, 10)[0],
      /ended at 9\.96%, below chance \(10\.00%/,
    );
  });

  test('at chance, without a test accuracy, or without the classes: no chance warning', () => {
    assert.deepEqual(chanceWarnings({ 'test/accuracy': 0.1 }, 10), []);
    assert.deepEqual(chanceWarnings({ 'train/accuracy': 0.01 }, 10), []);
    assert.deepEqual(chanceWarnings({ 'test/accuracy': 0.01 }, undefined), []);
  });
});

/** A trainer that reports two records (the second's values from its argument) and completes. */
const SCRIPTED_TRAINER = `
const final = JSON.parse(process.env.FINAL_RECORD);
const progress = { step: 10, totalSteps: 10, epoch: 1, epochs: 1 };
process.on('message', (m) => {
  if (m.type !== 'start') return;
  process.send({ type: 'ready', backend: { name: 'cpu', device: 'scripted', skipped: [] }, parameterCount: 1, startStep: 0, totalSteps: 10 });
  process.send({ type: 'metrics', record: ${JSON.stringify(first)} });
  process.send({ type: 'metrics', record: { step: 10, epoch: 1, time: 1, ...final } });
  process.send({ type: 'done', status: 'completed', progress }, () => process.exit(0));
});
`;

test('a completed run with a test accuracy below chance and an exploded test loss: run.json and wdlab list', async () => {
  const root = scratchDir('wdlab-warnings-');
  const trainer = join(root, 'trainer.js');
  writeFileSync(trainer, SCRIPTED_TRAINER);
  const runsDir = join(root, 'runs');
  const { runDir, trial } = createBelowChanceRun(runsDir);
  const runDirs = [runDir];
  const final = { 'train/loss': 0.1, 'test/loss': 900, 'test/accuracy': 0.02 };
  const runner = new TrialRunner(runDirs[0], {
    trainerPath: trainer,
    env: { FINAL_RECORD: JSON.stringify(final) },
  });
  const result = await runner.run(trial.spec, false);
  assert.equal(result.status, 'completed');

  const info = readRunInfo(runDirs[0]);
  assert.equal(info.status, 'completed');
  assert.deepEqual(info.warnings, result.warnings);
  assert.equal(info.warnings?.length, 2, JSON.stringify(info.warnings));
  assert.match(info.warnings![0], /^test\/loss grew from 2\.30 at the start to 900/);
  assert.match(info.warnings![1], /^test\/accuracy ended at 2\.0%, below chance \(10\.0% for 10 classes\)/);

  const list = await runCli(['list', '--runs-dir', runsDir], root);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /completed \(warning: test\/loss grew from 2\.30 at the start to 900/);
});
