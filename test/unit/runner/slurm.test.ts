// The Slurm executor against a real Slurm: a single-node cluster started by
// test/harness/slurm-up.sh (munged, slurmctld, slurmd; select/cons_tres; no accounting database, so the
// "squeue alone" path). CI starts it and sets WDLAB_REQUIRE_SLURM=1: there these tests must run, not skip.
// Elsewhere they skip when sbatch is absent, saying why. The parts that need no cluster (squeue/sacct
// parsing, how an ended task settles its run, the array script) run everywhere.
//
// Every trial is tiny (wasm backend, a 32-unit MLP); the time-limit test holds its trainer with SIGSTOP
// (no CPU) until Slurm's TERM at the limit, which sends SIGCONT first: the task really is ended by its
// --time, without burning a core for the minute it waits.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { readCheckpointState } from '../../../src/engine/checkpointFormat';
import type { MetricRecord } from '../../../src/protocol/records';
import type { SlurmRunRecord } from '../../../src/runner/executors/record';
import {
  arrayScript,
  findOnPath,
  reconcileSlurmRun,
  SlurmSnapshot,
  slurmSeconds,
} from '../../../src/runner/executors/slurm';
import { type RunInfo, readRunInfo, runFiles, writeRunInfo } from '../../../src/runner/runStore';
import { runCli } from '../../helpers/cli';
import { scratchDir } from '../../helpers/scratch';
import { waitFor } from '../../helpers/wait';

// ---- without a cluster ----

function fakeRun(
  status: RunInfo['status'],
  executor: Partial<SlurmRunRecord> = {},
  extra: Partial<RunInfo> = {},
) {
  const dir = join(scratchDir('wdlab-slurm-unit-'), 'run');
  mkdirSync(dir);
  const info: RunInfo = {
    id: 'run',
    name: 'tiny',
    group: 'g',
    trial: { index: 0, count: 1, values: {}, label: '' },
    status,
    createdAt: new Date().toISOString(),
    host: 'elsewhere',
    executor: {
      kind: 'slurm',
      jobId: '41',
      arrayIndex: 2,
      script: '/x.sh',
      options: { time: '00:10:00' },
      ...executor,
    },
    ...extra,
  };
  writeRunInfo(dir, info);
  return { dir, info };
}

