// The whole headless loop through the real CLI bundle: spec -> validation -> sweep -> trainer process
// -> run store, including cancel + resume, a trainer killed by SIGKILL, a killed CLI, and divergence.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readCheckpointState } from '../../../src/engine/checkpointFormat';
import type { MetricRecord } from '../../../src/protocol/records';
import { parseJsonl, type RunInfo, runFiles } from '../../../src/runner/runStore';
import { cliPath, repoRoot } from '../../helpers/backend';
import { waitFor } from '../../helpers/wait';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], cwd: string): { child: ChildProcess; done: Promise<Finished> } {
  const { WDLAB_RUNS_DIR: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [cliPath(), ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const wdlab = (args: string[], cwd: string) => start(args, cwd).done;

const workspaces: string[] = [];
after(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function workspace(specs: Record<string, object | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wdlab-cli-'));
  workspaces.push(dir);
  for (const [name, spec] of Object.entries(specs)) {
    writeFileSync(join(dir, name), typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  }
  return dir;
}

/** A teacher-network MLP task small enough for a few seconds per trial on one core. */
const tinySpec = (over: Record<string, unknown> = {}) => ({
  name: 'tiny',
  data: { dataset: 'synthetic-vectors', trainSize: 256, testSize: 128 },
  model: { arch: 'mlp', hidden: [32], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 5e-4 },
  training: { epochs: 2, batchSize: 32, backend: 'wasm', logEverySteps: 4 },
  ...over,
});

const runsIn = (cwd: string) => join(cwd, '.wdlab', 'runs');
const runDirsIn = (cwd: string) =>
  existsSync(runsIn(cwd))
    ? readdirSync(runsIn(cwd))
        .sort()
        .map((d) => join(runsIn(cwd), d))
    : [];
const info = (dir: string): RunInfo => JSON.parse(readFileSync(runFiles(dir).run, 'utf8'));
const metrics = (dir: string): MetricRecord[] => parseJsonl(readFileSync(runFiles(dir).metrics, 'utf8'));

describe('wdlab CLI', () => {
  test('validate: exit 0 with the trial count; exit 2 with file:line:column errors', async () => {
    const cwd = workspace({
      'good.wdlab.json': tinySpec({
        sweep: { 'regularization.type': ['none', 'l2', 'weightDecay'], 'training.seed': [1, 2] },
      }),
      'bad.wdlab.json':
        '{\n  "name": "bad",\n  "data": { "dataset": "synthetic-vectors" },\n  "model": { "arch": "mlp" },\n  "optimizer": { "type": "adam", "momentum": 0.9 }\n}\n',
    });
    const good = await wdlab(['validate', 'good.wdlab.json'], cwd);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /good\.wdlab\.json: valid — 6 trials/);
    const bad = await wdlab(['validate', 'bad.wdlab.json'], cwd);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.wdlab\.json:5:\d+: error: .*momentum/);
    const missing = await wdlab(['validate', 'nope.wdlab.json'], cwd);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.wdlab\.json/);
  });

  test('run: a 2-trial sweep completes, records every metric, and list shows it', async () => {
    const cwd = workspace({
      'sweep.wdlab.json': tinySpec({ sweep: { 'regularization.type': ['none', 'weightDecay'] } }),
    });
    const out = await wdlab(['run', 'sweep.wdlab.json'], cwd);
    assert.equal(out.code, 0, out.stderr + out.stdout);
    assert.match(out.stdout, new RegExp(`Results: ${runsIn(cwd).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const dirs = runDirsIn(cwd);
    assert.equal(dirs.length, 2);
    for (const dir of dirs) {
      const run = info(dir);
      assert.equal(run.status, 'completed');
      assert.equal(run.backend?.name, 'wasm');
      const records = metrics(dir);
      // 256 / 32 = 8 steps per epoch, 2 epochs: step 0 (initial state), then every 4 steps.
      assert.deepEqual(
        records.map((r) => r.step),
        [0, 4, 8, 12, 16],
      );
      for (const r of records) {
        assert.equal(typeof r.epoch, 'number');
        assert.ok(Number.isFinite(r.lr));
      }
      const epochEnds = records.filter((r) => r.step > 0 && r.step % 8 === 0);
      for (const r of epochEnds) {
        for (const k of ['train/loss', 'train/accuracy', 'test/loss', 'test/accuracy'])
          assert.ok(k in r, `${k} at ${r.step}`);
      }
      // Hidden layer is followed by BN: scale-invariant, so it has an effective LR; the last layer does not.
      const last = records.at(-1)!;
      const hidden = Object.keys(last).filter((k) => k.startsWith('effectiveLr/'));
      assert.equal(hidden.length, 1);
      const layer = hidden[0].slice('effectiveLr/'.length);
      assert.ok(Math.abs(last[`effectiveLr/${layer}`] - last.lr / last[`weightNorm/${layer}`] ** 2) < 1e-12);
      assert.equal(Object.keys(last).filter((k) => k.startsWith('weightNorm/')).length, 2);
      // run.json names the layers and which of them the mechanism-1 metrics apply to.
      assert.deepEqual(
        run.layers?.map((l) => [l.name, l.scaleInvariant, l.decayed]),
        [
          ['fc1', true, run.trial.values['regularization.type'] === 'weightDecay'],
          ['fc', false, run.trial.values['regularization.type'] === 'weightDecay'],
        ],
      );
      assert.ok(existsSync(join(runFiles(dir).checkpoint, 'latest.json')));
    }
    assert.deepEqual(
      dirs.map((d) => info(d).trial.values),
      [{ 'regularization.type': 'none' }, { 'regularization.type': 'weightDecay' }],
    );
    const list = await wdlab(['list'], cwd);
    assert.equal(list.code, 0);
    assert.equal((list.stdout.match(/completed/g) ?? []).length, 2);
    assert.match(list.stdout, /wasm/);
    const json = JSON.parse((await wdlab(['list', '--json'], cwd)).stdout);
    assert.equal(json.length, 2);
    assert.ok(json[0].final['test/accuracy'] > 0);
  });

  test('run: training.threads 2 splits every step over two threads, says so, and trains as one thread does', async () => {
    const cwd = workspace({ 'threads.wdlab.json': tinySpec({ sweep: { 'training.threads': [1, 2] } }) });
    const out = await wdlab(['run', 'threads.wdlab.json'], cwd);
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const [one, two] = runDirsIn(cwd);
    assert.deepEqual(
      [info(one).trial.values, info(two).trial.values],
      [{ 'training.threads': 1 }, { 'training.threads': 2 }],
    );
    assert.equal(info(one).backend?.device, 'WebAssembly (SIMD, 1 thread)');
    assert.equal(info(two).backend?.device, 'WebAssembly (SIMD, 2 threads, the batch split between them)');
    assert.match(readFileSync(runFiles(two).log, 'utf8'), /wdlab: gradient threads: 2 /);
    assert.doesNotMatch(readFileSync(runFiles(one).log, 'utf8'), /gradient threads/);
    const [a, b] = [metrics(one), metrics(two)];
    assert.deepEqual(
      b.map((r) => r.step),
      a.map((r) => r.step),
    );
    for (const [i, r] of b.entries()) {
      for (const key of ['train/loss', 'test/loss', 'weightNorm/fc1'] as const) {
        if (!(key in r)) continue;
        const rel = Math.abs(r[key] - a[i][key]) / Math.abs(a[i][key]);
        assert.ok(rel < 1e-4, `${key} at step ${r.step}: ${r[key]} vs ${a[i][key]}`);
      }
    }
  });

  test('Ctrl+C stops at a step boundary with a checkpoint; --resume finishes exactly like an uninterrupted run', async () => {
    const spec = tinySpec({ training: { epochs: 30, batchSize: 32, backend: 'wasm', logEverySteps: 1 } });
    const cwd = workspace({ 'long.wdlab.json': spec });
    // Reference: the same trial, uninterrupted, in another workspace.
    const refCwd = workspace({ 'long.wdlab.json': spec });
    const reference = wdlab(['run', 'long.wdlab.json'], refCwd);

    const { child, done } = start(['run', 'long.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirsIn(cwd)[0]);
    await waitFor('records', () => existsSync(runFiles(dir).metrics) && metrics(dir).length >= 12);
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const cancelled = info(dir);
    assert.equal(cancelled.status, 'cancelled');
    const checkpoint = readCheckpointState(runFiles(dir).checkpoint);
    assert.ok(
      checkpoint && checkpoint.step > 0 && checkpoint.step < 240,
      `checkpoint at ${checkpoint?.step}`,
    );
    assert.equal(metrics(dir).at(-1)!.step, checkpoint.step);

    const resumed = await wdlab(['run', '--resume', dir], cwd);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(info(dir).status, 'completed');
    assert.equal(info(dir).resumes, 1);
    const steps = metrics(dir).map((r) => r.step);
    assert.deepEqual(
      steps,
      Array.from({ length: 241 }, (_, i) => i),
      'one record per step, none lost, none repeated',
    );

    const ref = await reference;
    assert.equal(ref.code, 0, ref.stderr);
    const refLast = metrics(runDirsIn(refCwd)[0]).at(-1)!;
    const last = metrics(dir).at(-1)!;
    for (const k of Object.keys(refLast).filter((k) => k !== 'time' && !k.startsWith('time/'))) {
      assert.equal(last[k], refLast[k], `${k} after resume`);
    }
  });

  test('Ctrl+C during a sweep names what did not finish and how to go on; --resume GROUP resumes them all', async () => {
    const spec = tinySpec({
      training: { epochs: 30, batchSize: 32, backend: 'wasm', logEverySteps: 4 },
      sweep: { 'training.seed': [1, 2, 3] },
    });
    const cwd = workspace({ 's.wdlab.json': spec });
    const { child, done } = start(['run', 's.wdlab.json'], cwd);
    const first = await waitFor('a run dir', () => runDirsIn(cwd)[0]);
    await waitFor('records', () => existsSync(runFiles(first).metrics) && metrics(first).length >= 6);
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const group = info(first).group;
    assert.ok(
      stopped.stdout.includes(
        `3 trials stopped before the end; continue them with: wdlab run --resume ${group}`,
      ),
      stopped.stdout,
    );
    assert.deepEqual(
      runDirsIn(cwd).map((d) => info(d).status),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    const resumed = await wdlab(['run', '--resume', group, '--quiet'], cwd);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.deepEqual(
      runDirsIn(cwd).map((d) => info(d).status),
      ['completed', 'completed', 'completed'],
    );
    // The first continued from its checkpoint; the two never started ran from step 0; none repeats a step.
    for (const dir of runDirsIn(cwd)) {
      const steps = metrics(dir).map((r) => r.step);
      assert.deepEqual(
        steps,
        [...new Set(steps)].sort((a, b) => a - b),
        `${dir}: steps repeat or go back`,
      );
      assert.equal(steps[0], 0);
    }
    assert.equal(info(first).resumes, 1);
    // Resuming again: nothing left to do, said per run.
    const again = await wdlab(['run', '--resume', group], cwd);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /: completed, nothing to resume/);
  });

  test('a trainer killed by SIGKILL marks the trial failed and loses no completed record', async () => {
    const cwd = workspace({
      'k.wdlab.json': tinySpec({
        training: { epochs: 100, batchSize: 32, backend: 'wasm', logEverySteps: 1 },
      }),
    });
    const { done } = start(['run', 'k.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirsIn(cwd)[0]);
    const pid = await waitFor('the trainer pid', () => info(dir).trainerPid);
    await waitFor('records', () => metrics(dir).length >= 20);
    process.kill(pid, 'SIGKILL');
    const seen = metrics(dir).length;
    const out = await done;
    assert.equal(out.code, 1);
    const run = info(dir);
    assert.equal(run.status, 'failed');
    assert.match(run.error!.message, /killed by SIGKILL/);
    // Every line of metrics.jsonl is a whole record and none of those seen before the kill is gone.
    const text = readFileSync(runFiles(dir).metrics, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.length >= seen);
    lines.forEach((l, i) => {
      assert.equal(JSON.parse(l).step, i);
    });
  });

  test('a killed CLI leaves the run interrupted, and it can be resumed', async () => {
    const cwd = workspace({
      'i.wdlab.json': tinySpec({
        training: { epochs: 100, batchSize: 32, backend: 'wasm', logEverySteps: 1 },
      }),
    });
    const { child, done } = start(['run', 'i.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirsIn(cwd)[0]);
    const trainerPid = await waitFor('the trainer pid', () => info(dir).trainerPid);
    await waitFor('records', () => metrics(dir).length >= 5);
    child.kill('SIGKILL');
    await done;
    // The orphaned trainer notices its parent is gone, checkpoints, and exits on its own.
    await waitFor('the trainer to exit', () => {
      try {
        process.kill(trainerPid, 0);
        return undefined;
      } catch {
        return true;
      }
    });
    const list = await wdlab(['list'], cwd);
    assert.match(list.stdout, /interrupted/);
    assert.equal(info(dir).status, 'interrupted');
    const checkpoint = readCheckpointState(runFiles(dir).checkpoint);
    assert.ok(checkpoint, 'the trainer wrote a checkpoint when its parent went away');
    assert.equal(metrics(dir).at(-1)!.step, checkpoint.step, 'records and checkpoint agree');
    const resumed = await wdlab(['run', '--resume', dir], cwd);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(
      metrics(dir).map((r) => r.step),
      Array.from({ length: 801 }, (_, i) => i),
    );
  });

  test('divergence ends the trial as failed with the step it diverged at', async () => {
    const cwd = workspace({
      'd.wdlab.json': tinySpec({
        model: { arch: 'mlp', hidden: [32], batchNorm: false },
        optimizer: { type: 'sgd', lr: 1e6, momentum: 0.9 },
      }),
    });
    const out = await wdlab(['run', 'd.wdlab.json'], cwd);
    assert.equal(out.code, 1);
    const run = info(runDirsIn(cwd)[0]);
    assert.equal(run.status, 'failed');
    const m = /diverged at step (\d+)/.exec(run.error!.message);
    assert.ok(m, run.error!.message);
    // Records before the divergence are kept; all of them are finite numbers.
    const records = metrics(runDirsIn(cwd)[0]);
    assert.ok(records.length >= 1 && records.at(-1)!.step < Number(m[1]));
    for (const r of records) for (const v of Object.values(r)) assert.equal(typeof v, 'number');
  });

  test('the bundled quickstart spec is valid', async () => {
    const out = await wdlab(['validate', join(repoRoot(), 'examples', 'quickstart.wdlab.json')], repoRoot());
    assert.equal(out.code, 0, out.stderr);
  });
});
