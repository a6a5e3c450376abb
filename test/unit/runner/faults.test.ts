// Faults injected for real into the run store, through the real CLI and trainer processes: a metrics file
// cut in the middle of its last line, a damaged line in the middle, garbage in run.json and spec.json,
// non-finite numbers and deep nesting in a spec. Each asserts what a user keeps: every record, a run that
// still lists, reports and resumes, and a message that names the file and what to do.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readCheckpointState } from '../../../src/engine/checkpointFormat';
import type { MetricRecord } from '../../../src/protocol/records';
import { runFiles } from '../../../src/runner/runStore';
import { cliPath } from '../../helpers/backend';
import { runCli } from '../../helpers/cli';
import { waitFor } from '../../helpers/wait';

const workspaces: string[] = [];
after(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function workspace(files: Record<string, string | object>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wdlab-faults-'));
  workspaces.push(dir);
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}

const tiny = (epochs: number) => ({
  name: 'tiny',
  data: { dataset: 'synthetic-vectors', trainSize: 256, testSize: 128 },
  model: { arch: 'mlp', hidden: [32], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 5e-4 },
  training: { epochs, batchSize: 32, backend: 'wasm', logEverySteps: 1 },
});

const runDirs = (cwd: string): string[] => {
  const runs = join(cwd, '.wdlab', 'runs');
  return existsSync(runs)
    ? readdirSync(runs)
        .sort()
        .map((d) => join(runs, d))
    : [];
};
/** Every line of metrics.jsonl, parsed: throws on any line that is not a record. */
const strictMetrics = (dir: string): MetricRecord[] =>
  readFileSync(runFiles(dir).metrics, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as MetricRecord);

function start(args: string[], cwd: string): { child: ChildProcess; done: Promise<number | null> } {
  const { WDLAB_RUNS_DIR: _r, ...env } = process.env;
  const child = spawn(process.execPath, [cliPath(), ...args], { cwd, env, stdio: 'ignore' });
  return { child, done: new Promise((resolve) => child.on('close', resolve)) };
}

/** The last record equals the uninterrupted reference run's, every field but wall-clock time. */
async function assertEndsAsReference(
  records: MetricRecord[],
  reference: Promise<{ code: number | null; stderr: string }>,
  refCwd: string,
): Promise<void> {
  const ref = await reference;
  assert.equal(ref.code, 0, ref.stderr);
  const refLast = strictMetrics(runDirs(refCwd)[0]).at(-1)!;
  for (const k of Object.keys(refLast).filter((k) => !/^time\b/.test(k)))
    assert.equal(records.at(-1)![k], refLast[k], k);
}

describe('faults in the run store', () => {
  test('a metrics file cut mid-line: resume cuts the torn tail aside, and the run ends as if uninterrupted', async () => {
    const spec = tiny(20);
    const cwd = workspace({ 'r.wdlab.json': spec });
    const refCwd = workspace({ 'r.wdlab.json': spec });
    const reference = runCli(['run', 'r.wdlab.json', '--quiet'], refCwd);

    const { child, done } = start(['run', 'r.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirs(cwd)[0]);
    await waitFor('records', () => strictMetrics(dir).length >= 10);
    child.kill('SIGINT');
    assert.equal(await done, 130);
    const checkpoint = readCheckpointState(runFiles(dir).checkpoint);
    assert.ok(checkpoint);
    // What a trainer killed in the middle of its next write leaves: half a line, no newline.
    const last = readFileSync(runFiles(dir).metrics, 'utf8').trimEnd().split('\n').at(-1)!;
    const torn = last.slice(0, Math.floor(last.length / 2));
    appendFileSync(runFiles(dir).metrics, torn);

    const resumed = await runCli(['run', '--resume', dir, '--quiet'], cwd);
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = strictMetrics(dir);
    assert.deepEqual(
      records.map((r) => r.step),
      Array.from({ length: 161 }, (_, i) => i),
      'every line a record, one per step, none lost or repeated',
    );
    assert.equal(
      readFileSync(runFiles(dir).unreadable, 'utf8'),
      `${torn}\n`,
      'the torn bytes are kept aside',
    );

    await assertEndsAsReference(records, reference, refCwd);
  });

  test('a damaged line in the middle: list and report skip it with a warning naming file and line', async () => {
    const cwd = workspace({ 'd.wdlab.json': tiny(2) });
    assert.equal((await runCli(['run', 'd.wdlab.json', '--quiet'], cwd)).code, 0);
    const dir = runDirs(cwd)[0];
    const lines = readFileSync(runFiles(dir).metrics, 'utf8').split('\n');
    lines[2] = `${lines[2].slice(0, 20)}#garbage`;
    writeFileSync(runFiles(dir).metrics, lines.join('\n'));
    const final = JSON.parse(lines.at(-2)!) as MetricRecord;

    const list = await runCli(['list'], cwd);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /completed/);
    assert.match(list.stdout, new RegExp(`${(100 * final['test/accuracy']).toFixed(1)}%`));
    assert.match(list.stderr, /metrics\.jsonl:3: not a JSON record .*skipped/);

    const report = await runCli(['report', dir, '-o', join(cwd, 'r.html')], cwd);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stderr, /metrics\.jsonl:3: not a JSON record/);
  });

  test('garbage in run.json: list shows the run as damaged with the file and the fix; nothing is dropped', async () => {
    const cwd = workspace({ 'g.wdlab.json': tiny(1) });
    assert.equal((await runCli(['run', 'g.wdlab.json', '--quiet'], cwd)).code, 0);
    const dir = runDirs(cwd)[0];
    writeFileSync(runFiles(dir).run, 'garbage{');
    const list = await runCli(['list'], cwd);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /damaged: .*run\.json is damaged \(not JSON: .*\); restore it from a backup, or delete the run folder/,
    );
    const json = JSON.parse((await runCli(['list', '--json'], cwd)).stdout) as { info: { status: string } }[];
    assert.deepEqual(
      json.map((r) => r.info.status),
      ['damaged'],
    );
    // Resume says the same, naming the file, without a stack.
    const resume = await runCli(['run', '--resume', dir], cwd);
    assert.notEqual(resume.code, 0);
    assert.match(resume.stderr, /run\.json is damaged \(not JSON/);
    assert.doesNotMatch(resume.stderr, /\n\s+at /);
  });

  test('a damaged spec.json and a truncated checkpoint: resume names the file, what is wrong and what to do', async () => {
    const cwd = workspace({ 'c.wdlab.json': tiny(20) });
    const { child, done } = start(['run', 'c.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirs(cwd)[0]);
    await waitFor('records', () => strictMetrics(dir).length >= 10);
    child.kill('SIGINT');
    assert.equal(await done, 130);
    const checkpoint = readCheckpointState(runFiles(dir).checkpoint)!;
    const bin = join(runFiles(dir).checkpoint, `state-${checkpoint.step}.bin`);
    const values = readFileSync(bin).byteLength / 4;

    const spec = readFileSync(runFiles(dir).spec, 'utf8');
    writeFileSync(runFiles(dir).spec, spec.slice(0, 30));
    const badSpec = await runCli(['run', '--resume', dir], cwd);
    assert.notEqual(badSpec.code, 0);
    assert.match(
      badSpec.stderr,
      /spec\.json is damaged \(not JSON: .*\); the run cannot be resumed without it/,
    );
    writeFileSync(runFiles(dir).spec, spec);

    // Cut the weights file to 40 values, as a full disk or a kill during a copy would.
    writeFileSync(bin, readFileSync(bin).subarray(0, 160));
    const cut = await runCli(['run', '--resume', dir], cwd);
    assert.notEqual(cut.code, 0);
    assert.match(
      cut.stderr + JSON.stringify(JSON.parse(readFileSync(runFiles(dir).run, 'utf8')).error ?? {}),
      new RegExp(
        `checkpoint/state-${checkpoint.step}\\.bin is truncated \\(40 of ${values} values\\): this run cannot resume from it; run its spec again`,
      ),
    );
    // The records stay.
    assert.ok(strictMetrics(dir).length >= 10);
  });

  test('three sweeps of one name started in the same second get three run folders, and all complete', async () => {
    const cwd = workspace({ 's.wdlab.json': tiny(1) });
    const runs = await Promise.all([0, 1, 2].map(() => runCli(['run', 's.wdlab.json', '--quiet'], cwd)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const dirs = runDirs(cwd);
    assert.equal(dirs.length, 3, dirs.join(', '));
    for (const dir of dirs)
      assert.equal(JSON.parse(readFileSync(runFiles(dir).run, 'utf8')).status, 'completed');
  });

  test('report -o never replaces a file without --force', async () => {
    const cwd = workspace({ 'p.wdlab.json': tiny(1) });
    assert.equal((await runCli(['run', 'p.wdlab.json', '--quiet'], cwd)).code, 0);
    const out = join(cwd, 'notes.html');
    writeFileSync(out, 'my notes');
    const refused = await runCli(['report', runDirs(cwd)[0], '-o', out], cwd);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /notes\.html exists; choose another file with -o FILE, or pass --force/);
    assert.equal(readFileSync(out, 'utf8'), 'my notes');
    const forced = await runCli(['report', runDirs(cwd)[0], '-o', out, '--force'], cwd);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(out, 'utf8'), /<html/i);
  });

  test('a full disk: the trial ends failed with "disk full while writing <file>", no temporary file stays, list works, resume finishes', async (t) => {
    // A real filesystem of 1 MiB (tmpfs), filled but for ~96 KiB, as the runs directory.
    const mnt = mkdtempSync(join(tmpdir(), 'wdlab-full-'));
    workspaces.push(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (e) {
      // Mounting needs root (CI runs as root): say why instead of passing silently.
      t.skip(`cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      const free = () => statfsSync(mnt).bavail * statfsSync(mnt).bsize;
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(free() - 96 * 1024));
      const cwd = workspace({ 'f.wdlab.json': tiny(100) });
      const runsDir = join(mnt, 'runs');
      const out = await runCli(['run', 'f.wdlab.json', '--runs-dir', runsDir], cwd);
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stdout, /failed/);
      assert.match(
        out.stdout + out.stderr,
        /disk full while writing \/tmp\/wdlab-full-\S+\/runs\/\S+: free some space, then resume the run/,
      );
      assert.doesNotMatch(out.stderr, /^ENOSPC|\n\s+at /m, 'no raw error or stack');
      const dir = join(runsDir, readdirSync(runsDir)[0]);
      const leftovers = execFileSync('find', [mnt, '-name', '*.tmp-*'], { encoding: 'utf8' }).trim();
      assert.equal(leftovers, '', 'temporary files left on the full disk');
      // run.json reached the disk with the reason, though no new file fit.
      const run = JSON.parse(readFileSync(runFiles(dir).run, 'utf8'));
      assert.equal(run.status, 'failed');
      assert.match(
        run.error.message,
        /disk full while writing \/tmp\/wdlab-full-\S+\/runs\/\S+: free some space, then resume the run/,
      );
      // Still full: list reads without writing.
      const list = await runCli(['list', '--runs-dir', runsDir], cwd);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /failed: disk full while writing/);
      const before = readFileSync(runFiles(dir).metrics, 'utf8')
        .split('\n')
        .filter((l) => l.endsWith('}')).length;
      assert.ok(before > 50, `${before} records written before the disk filled`);

      rmSync(join(mnt, 'filler'));
      const resumed = await runCli(['run', '--resume', dir, '--quiet'], cwd);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(
        strictMetrics(dir).map((r) => r.step),
        Array.from({ length: 801 }, (_, i) => i),
      );
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  test('a loss that explodes but stays finite: the run completes with a warning in run.json, the output and list', async () => {
    const exploding = {
      ...tiny(3),
      model: { arch: 'mlp', hidden: [32], batchNorm: false },
      optimizer: { type: 'sgd', lr: 3, momentum: 0.9 },
      training: { epochs: 3, batchSize: 32, backend: 'wasm', logEverySteps: 4 },
    };
    const cwd = workspace({ 'e.wdlab.json': exploding, 'ok.wdlab.json': tiny(3) });
    const out = await runCli(['run', 'e.wdlab.json'], cwd);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /warning: train\/loss grew from \S+ at the start to \S+ \(\S+x\): the run exploded/,
    );
    const run = JSON.parse(readFileSync(runFiles(runDirs(cwd)[0]).run, 'utf8'));
    assert.equal(run.status, 'completed');
    assert.ok(
      run.warnings.some((w: string) => w.startsWith('test/loss grew')),
      JSON.stringify(run.warnings),
    );
    assert.match((await runCli(['list'], cwd)).stdout, /completed \(warning: train\/loss grew/);
    // A run that learns says nothing.
    const fine = await runCli(['run', 'ok.wdlab.json'], cwd);
    assert.doesNotMatch(fine.stdout, /warning/);
  });

  test('a trainer killed by SIGKILL: the run is failed, every line parses, and resume ends where an uninterrupted run does', async () => {
    const spec = tiny(20);
    const cwd = workspace({ 'k.wdlab.json': spec });
    const refCwd = workspace({ 'k.wdlab.json': spec });
    const reference = runCli(['run', 'k.wdlab.json', '--quiet'], refCwd);
    const { done } = start(['run', 'k.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirs(cwd)[0]);
    const pid = await waitFor(
      'the trainer pid',
      () => JSON.parse(readFileSync(runFiles(dir).run, 'utf8')).trainerPid,
    );
    await waitFor('a checkpoint and records after it', () => {
      const c = readCheckpointState(runFiles(dir).checkpoint);
      return c && strictMetrics(dir).at(-1)!.step > c.step + 2;
    });
    process.kill(pid, 'SIGKILL');
    assert.equal(await done, 1);
    const failed = JSON.parse(readFileSync(runFiles(dir).run, 'utf8'));
    assert.equal(failed.status, 'failed');
    assert.match(failed.error.message, /killed by SIGKILL/);
    assert.doesNotMatch(failed.error.message, /Vulkan|dawn/i, 'no start-up noise in the reason');
    strictMetrics(dir);
    const resumed = await runCli(['run', '--resume', dir, '--quiet'], cwd);
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = strictMetrics(dir);
    assert.deepEqual(
      records.map((r) => r.step),
      Array.from({ length: 161 }, (_, i) => i),
    );
    // The records logged after the checkpoint were moved aside and written again by the resumed run.
    assert.ok(existsSync(runFiles(dir).superseded));
    await assertEndsAsReference(records, reference, refCwd);
  });

  test('Stop inside a step that takes minutes: the trainer is ended within seconds and the run is cancelled', async () => {
    // VGG16 at full width on the pure-JavaScript backend: one step of batch 64 takes minutes.
    const cwd = workspace({
      'slow.wdlab.json': {
        name: 'slow',
        data: { dataset: 'synthetic-images', trainSize: 128, testSize: 64 },
        model: { arch: 'vgg', depth: 16, width: 1, batchNorm: true },
        optimizer: { type: 'sgd', lr: 0.1 },
        training: { epochs: 1, batchSize: 64, testBatchSize: 64, backend: 'cpu' },
        metrics: { jacobian: 'off', gaussNewton: false },
      },
    });
    const { child, done } = start(['run', 'slow.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirs(cwd)[0]);
    await waitFor(
      'the trainer to be training',
      () => JSON.parse(readFileSync(runFiles(dir).run, 'utf8')).backend,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const asked = Date.now();
    child.kill('SIGINT');
    assert.equal(await done, 130);
    const took = (Date.now() - asked) / 1000;
    assert.ok(took < 15, `stopped after ${took.toFixed(1)} s`);
    const run = JSON.parse(readFileSync(runFiles(dir).run, 'utf8'));
    assert.equal(run.status, 'cancelled');
  });

  test("1,000 steps through the trainer process: the trainer's resident memory does not grow with the step count", async () => {
    const spec = {
      ...tiny(125),
      training: { epochs: 125, batchSize: 32, backend: 'wasm', logEverySteps: 10 },
    };
    const cwd = workspace({ 'm.wdlab.json': spec });
    const { done } = start(['run', 'm.wdlab.json'], cwd);
    const dir = await waitFor('a run dir', () => runDirs(cwd)[0]);
    const pid: number = await waitFor(
      'the trainer pid',
      () => JSON.parse(readFileSync(runFiles(dir).run, 'utf8')).trainerPid,
    );
    /** The trainer's resident set (VmRSS, kB) as the kernel counts it. */
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    const lastStep = () => strictMetrics(dir).at(-1)?.step ?? 0;
    await waitFor('step 100', () => lastStep() >= 100, 120_000);
    const early = rss();
    await waitFor('step 950', () => lastStep() >= 950, 240_000);
    const late = rss();
    assert.equal(await done, 0);
    const grownMiB = (late - early) / 1024;
    assert.ok(
      grownMiB < 64,
      `trainer RSS grew ${grownMiB.toFixed(0)} MiB from step 100 to step 950 (${early} -> ${late} kB)`,
    );
  });
});