describe('Slurm executor: parsing and settling (no cluster needed)', () => {
  test("squeue's rows: split-off tasks, a pending range, and an array's not-yet-split remainder", () => {
    const s = new SlurmSnapshot();
    s.addSqueue(
      ['12|0|RUNNING|None|vm', '12|2-3%2|PENDING|JobArrayTaskLimit|', '13|N/A|CANCELLED|None|'].join('\n'),
    );
    assert.deepEqual(s.get('12', 0), { state: 'RUNNING', reason: undefined, node: 'vm' });
    assert.equal(s.get('12', 3)?.state, 'PENDING');
    assert.equal(s.get('12', 3)?.reason, 'JobArrayTaskLimit');
    assert.equal(s.get('12', 1), undefined);
    assert.equal(
      s.get('13', 5)?.state,
      'CANCELLED',
      'an array record without a task id covers its other tasks',
    );
  });

  test("sacct's rows fill in what squeue has forgotten, never what it knows", () => {
    const s = new SlurmSnapshot();
    s.addSqueue('7|1|RUNNING|None|vm');
    s.addSacct(
      [
        '7_0|CANCELLED by 0|0:9|None|vm',
        '7_1|COMPLETED|0:0|None|vm',
        '7_[2-3]|PENDING|0:0|Priority|None assigned',
        '8|TIMEOUT|0:15|TimeLimit|vm',
      ].join('\n'),
    );
    assert.equal(s.get('7', 0)?.state, 'CANCELLED');
    assert.equal(s.get('7', 0)?.exitCode, '0:9');
    assert.equal(s.get('7', 1)?.state, 'RUNNING');
    assert.equal(s.get('7', 3)?.reason, 'Priority');
    assert.equal(s.get('7', 3)?.node, undefined);
    assert.equal(s.get('8', 0)?.state, 'TIMEOUT');
  });

  test("Slurm's durations", () => {
    assert.equal(slurmSeconds('1:17'), 77);
    assert.equal(slurmSeconds('1:00:00'), 3600);
    assert.equal(slurmSeconds('2-01:00:05'), 2 * 86400 + 3605);
    assert.equal(slurmSeconds('UNLIMITED'), undefined);
  });

  test("a task that ended without a final status settles its run with Slurm's reason; a live one is only shown", () => {
    const snap = (line: string) => {
      const s = new SlurmSnapshot();
      s.addSqueue(line);
      return s;
    };
    const timeout = fakeRun('running');
    let out = reconcileSlurmRun(timeout.dir, timeout.info, snap('41|2|TIMEOUT|TimeLimit|vm'));
    assert.equal(out.status, 'interrupted');
    assert.match(
      (out.executor as SlurmRunRecord).reason ?? '',
      /^TIMEOUT: task 41_2 reached its time limit \(--time 00:10:00\)/,
    );
    assert.equal(readRunInfo(timeout.dir).status, 'interrupted', 'written back');

    const oom = fakeRun('running');
    out = reconcileSlurmRun(oom.dir, oom.info, snap('41|2|OUT_OF_MEMORY|None|vm'));
    assert.equal(out.status, 'failed');
    assert.match(out.error?.message ?? '', /^OUT_OF_MEMORY: .*--mem/);

    const node = fakeRun('running');
    out = reconcileSlurmRun(node.dir, node.info, snap('41|2|NODE_FAIL|None|vm'));
    assert.equal(out.status, 'interrupted');
    assert.match((out.executor as SlurmRunRecord).reason ?? '', /^NODE_FAIL/);

    const neverStarted = fakeRun('queued');
    assert.equal(
      reconcileSlurmRun(neverStarted.dir, neverStarted.info, snap('41|N/A|CANCELLED|None|')).status,
      'cancelled',
    );

    const forgotten = fakeRun('running');
    out = reconcileSlurmRun(forgotten.dir, forgotten.info, new SlurmSnapshot());
    assert.equal(out.status, 'interrupted');
    assert.match((out.executor as SlurmRunRecord).reason ?? '', /Slurm no longer knows task 41_2/);

    const noTrainer = fakeRun('queued');
    writeFileSync(
      join(noTrainer.dir, 'slurm.error'),
      'the trainer is not on node n1 (wdlab not found): install ...\n',
    );
    out = reconcileSlurmRun(noTrainer.dir, noTrainer.info, snap('41|2|FAILED|NonZeroExitCode|n1'));
    assert.equal(out.status, 'failed');
    assert.equal(out.error?.message, 'the trainer is not on node n1 (wdlab not found): install ...');

    const pending = fakeRun('queued');
    out = reconcileSlurmRun(pending.dir, pending.info, snap('41|2|PENDING|Resources|'));
    assert.equal(out.status, 'queued');
    assert.equal((out.executor as SlurmRunRecord).state, 'PENDING');
    assert.equal((out.executor as SlurmRunRecord).reason, 'Resources');
    assert.equal(
      (readRunInfo(pending.dir).executor as SlurmRunRecord).state,
      undefined,
      'a live state is not written',
    );

    const requeued = fakeRun('interrupted', { state: 'CANCELLED' }, { endedAt: new Date().toISOString() });
    out = reconcileSlurmRun(requeued.dir, requeued.info, snap('41|2|PENDING|BeginTime|'));
    assert.equal(out.status, 'queued', 'an interrupted run whose task was requeued is queued again');
    assert.equal(readRunInfo(requeued.dir).status, 'interrupted');

    const done = fakeRun('completed');
    assert.equal(reconcileSlurmRun(done.dir, done.info, snap('41|2|CANCELLED|None|vm')).status, 'completed');
  });

  test('wdlab run --help documents the executor options; Slurm flags without --executor slurm are an error', async () => {
    const cwd = scratchDir('wdlab-slurm-help-');
    const help = await runCli(['run', '--help'], cwd);
    assert.equal(help.code, 0, help.stderr);
    for (const flag of [
      'wdlab run SPEC --executor slurm',
      '--partition P',
      '--time T',
      '--gres G',
      '--cpus-per-task N',
      '--mem M',
      '--max-concurrent K',
      '--sbatch-arg ARG',
      '--wdlab-command CMD',
      '--wait',
      '--dry-run',
      'wdlab stop RUN...',
    ])
      assert.ok(help.stdout.includes(flag), `${flag} in\n${help.stdout}`);
    assert.match((await runCli(['--help'], cwd)).stdout, /wdlab run SPEC --executor slurm/);
    writeFileSync(join(cwd, 's.wdlab.json'), JSON.stringify(tiny('flags', 1)));
    const stray = await runCli(['run', 's.wdlab.json', '--partition', 'gpu'], cwd);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^wdlab: --partition needs --executor slurm/);
    const badK = await runCli(
      ['run', 's.wdlab.json', '--executor', 'slurm', '--max-concurrent', '0', '--dry-run'],
      cwd,
    );
    assert.equal(badK.code, 2);
    assert.match(badK.stderr, /--max-concurrent needs a whole number of at least 1, not "0"/);
    assert.ok(!existsSync(join(cwd, '.wdlab')), 'nothing created');
  });

  test('the array script: #SBATCH lines, the run folders in order, options with spaces on the command line; bash parses it', () => {
    const dir = scratchDir('wdlab-slurm-script-');
    const s = arrayScript(
      [join(dir, 'a-t1'), join(dir, "it's-t2")],
      {
        partition: 'gpu',
        time: '01:00:00',
        gres: 'gpu:1',
        mem: '4G',
        maxConcurrent: 1,
        sbatchArgs: ['--account=proj', '--comment=two words'],
        wdlabCommand: ['/opt/node/bin/node', '/opt/wdlab/dist/cli.js'],
      },
      join(dir, '.slurm'),
      'wdlab-tiny',
    );
    for (const line of [
      '#SBATCH --array=0-1%1',
      '#SBATCH --partition=gpu',
      '#SBATCH --time=01:00:00',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --mem=4G',
      '#SBATCH --cpus-per-task=1',
      '#SBATCH --account=proj',
      `#SBATCH --output=${join(dir, '.slurm', '%A_%a.out')}`,
    ])
      assert.ok(s.text.includes(`${line}\n`), `${line} in\n${s.text}`);
    assert.deepEqual(s.commandLineArgs, ['--comment=two words']);
    assert.ok(s.text.includes(`'${dir}/it'\\''s-t2'`), 'a quote in a path is quoted');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
    assert.ok(s.text.includes('exec "${wdlab[@]}" run-trial "$run_dir"'));
    const file = join(dir, 'a.sh');
    writeFileSync(file, s.text);
    execFileSync('bash', ['-n', file]);
  });
});

// ---- against a real Slurm ----

const REQUIRE = process.env.WDLAB_REQUIRE_SLURM === '1';

const tiny = (name: string, epochs: number, extra: Record<string, unknown> = {}) => ({
  name,
  data: { dataset: 'synthetic-vectors', trainSize: 256, testSize: 128 },
  model: { arch: 'mlp', hidden: [32], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 5e-4 },
  training: { epochs, batchSize: 32, backend: 'wasm', logEverySteps: 1, seed: 1 },
  ...extra,
});
/** The trial the stop/kill/time-limit/requeue tests interrupt: 150 epochs, 1,200 steps, some seconds. */
const MID_EPOCHS = 150;
const MID_STEPS = MID_EPOCHS * 8;

function workspace(files: Record<string, object>): string {
  const dir = scratchDir('wdlab-slurm-');
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(content, null, 2));
  return dir;
}

const runsOf = (cwd: string): string => join(cwd, '.wdlab', 'runs');
const runDirs = (cwd: string): string[] =>
  existsSync(runsOf(cwd))
    ? readdirSync(runsOf(cwd))
        .filter((d) => !d.startsWith('.'))
        .sort()
        .map((d) => join(runsOf(cwd), d))
    : [];

/** Every line of metrics.jsonl, parsed: throws on any line that is not a record. */
const strictMetrics = (dir: string): MetricRecord[] =>
  existsSync(runFiles(dir).metrics)
    ? readFileSync(runFiles(dir).metrics, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as MetricRecord)
    : [];

const slurmOf = (dir: string): SlurmRunRecord => readRunInfo(dir).executor as SlurmRunRecord;
const jobIdOf = (stdout: string): string => {
  const m = /Submitted Slurm job array (\d+)/.exec(stdout) ?? /as Slurm job array (\d+)/.exec(stdout);
  assert.ok(m, `no job id in:\n${stdout}`);
  return m[1];
};

/** `wdlab list --json` (which asks Slurm about live runs and settles ended ones). */
async function list(cwd: string): Promise<{ dir: string; info: RunInfo }[]> {
  const out = await runCli(['list', '--json'], cwd);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

async function listedStatus(cwd: string, dir: string): Promise<RunInfo> {
  const run = (await list(cwd)).find((r) => r.dir === dir);
  assert.ok(run, `${dir} not listed`);
  return run.info;
}

/** Fields that must agree with an uninterrupted run: all but wall-clock time. */
const sameRecord = (a: MetricRecord, b: MetricRecord, what: string) => {
  for (const k of Object.keys(b).filter((k) => !/^time\b/.test(k))) assert.equal(a[k], b[k], `${what}: ${k}`);
};

let reference: Promise<MetricRecord> | undefined;
/** The uninterrupted local run of the `mid` trial, once. */
function referenceLast(): Promise<MetricRecord> {
  reference ??= (async () => {
    const cwd = workspace({ 'mid.wdlab.json': tiny('mid', MID_EPOCHS) });
    const out = await runCli(['run', 'mid.wdlab.json', '--quiet'], cwd);
    assert.equal(out.code, 0, out.stderr);
    return strictMetrics(runDirs(cwd)[0]).at(-1) as MetricRecord;
  })();
  return reference;
}

/** One line per step, none lost or repeated, every line a record, and the end of the uninterrupted run. */
async function assertEndsAsReference(dir: string): Promise<void> {
  const records = strictMetrics(dir);
  assert.deepEqual(
    records.map((r) => r.step),
    Array.from({ length: MID_STEPS + 1 }, (_, i) => i),
  );
  sameRecord(records.at(-1) as MetricRecord, await referenceLast(), 'the last record');
}

/** Waits until a run has a checkpoint and at least `after` records past it (or `minStep` records). */
const waitForCheckpoint = (dir: string, after = 2) =>
  waitFor(
    `a checkpoint of ${dir} and records after it`,
    () => {
      const c = readCheckpointState(runFiles(dir).checkpoint);
      return c && (strictMetrics(dir).at(-1)?.step ?? 0) > c.step + after && c;
    },
    90_000,
  );

/** The `mid` trial submitted to Slurm, once it has a checkpoint and records after it. */
async function submitMidRun(): Promise<{ cwd: string; job: string; dir: string }> {
  const cwd = workspace({ 'mid.wdlab.json': tiny('mid', MID_EPOCHS) });
  const out = await runCli(['run', 'mid.wdlab.json', '--executor', 'slurm', '--quiet'], cwd);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  const job = jobIdOf(out.stdout);
  const dir = runDirs(cwd)[0];
  await waitForCheckpoint(dir);
  return { cwd, job, dir };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Slurm executor on a real cluster (test/harness/slurm-up.sh)', () => {
  let unavailable: string | undefined;
  before(() => {
    if (!findOnPath('sbatch'))
      unavailable = 'no sbatch on PATH (bash test/harness/slurm-up.sh starts a single-node Slurm cluster)';
    else {
      const probe = spawnSync('sinfo', ['-h', '-o', '%a %D'], { encoding: 'utf8', timeout: 15_000 });
      if (probe.status !== 0 || !/^up/m.test(probe.stdout))
        unavailable = `Slurm does not answer (sinfo: ${(probe.stderr || probe.stdout || probe.error?.message || '').trim()}); run bash test/harness/slurm-up.sh`;
    }
    assert.ok(!REQUIRE || !unavailable, `WDLAB_REQUIRE_SLURM is set but ${unavailable}`);
  });

  test('a 4-trial sweep is ONE job array; all four run folders complete with the metrics of the same sweep run locally', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const spec = tiny('four', 2, { sweep: { 'training.seed': [1, 2, 3, 4] } });
    const cwd = workspace({ 's.wdlab.json': spec });
    const refCwd = workspace({ 's.wdlab.json': spec });
    const t0 = Date.now();
    const out = await runCli(['run', 's.wdlab.json', '--executor', 'slurm', '--wait'], cwd);
    const took = (Date.now() - t0) / 1000;
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const job = jobIdOf(out.stdout);
    // --wait prints what a local run prints.
    for (const k of [1, 2, 3, 4])
      assert.match(out.stdout, new RegExp(`▶ trial ${k}/4  training\\.seed=${k}`));
    assert.match(out.stdout, / {2}epoch 2\.00 · step 16 · train loss .* test loss .* acc /);
    const dirs = runDirs(cwd);
    assert.equal(dirs.length, 4);
    assert.deepEqual(
      dirs.map((d) => [slurmOf(d).jobId, slurmOf(d).arrayIndex, readRunInfo(d).status]),
      [0, 1, 2, 3].map((i) => [job, i, 'completed']),
    );
    assert.match(readFileSync(slurmOf(dirs[0]).script, 'utf8'), /#SBATCH --array=0-3\n/);
    assert.match(readFileSync(runFiles(dirs[0]).log, 'utf8'), /wdlab run-trial: .* task \d+_0/);

    const ref = await runCli(['run', 's.wdlab.json', '--quiet'], refCwd);
    assert.equal(ref.code, 0, ref.stderr);
    const refDirs = runDirs(refCwd);
    for (const [i, dir] of dirs.entries()) {
      const got = strictMetrics(dir);
      const want = strictMetrics(refDirs[i]);
      assert.equal(got.length, want.length);
      for (const [k, r] of got.entries()) sameRecord(r, want[k], `trial ${i + 1} record ${k}`);
    }
    const listed = await runCli(['list'], cwd);
    assert.equal((listed.stdout.match(/ completed /g) ?? []).length, 4, listed.stdout);
    t.diagnostic(`4 trials through Slurm in ${took.toFixed(1)} s`);
  });

  test('--max-concurrent 1 runs the trials one at a time', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({ 's.wdlab.json': tiny('one', 10, { sweep: { 'training.seed': [1, 2, 3] } }) });
    const out = await runCli(
      ['run', 's.wdlab.json', '--executor', 'slurm', '--max-concurrent', '1', '--wait', '--quiet'],
      cwd,
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const dirs = runDirs(cwd);
    assert.match(readFileSync(slurmOf(dirs[0]).script, 'utf8'), /#SBATCH --array=0-2%1\n/);
    const spans = dirs
      .map((d) => readRunInfo(d))
      .map((i) => [Date.parse(i.startedAt as string), Date.parse(i.endedAt as string)])
      .sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < spans.length; k++)
      assert.ok(
        spans[k][0] >= spans[k - 1][1],
        `trial ${k + 1} started before trial ${k} ended: ${JSON.stringify(spans)}`,
      );
  });

  // Started here, checked at the end: the time limit takes 60-90 s (Slurm's minute, checked every 30 s).
  let timeLimited: Promise<{ cwd: string; dir: string }> | undefined;
  test('a task killed by its --time limit (started now, checked last)', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({ 'mid.wdlab.json': tiny('mid', MID_EPOCHS) });
    const out = await runCli(['run', 'mid.wdlab.json', '--executor', 'slurm', '--time', '1', '--quiet'], cwd);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const dir = runDirs(cwd)[0];
    await waitForCheckpoint(dir, 0);
    const pid = readRunInfo(dir).trainerPid as number;
    process.kill(pid, 'SIGSTOP');
    timeLimited = Promise.resolve({ cwd, dir });
    void referenceLast();
  });

  test('stop one array task mid-run: that run is cancelled with a checkpoint; resume resubmits it alone and it ends as an uninterrupted run', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({
      's.wdlab.json': tiny('mid', MID_EPOCHS, { sweep: { 'training.seed': [1, 2] } }),
    });
    const out = await runCli(['run', 's.wdlab.json', '--executor', 'slurm'], cwd);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const job = jobIdOf(out.stdout);
    const [first, second] = runDirs(cwd);
    await waitForCheckpoint(first);
    const stop = await runCli(['stop', first], cwd);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`scancel --batch --signal=TERM ${job}_0`));
    await waitFor(
      'the stopped run to end',
      () => readRunInfo(first).status !== 'running' && readRunInfo(first).status !== 'queued',
      60_000,
    );
    assert.equal(readRunInfo(first).status, 'cancelled');
    const checkpoint = readCheckpointState(runFiles(first).checkpoint);
    assert.ok(checkpoint && checkpoint.step > 0 && checkpoint.step < MID_STEPS);
    await waitFor('the other trial to complete', () => readRunInfo(second).status === 'completed', 120_000);

    const group = readRunInfo(first).group;
    const resumed = await runCli(['run', '--resume', group, '--wait', '--quiet'], cwd);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /-t2: not resumed \(already completed\)/);
    const again = slurmOf(first);
    assert.notEqual(again.jobId, job);
    assert.deepEqual(again.previousTasks, [`${job}_0`]);
    assert.match(readFileSync(again.script, 'utf8'), /#SBATCH --array=0-0\n/, 'a new array of the one run');
    assert.equal(readRunInfo(first).status, 'completed');
    assert.equal(readRunInfo(first).resumes, 1);
    await assertEndsAsReference(first);
  });

  test("scancel with SIGKILL: the run ends failed with Slurm's reason, every metrics line parses, and resume ends as an uninterrupted run", async (t) => {
    if (unavailable) return t.skip(unavailable);
    const { cwd, job, dir } = await submitMidRun();
    const trainer = readRunInfo(dir).trainerPid as number;
    // SIGKILL to the task's batch process (wdlab run-trial): what Slurm's own KILL does to it.
    execFileSync('scancel', ['--batch', '--signal=KILL', `${job}_0`]);
    let info: RunInfo | undefined;
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      info = await listedStatus(cwd, dir);
      if (info.status !== 'running' && info.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(info);
    assert.ok(info.status === 'failed' || info.status === 'interrupted', info.status);
    const ex = info.executor as SlurmRunRecord;
    assert.match(ex.state ?? '', /^(FAILED|CANCELLED)$/);
    assert.match(info.error?.message ?? ex.reason ?? '', new RegExp(`^${ex.state}: task ${job}_0 `));
    assert.equal(readRunInfo(dir).status, info.status, 'the settled status is written');
    strictMetrics(dir);
    // The trainer, left without its parent, stops at a step boundary (as it does locally).
    await waitFor('the orphaned trainer to end', () => !alive(trainer), 60_000);
    const resumed = await runCli(['run', '--resume', dir, '--wait', '--quiet'], cwd);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.equal(readRunInfo(dir).status, 'completed');
    await assertEndsAsReference(dir);
  });

  test('a task that Slurm requeues mid-run restarts from its checkpoint, never from the start', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const { job, dir } = await submitMidRun();
    execFileSync('scontrol', ['requeue', `${job}_0`]);
    // Queued again while Slurm holds it (cred_expire, 10 s on the test cluster), then running, then done.
    await waitFor('the requeued task to finish', () => readRunInfo(dir).status === 'completed', 120_000);
    const log = readFileSync(runFiles(dir).log, 'utf8');
    assert.match(log, /task \d+_0 \(restart 1\)/);
    assert.match(log, /continuing from the checkpoint at step \d+/);
    assert.equal(readRunInfo(dir).resumes, 1);
    await assertEndsAsReference(dir);
  });

  test('Stop All cancels the array: pending tasks cancelled, the running one stopped with a checkpoint; list showed PENDING', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({
      's.wdlab.json': tiny('all', MID_EPOCHS, { sweep: { 'training.seed': [1, 2, 3] } }),
    });
    const out = await runCli(
      ['run', 's.wdlab.json', '--executor', 'slurm', '--max-concurrent', '1', '--quiet'],
      cwd,
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const [first, ...rest] = runDirs(cwd);
    await waitForCheckpoint(first);
    const listed = await runCli(['list'], cwd);
    assert.match(listed.stdout, /-t2 +queued \(PENDING \(JobArrayTaskLimit\)\)/, listed.stdout);
    assert.match(listed.stdout, /-t1 +running \(RUNNING on \S+\)/, listed.stdout);
    const stop = await runCli(['stop', '--all'], cwd);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /Cancelled Slurm job array \d+/);
    await waitFor(
      'every run to end',
      () => runDirs(cwd).every((d) => !['queued', 'running'].includes(readRunInfo(d).status)),
      60_000,
    );
    // Pending ones are settled by a reader (list) from Slurm's CANCELLED.
    const runs = await list(cwd);
    const status = (d: string) => runs.find((r) => r.dir === d)?.info.status;
    assert.equal(status(first), 'cancelled');
    assert.ok(readCheckpointState(runFiles(first).checkpoint));
    for (const d of rest) assert.equal(status(d), 'cancelled');
  });

  test('a rejected submission (unknown partition): exit 2, the message from sbatch, no queued runs left behind', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({ 's.wdlab.json': tiny('rejected', 1, { sweep: { 'training.seed': [1, 2] } }) });
    const out = await runCli(
      ['run', 's.wdlab.json', '--executor', 'slurm', '--partition', 'no-such-partition'],
      cwd,
    );
    assert.equal(out.code, 2, out.stdout + out.stderr);
    const message = out.stderr.trim().split('\n');
    assert.equal(message.length, 1, out.stderr);
    assert.match(
      message[0],
      /^wdlab: sbatch rejected the job: invalid partition specified: no-such-partition; Batch job submission failed: Invalid partition name specified — choose a partition that exists \(sinfo -s lists them\)/,
    );
    assert.deepEqual(runDirs(cwd), []);
    assert.deepEqual(readdirSync(join(runsOf(cwd), '.slurm')), [], 'no script left');
  });

  test('no sbatch on PATH, a runs directory that is not writable: one line naming the fix, exit 2, nothing queued', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({ 's.wdlab.json': tiny('errors', 1) });
    const noSbatch = await runCli(['run', 's.wdlab.json', '--executor', 'slurm'], cwd, {
      PATH: join(cwd, 'empty'),
    });
    assert.equal(noSbatch.code, 2);
    assert.equal(
      noSbatch.stderr.trim(),
      "wdlab: sbatch not found on PATH: run wdlab on a Slurm login node (or add Slurm's bin folder to PATH), or use --executor local",
    );
    writeFileSync(join(cwd, 'a-file'), '');
    const notWritable = await runCli(
      ['run', 's.wdlab.json', '--executor', 'slurm', '--runs-dir', join(cwd, 'a-file', 'runs')],
      cwd,
    );
    assert.equal(notWritable.code, 2);
    assert.match(
      notWritable.stderr.trim(),
      /^wdlab: runs directory \S+ is not writable \(ENOTDIR\): pass --runs-dir .* the compute nodes share$/,
    );
    assert.deepEqual(runDirs(cwd), []);
  });

  test('a node without the trainer: every run failed with one line naming the fix', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({ 's.wdlab.json': tiny('missing', 1, { sweep: { 'training.seed': [1, 2] } }) });
    const out = await runCli(
      [
        'run',
        's.wdlab.json',
        '--executor',
        'slurm',
        '--wdlab-command',
        '/opt/no-such/bin/wdlab',
        '--wait',
        '--quiet',
      ],
      cwd,
    );
    assert.equal(out.code, 1, out.stdout + out.stderr);
    for (const dir of runDirs(cwd)) {
      const info = readRunInfo(dir);
      assert.equal(info.status, 'failed');
      assert.match(
        info.error?.message ?? '',
        /^the trainer is not on node \S+ \(\/opt\/no-such\/bin\/wdlab not found\): install Node\.js and weight-decay-lab on the nodes .* --wdlab-command/,
      );
    }
  });

  test('--dry-run writes the array script and prints the sbatch command; submitted by hand, it runs the trials', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const cwd = workspace({ 's.wdlab.json': tiny('dry', 1, { sweep: { 'training.seed': [1, 2] } }) });
    const out = await runCli(
      ['run', 's.wdlab.json', '--executor', 'slurm', '--dry-run', '--max-concurrent', '2'],
      cwd,
    );
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const command = out.stdout.trim().split('\n').at(-1) as string;
    assert.match(command, /^sbatch \S+\/\.slurm\/\d{8}-\d{6}-dry\.sh$/);
    const script = command.split(' ')[1];
    assert.match(readFileSync(script, 'utf8'), /#SBATCH --array=0-1%2\n/);
    const dirs = runDirs(cwd);
    assert.equal(dirs.length, 2);
    assert.equal(slurmOf(dirs[0]).jobId, undefined);
    assert.match((await runCli(['list'], cwd)).stdout, /queued \(not submitted \(sbatch its script\)\)/);
    const job = execFileSync('bash', ['-c', command], { encoding: 'utf8' }).match(/(\d+)/)?.[1];
    await waitFor(
      'both runs to complete',
      () => dirs.every((d) => readRunInfo(d).status === 'completed'),
      60_000,
    );
    assert.deepEqual(
      dirs.map((d) => slurmOf(d).jobId),
      [job, job],
      'each task records its job',
    );
  });

  test("the --time limit: the run ends interrupted with Slurm's TIMEOUT, every metrics line parses, resume ends as an uninterrupted run", async (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.ok(timeLimited, 'the time-limited task was not started');
    const { cwd, dir } = await timeLimited;
    await waitFor(
      'Slurm to end the task at its time limit',
      () => readRunInfo(dir).status === 'interrupted',
      150_000,
    );
    const info = await listedStatus(cwd, dir);
    const ex = info.executor as SlurmRunRecord;
    assert.equal(ex.state, 'TIMEOUT');
    assert.match(ex.reason ?? '', /^TIMEOUT: the task reached its time limit \(1:00\)/);
    assert.match(
      (await runCli(['list'], cwd)).stdout,
      /interrupted: TIMEOUT: the task reached its time limit/,
    );
    strictMetrics(dir);
    assert.ok(readCheckpointState(runFiles(dir).checkpoint));
    const resumed = await runCli(['run', '--resume', dir, '--wait', '--quiet', '--time', '10'], cwd);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.equal(readRunInfo(dir).status, 'completed');
    await assertEndsAsReference(dir);
  });
});
