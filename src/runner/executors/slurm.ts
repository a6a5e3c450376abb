// The Slurm executor (docs/cluster.md): a sweep is ONE Slurm job array, one array task per trial. The run folders
// are created first (status `queued`, run.json's `executor` naming the array and the task), in a runs
// directory the compute nodes share; each array task runs `wdlab run-trial RUN_DIR` (cli/runTrial.ts),
// which trains its trial with the same TrialRunner and trainer as a local run, so the folder it writes is a
// local run's. The run store stays the source of truth: what Slurm knows is read from `squeue` (and
// `sacct` where accounting exists) only for runs that are still queued or running there, to show PENDING
// and its reason, and to settle a run whose task ended without writing a final status (killed, out of
// memory, node failure): `failed` or `interrupted` with Slurm's reason.
//
// Submission is race-free: the array is submitted held (`sbatch --hold`), its job id written into every
// run.json, then released (`scontrol release`); until then no task can start and write run.json too. A
// submission that fails leaves nothing claiming to be queued: a new sweep's run folders are removed, a
// resumed run's run.json is left as it was.
//
// Every Slurm command runs asynchronously with a timeout (the extension host never blocks on it).
import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import type { Trial } from '../../spec/types';
import { createSweepRuns, type RunInfo, readRunInfo, writeRunInfo } from '../runStore';
import type { SlurmOptions, SlurmRunRecord } from './record';

/** A Slurm problem a user fixes (no sbatch, a rejected job, a runs directory not writable): exit code 2. */
export class SlurmError extends Error {}

/** Where an array task's Slurm output (its lines before trainer.log opens) and the array scripts go. */
export const slurmDir = (runsDir: string): string => join(runsDir, '.slurm');

/** Written by the array script when a node cannot start the trainer: the reason, one line. */
export const slurmErrorFile = (runDir: string): string => join(runDir, 'slurm.error');

export interface SlurmContext {
  /** The environment of the Slurm commands (and so of the array tasks: sbatch exports it). */
  env?: NodeJS.ProcessEnv;
  /** Each command and its output, for a log (the extension's log channel; the CLI's output). */
  log?: (line: string) => void;
  /** Limit for each command (default 30 s). */
  timeoutMs?: number;
}

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT (not installed), ETIMEDOUT (killed after the timeout)... */
  error?: string;
}

/** Runs a Slurm command; never rejects (a failure is in the result). */
export function slurmCommand(
  command: string,
  args: string[],
  ctx: SlurmContext = {},
): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { env: ctx.env ?? process.env, timeout: ctx.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { killed?: boolean }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        const failure = e && typeof e.code === 'string' ? e.code : e?.killed ? 'ETIMEDOUT' : undefined;
        done({ code, stdout: String(stdout), stderr: String(stderr), error: failure });
      },
    );
  });
}

/** The absolute path of an executable on PATH, or undefined. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

const NO_SBATCH =
  "sbatch not found on PATH: run wdlab on a Slurm login node (or add Slurm's bin folder to PATH), or use --executor local";

/** Throws the one-line "no sbatch" error when sbatch is not on PATH. */
export function requireSbatch(env: NodeJS.ProcessEnv = process.env): string {
  const found = findOnPath('sbatch', env);
  if (!found) throw new SlurmError(NO_SBATCH);
  return found;
}

/** Throws a one-line error naming the fix when `runsDir` cannot be created or written. */
export function requireWritableRunsDir(runsDir: string): void {
  const fix =
    'pass --runs-dir (or set wdlab.runsDirectory) to a folder you can write on a filesystem the compute nodes share';
  try {
    mkdirSync(runsDir, { recursive: true });
    accessSync(runsDir, constants.W_OK);
    // accessSync passes for root on a read-only mount: write for real.
    const probe = join(runsDir, `.wdlab-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new SlurmError(`runs directory ${runsDir} is not writable (${code}): ${fix}`);
  }
}

/** The default command a node runs `wdlab` with: this process's node and cli.js (a shared install). */
export function defaultWdlabCommand(cliJs = join(__dirname, 'cli.js')): string[] {
  return [process.execPath, cliJs];
}

// ---- the array script ----

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The sbatch options of a sweep, as `--name=value` arguments. */
export function sbatchOptions(
  options: SlurmOptions,
  tasks: number,
  outputDir: string,
  jobName: string,
): string[] {
  const args = [
    `--job-name=${jobName}`,
    `--array=0-${tasks - 1}${options.maxConcurrent ? `%${options.maxConcurrent}` : ''}`,
    `--output=${join(outputDir, '%A_%a.out')}`,
    // A requeued task appends to its output instead of replacing it.
    '--open-mode=append',
    `--cpus-per-task=${options.cpusPerTask ?? 1}`,
  ];
  if (options.partition) args.push(`--partition=${options.partition}`);
  if (options.time) args.push(`--time=${options.time}`);
  if (options.gres) args.push(`--gres=${options.gres}`);
  if (options.mem) args.push(`--mem=${options.mem}`);
  args.push(...(options.sbatchArgs ?? []));
  return args;
}

export interface ArrayScript {
  text: string;
  /** Options that cannot be `#SBATCH` lines (they hold whitespace): given on sbatch's command line. */
  commandLineArgs: string[];
}

/**
 * The job array's batch script: `#SBATCH` lines for the options, the run folders in array order, and for
 * each task: open the run folder's trainer.log, check that the node has the trainer, and `exec` it (so the
 * task's batch process IS `wdlab run-trial`, which `scancel --batch --signal=TERM` reaches directly).
 */
export function arrayScript(
  runDirs: string[],
  options: SlurmOptions,
  outputDir: string,
  jobName: string,
): ArrayScript {
  const all = sbatchOptions(options, runDirs.length, outputDir, jobName);
  const lines = all.filter((a) => !/\s/.test(a));
  const commandLineArgs = all.filter((a) => /\s/.test(a));
  const command = options.wdlabCommand?.length ? options.wdlabCommand : defaultWdlabCommand();
  const text = `#!/bin/bash
# Weight Decay Lab: one array task per trial of a sweep (written by wdlab; docs/cluster.md). Each task
# trains the run folder at its index with \`wdlab run-trial\`, which writes the folder as a local run does
# and, when the task is restarted (requeue, preemption), continues from the run's checkpoint.
${lines.map((a) => `#SBATCH ${a}`).join('\n')}
set -u
runs=(
${runDirs.map((d) => `  ${shellQuote(resolve(d))}`).join('\n')}
)
wdlab=(${command.map(shellQuote).join(' ')})
run_dir=\${runs[\${SLURM_ARRAY_TASK_ID:?not a Slurm array task}]}
host=$(hostname -s 2>/dev/null || hostname)
if ! touch "$run_dir/trainer.log" 2>/dev/null; then
  echo "wdlab: run folder $run_dir cannot be written on node $host: the runs directory must be on a filesystem the compute nodes share (pass --runs-dir)" >&2
  exit 2
fi
exec >>"$run_dir/trainer.log" 2>&1
missing=""
command -v "\${wdlab[0]}" >/dev/null 2>&1 || missing="\${wdlab[0]}"
for part in "\${wdlab[@]:1}"; do
  case "$part" in /*) [ -e "$part" ] || missing="$part" ;; esac
done
if [ -n "$missing" ]; then
  msg="the trainer is not on node $host ($missing not found): install Node.js and weight-decay-lab on the nodes (or on a shared filesystem) and pass --wdlab-command (wdlab.slurm.command) to run it"
  echo "wdlab: $msg"
  printf '%s\\n' "$msg" >"$run_dir/slurm.error"
  exit 127
fi
rm -f "$run_dir/slurm.error"
# The extension host's node is Electron's: make it a plain node (no effect on a real node binary).
export ELECTRON_RUN_AS_NODE=1
exec "\${wdlab[@]}" run-trial "$run_dir"
`;
  return { text, commandLineArgs };
}

/** How a user submits the script by hand (`--dry-run`), or how wdlab did. */
export const sbatchCommandLine = (script: ArrayScript, file: string): string =>
  ['sbatch', ...script.commandLineArgs, file].map(shellQuote).join(' ');

const stamp = (d = new Date()): string => d.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');

function writeScript(runsDir: string, name: string, script: ArrayScript): string {
  const dir = slurmDir(runsDir);
  mkdirSync(dir, { recursive: true });
  let file = join(dir, `${name}.sh`);
  for (let k = 2; existsSync(file); k++) file = join(dir, `${name}.${k}.sh`);
  writeFileSync(file, script.text, { mode: 0o755 });
  return file;
}

// ---- submission ----

/** One line from sbatch's complaint, with the fix it points to. */
function rejection(stderr: string, options: SlurmOptions): string {
  const said = stderr
    .split('\n')
    .map((l) => l.replace(/^sbatch: error: /, '').trim())
    .filter((l) => l !== '')
    .join('; ');
  const fix = /partition/i.test(said)
    ? `choose a partition that exists (sinfo -s lists them)${options.partition ? `; --partition ${options.partition} was given` : ''}`
    : /time limit|time_limit|--time/i.test(said)
      ? "ask for a --time within the partition's limit (sinfo -o '%P %l')"
      : /gres|generic resource/i.test(said)
        ? "ask for a --gres the partition's nodes have (sinfo -o '%P %G')"
        : /memory|--mem/i.test(said)
          ? 'ask for less --mem'
          : /account|qos|association/i.test(said)
            ? 'pass an account/QOS you may use (--sbatch-arg --account=NAME)'
            : 'check the sbatch options (--partition, --time, --gres, --mem, --sbatch-arg)';
  return `sbatch rejected the job: ${said || 'no reason given'} — ${fix}; nothing was submitted`;
}

/** Submits a script held; returns the array job id. */
async function sbatchHeld(file: string, script: ArrayScript, options: SlurmOptions, ctx: SlurmContext) {
  const args = ['--parsable', '--hold', ...script.commandLineArgs, file];
  ctx.log?.(`$ sbatch ${args.map(shellQuote).join(' ')}`);
  const r = await slurmCommand('sbatch', args, ctx);
  const out = `${r.stdout}${r.stderr}`.trim();
  if (out) ctx.log?.(out);
  if (r.error === 'ENOENT') throw new SlurmError(NO_SBATCH);
  if (r.error === 'ETIMEDOUT')
    throw new SlurmError('sbatch did not answer in time: is slurmctld up (sinfo)?');
  if (r.code !== 0) throw new SlurmError(rejection(r.stderr || r.stdout, options));
  const jobId = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new SlurmError(`sbatch answered "${r.stdout.trim()}", not a job id`);
  return jobId;
}

async function release(jobId: string, ctx: SlurmContext): Promise<void> {
  ctx.log?.(`$ scontrol release ${jobId}`);
  const r = await slurmCommand('scontrol', ['release', jobId], ctx);
  if (r.code !== 0) {
    await slurmCommand('scancel', [jobId], ctx);
    throw new SlurmError(
      `scontrol release ${jobId} failed (${(r.stderr || r.error || '').trim()}): the job was cancelled; nothing runs`,
    );
  }
}

export interface SlurmSubmission {
  group?: string;
  runDirs: string[];
  /** Undefined for a dry run. */
  jobId?: string;
  script: string;
  /** The sbatch command (a dry run's, to submit by hand). */
  command: string;
}

function slurmRecord(index: number, script: string, options: SlurmOptions, previous?: SlurmRunRecord) {
  const previousTasks = previous?.jobId
    ? [...(previous.previousTasks ?? []), `${previous.jobId}_${previous.arrayIndex}`]
    : previous?.previousTasks;
  const record: SlurmRunRecord = { kind: 'slurm', arrayIndex: index, script, options };
  if (previousTasks?.length) record.previousTasks = previousTasks;
  return record;
}

/**
 * Creates the sweep's run folders (`queued`) and its array script, then submits it (unless `dryRun`).
 * Errors are SlurmErrors: no sbatch, a runs directory that cannot be written, sbatch rejecting the job.
 */
export async function submitSlurmSweep(
  runsDir: string,
  trials: Trial[],
  labels: string[],
  specFile: string | undefined,
  options: SlurmOptions,
  ctx: SlurmContext & { dryRun?: boolean } = {},
): Promise<SlurmSubmission> {
  if (!ctx.dryRun) requireSbatch(ctx.env);
  requireWritableRunsDir(runsDir);
  const { group, runDirs } = createSweepRuns(runsDir, trials, labels, specFile);
  const remove = () => {
    for (const d of runDirs) rmSync(d, { recursive: true, force: true });
  };
  let file: string | undefined;
  try {
    const script = arrayScript(runDirs, options, slurmDir(runsDir), `wdlab-${trials[0].spec.name}`);
    file = writeScript(runsDir, group, script);
    for (const [i, dir] of runDirs.entries())
      writeRunInfo(dir, { ...readRunInfo(dir), executor: slurmRecord(i, file, options) });
    const command = sbatchCommandLine(script, file);
    if (ctx.dryRun) return { group, runDirs, script: file, command };
    const jobId = await sbatchHeld(file, script, options, ctx);
    try {
      for (const dir of runDirs) {
        const info = readRunInfo(dir);
        writeRunInfo(dir, { ...info, executor: { ...(info.executor as SlurmRunRecord), jobId } });
      }
    } catch (e) {
      await slurmCommand('scancel', [jobId], ctx);
      throw e;
    }
    await release(jobId, ctx);
    return { group, runDirs, jobId, script: file, command };
  } catch (e) {
    remove();
    if (file) rmSync(file, { force: true });
    throw e;
  }
}

/** Whether a run's status lets Resume submit it again. */
export const needsResume = (info: RunInfo): boolean =>
  info.status === 'cancelled' || info.status === 'interrupted' || info.status === 'failed';

export interface ResumePlan {
  /** The runs submitted again. */
  runDirs: string[];
  /** Runs left alone, and why ("completed", "still queued in Slurm"). */
  skipped: { dir: string; why: string }[];
}

/**
 * Resume: submits again, as one new array, only those of `runDirs` that need it (cancelled, interrupted or
 * failed: after asking Slurm about the live ones); each task continues from its run's checkpoint.
 * `overrides` replace the options the runs were submitted with (a local run gets them alone).
 */
export async function resubmitSlurmRuns(
  runDirs: string[],
  overrides: SlurmOptions = {},
  ctx: SlurmContext = {},
): Promise<SlurmSubmission & ResumePlan> {
  requireSbatch(ctx.env);
  const runs = await reconcileSlurmRuns(
    runDirs.map((d) => ({ dir: resolve(d), info: readRunInfo(d) })),
    ctx,
  );
  const skipped: ResumePlan['skipped'] = [];
  const todo = runs.filter(({ dir, info }) => {
    if (needsResume(info)) return true;
    skipped.push({
      dir,
      why:
        info.status === 'completed'
          ? 'already completed'
          : `${info.status}${info.executor?.jobId ? ` (Slurm job ${info.executor.jobId})` : ''}`,
    });
    return false;
  });
  if (todo.length === 0)
    throw new SlurmError(
      `nothing to resume: ${skipped.map((s) => `${basename(s.dir)} is ${s.why}`).join('; ')}`,
    );
  const first = todo[0].info.executor;
  const options: SlurmOptions = { ...(first?.kind === 'slurm' ? first.options : {}), ...overrides };
  const runsDir = dirname(todo[0].dir);
  requireWritableRunsDir(runsDir);
  const dirs = todo.map((r) => r.dir);
  const script = arrayScript(dirs, options, slurmDir(runsDir), `wdlab-${todo[0].info.name}`);
  const file = writeScript(runsDir, `resume-${stamp()}-${todo[0].info.group}`, script);
  let jobId: string;
  try {
    jobId = await sbatchHeld(file, script, options, ctx);
  } catch (e) {
    rmSync(file, { force: true });
    throw e;
  }
  // Held: no task runs yet, so these writes race with nothing. On a failure, the runs are put back.
  const before = todo.map((r) => readRunInfo(r.dir));
  try {
    for (const [i, { dir }] of todo.entries()) {
      const { endedAt: _e, error: _r, ...info } = readRunInfo(dir);
      const previous = info.executor?.kind === 'slurm' ? info.executor : undefined;
      writeRunInfo(dir, {
        ...info,
        status: 'queued',
        executor: { ...slurmRecord(i, file, options, previous), jobId },
      });
    }
    await release(jobId, ctx);
  } catch (e) {
    await slurmCommand('scancel', [jobId], ctx);
    for (const [i, { dir }] of todo.entries()) writeRunInfo(dir, before[i]);
    throw e;
  }
  return { runDirs: dirs, skipped, jobId, script: file, command: sbatchCommandLine(script, file) };
}

// ---- what Slurm knows ----

/** A task as Slurm sees it. */
export interface SlurmTaskState {
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL... */
  state: string;
  /** Slurm's reason (Resources, Priority, JobHeldUser, TimeLimit...), when there is one. */
  reason?: string;
  node?: string;
  /** From sacct: "exit:signal". */
  exitCode?: string;
}

/** States of a task that has ended (any other state is live: pending, running, completing...). */
const ENDED = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
]);

export const isEndedState = (state: string): boolean => ENDED.has(state);

/** Array indices of a squeue/sacct task field: "3", "0-3%2", "[1,4-6]". */
function parseIndices(field: string): number[] | undefined {
  const body = field.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  if (!/^[\d,-]+$/.test(body)) return undefined;
  const out: number[] = [];
  for (const part of body.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

const cleanReason = (r: string | undefined): string | undefined =>
  r && r !== 'None' && r !== '(null)' && r !== 'N/A' ? r.replace(/^\(|\)$/g, '') : undefined;

/** Tasks by "<array job>_<index>", and per array job the state of its not-yet-split-off tasks. */
export class SlurmSnapshot {
  readonly tasks = new Map<string, SlurmTaskState>();
  readonly rest = new Map<string, SlurmTaskState>();

  get(jobId: string, index: number): SlurmTaskState | undefined {
    return this.tasks.get(`${jobId}_${index}`) ?? this.rest.get(jobId);
  }

  /** squeue -h -r -t all -o '%F|%K|%T|%r|%N' */
  addSqueue(text: string): void {
    for (const line of text.split('\n')) {
      const [job, task, state, reason, node] = line.trim().split('|');
      if (!job || !state) continue;
      const s: SlurmTaskState = { state, reason: cleanReason(reason), node: node || undefined };
      const indices = parseIndices(task ?? '');
      if (indices && !/[-,[]/.test(task)) this.tasks.set(`${job}_${task}`, s);
      else if (indices) for (const i of indices) this.tasks.set(`${job}_${i}`, s);
      else this.rest.set(job, s);
    }
  }

  /** sacct -n -P -X -o JobID,State,ExitCode,Reason,NodeList: "7_2|CANCELLED by 0|0:9|None|vm". */
  addSacct(text: string): void {
    for (const line of text.split('\n')) {
      const [id, stateField, exitCode, reason, node] = line.trim().split('|');
      if (!id || !stateField) continue;
      const m = /^(\d+)(?:_(.+))?$/.exec(id);
      if (!m) continue;
      const s: SlurmTaskState = {
        state: stateField.split(' ')[0],
        reason: cleanReason(reason),
        exitCode,
        node: node && node !== 'None assigned' ? node : undefined,
      };
      const indices = m[2] === undefined ? undefined : parseIndices(m[2]);
      const targets = indices ? indices.map((i) => `${m[1]}_${i}`) : [];
      // squeue's answer (live) comes first; sacct fills in the tasks squeue has forgotten.
      for (const key of targets) if (!this.tasks.has(key)) this.tasks.set(key, s);
      if (!indices && !this.rest.has(m[1])) this.rest.set(m[1], s);
    }
  }
}

/** Whether sacct works here (accounting storage configured); asked once per process. */
let sacctWorks: Promise<boolean> | undefined;

async function sacctAvailable(ctx: SlurmContext): Promise<boolean> {
  sacctWorks ??= slurmCommand('sacct', ['-n', '-X', '-j', '1', '-o', 'JobID'], ctx).then(
    (r) => r.code === 0 && !/accounting storage is disabled/i.test(r.stderr + r.stdout),
  );
  return sacctWorks;
}

/**
 * What Slurm knows of these array jobs' tasks, from squeue (finished tasks stay there for MinJobAge, 300 s
 * by default) and, for tasks squeue no longer has, from sacct where accounting exists. Undefined when
 * Slurm could not be asked (no squeue, slurmctld down, a timeout): then nothing may be concluded.
 */
export async function querySlurm(
  jobIds: string[],
  ctx: SlurmContext = {},
): Promise<SlurmSnapshot | undefined> {
  const snapshot = new SlurmSnapshot();
  const ids = [...new Set(jobIds)];
  if (ids.length === 0) return snapshot;
  const r = await slurmCommand(
    'squeue',
    ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-o', '%F|%K|%T|%r|%N'],
    ctx,
  );
  // One unknown job id is an error; several are an empty answer. Either way: squeue does not know it.
  if (r.code !== 0 && !/Invalid job id/i.test(r.stderr)) return undefined;
  snapshot.addSqueue(r.stdout);
  const forgotten = ids.filter(
    (id) => ![...snapshot.tasks.keys()].some((k) => k.startsWith(`${id}_`)) && !snapshot.rest.has(id),
  );
  if (forgotten.length > 0 && (await sacctAvailable(ctx))) {
    const a = await slurmCommand(
      'sacct',
      ['-n', '-P', '-X', '-j', forgotten.join(','), '-o', 'JobID,State,ExitCode,Reason,NodeList'],
      ctx,
    );
    if (a.code === 0) snapshot.addSacct(a.stdout);
  }
  return snapshot;
}

/** Slurm's reasons in words, with what to do. */
function endedReason(task: SlurmTaskState | undefined, info: RunInfo, jobId: string, index: number) {
  const id = `${jobId}_${index}`;
  if (!task)
    return {
      status: 'interrupted' as const,
      state: 'UNKNOWN',
      reason: `Slurm no longer knows task ${id}: it ended without a final status (no accounting to say why); resume continues from the last checkpoint`,
    };
  const started = info.status === 'running' || info.startedAt !== undefined;
  const exit = task.exitCode && task.exitCode !== '0:0' ? ` (exit ${task.exitCode})` : '';
  switch (task.state) {
    case 'CANCELLED':
      return started
        ? {
            status: 'interrupted' as const,
            state: 'CANCELLED',
            reason: `CANCELLED: task ${id} was cancelled (scancel) before the trainer could stop; resume continues from the last checkpoint`,
          }
        : {
            status: 'cancelled' as const,
            state: 'CANCELLED',
            reason: `CANCELLED: task ${id} was cancelled before it started`,
          };
    case 'TIMEOUT':
      return {
        status: 'interrupted' as const,
        state: 'TIMEOUT',
        reason: `TIMEOUT: task ${id} reached its time limit${info.executor?.kind === 'slurm' && info.executor.options.time ? ` (--time ${info.executor.options.time})` : ''}; resume continues from the last checkpoint (ask for more --time)`,
      };
    case 'OUT_OF_MEMORY':
      return {
        status: 'failed' as const,
        state: 'OUT_OF_MEMORY',
        reason: `OUT_OF_MEMORY: task ${id} ran out of memory; ask for more with --mem (wdlab.slurm.mem), then resume`,
      };
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return {
        status: 'interrupted' as const,
        state: task.state,
        reason: `${task.state}: the node of task ${id}${task.node ? ` (${task.node})` : ''} failed; resume continues from the last checkpoint`,
      };
    case 'PREEMPTED':
    case 'DEADLINE':
    case 'REVOKED':
      return {
        status: 'interrupted' as const,
        state: task.state,
        reason: `${task.state}: Slurm ended task ${id}; resume continues from the last checkpoint`,
      };
    case 'COMPLETED':
      return {
        status: 'failed' as const,
        state: 'COMPLETED',
        reason: `task ${id} ended without a final status (see trainer.log in the run folder)`,
      };
    default:
      return {
        status: 'failed' as const,
        state: task.state,
        reason: `${task.state}: task ${id} failed${exit} before the trainer wrote a final status (see trainer.log, and ${join('.slurm', `${jobId}_${index}.out`)} in the runs directory)`,
      };
  }
}

/** The one-line reason a node wrote when it could not start the trainer, if any. */
function nodeError(runDir: string): string | undefined {
  try {
    return readFileSync(slurmErrorFile(runDir), 'utf8').trim().split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}

/**
 * One Slurm run as Slurm sees it. A live task's state (PENDING and its reason, RUNNING) is added to the
 * returned info only; a task that ended while run.json still says queued/running settles the run
 * (failed/interrupted/cancelled with Slurm's reason), written back. Other runs are returned as they are.
 */
export function reconcileSlurmRun(dir: string, info: RunInfo, snapshot: SlurmSnapshot): RunInfo {
  const ex = info.executor;
  if (ex?.kind !== 'slurm' || !ex.jobId || !mayBeLiveInSlurm(info)) return info;
  const task = snapshot.get(ex.jobId, ex.arrayIndex);
  if (task && !isEndedState(task.state)) {
    // Live. An interrupted run whose task is live again was requeued: it is queued (or running) again.
    const requeued = info.status === 'interrupted';
    return {
      ...info,
      ...(requeued ? { status: task.state === 'RUNNING' ? ('running' as const) : ('queued' as const) } : {}),
      executor: {
        ...ex,
        state: task.state,
        reason: task.reason ?? (requeued ? 'requeued' : undefined),
        node: task.node ?? ex.node,
      },
    };
  }
  if (info.status !== 'queued' && info.status !== 'running') return info;
  // Ended: the trainer may have written its final status since run.json was read.
  let fresh: RunInfo;
  try {
    fresh = readRunInfo(dir);
  } catch {
    return info;
  }
  const fex = fresh.executor;
  if (
    (fresh.status !== 'queued' && fresh.status !== 'running') ||
    fex?.kind !== 'slurm' ||
    fex.jobId !== ex.jobId
  )
    return fresh;
  const verdict = endedReason(task, fresh, ex.jobId, ex.arrayIndex);
  const fromNode = nodeError(dir);
  const next: RunInfo = {
    ...fresh,
    status: fromNode ? 'failed' : verdict.status,
    endedAt: fresh.endedAt ?? new Date().toISOString(),
    executor: { ...fex, state: verdict.state, reason: fromNode ?? verdict.reason },
  };
  if (next.status === 'failed') next.error = { message: fromNode ?? verdict.reason };
  try {
    writeRunInfo(dir, next);
  } catch {
    // Read-only: reported all the same, written by a later reader.
  }
  return next;
}

/** How long after a Slurm ending an interrupted run may still be requeued by Slurm (and is asked about). */
const REQUEUE_WINDOW_MS = 600_000;

/**
 * Whether Slurm may still run this run: queued or running there, or interrupted by a Slurm ending that a
 * requeue follows (scontrol requeue, preemption, a node failure) within the last ten minutes.
 */
export function mayBeLiveInSlurm(info: RunInfo): boolean {
  const ex = info.executor;
  if (ex?.kind !== 'slurm' || !ex.jobId) return false;
  if (info.status === 'queued' || info.status === 'running') return true;
  return (
    info.status === 'interrupted' &&
    (ex.state === 'CANCELLED' || ex.state === 'PREEMPTED' || ex.state === 'NODE_FAIL') &&
    Date.now() - Date.parse(info.endedAt ?? '') < REQUEUE_WINDOW_MS
  );
}

/** Every live Slurm run of `runs`, asked about in one squeue call; the others are returned unchanged. */
export async function reconcileSlurmRuns<T extends { dir: string; info: RunInfo }>(
  runs: T[],
  ctx: SlurmContext = {},
): Promise<T[]> {
  const live = runs.filter((r) => mayBeLiveInSlurm(r.info));
  if (live.length === 0) return runs;
  const snapshot = await querySlurm(
    live.map((r) => (r.info.executor as SlurmRunRecord).jobId as string),
    ctx,
  );
  if (!snapshot) return runs;
  return runs.map((r) => (live.includes(r) ? { ...r, info: reconcileSlurmRun(r.dir, r.info, snapshot) } : r));
}

/** "PENDING (Resources)", "RUNNING on vm", "TIMEOUT: ...": what a list says after a Slurm run's status. */
export function describeSlurm(info: RunInfo): string | undefined {
  const ex = info.executor;
  if (ex?.kind !== 'slurm') return undefined;
  const live = info.status === 'queued' || info.status === 'running';
  if (live && !ex.jobId) return 'not submitted (sbatch its script)';
  if (live && ex.state) {
    if (ex.state === 'PENDING') return `PENDING${ex.reason ? ` (${ex.reason})` : ''}`;
    if (ex.reason === 'requeued') return `${ex.state} (requeued)${ex.node ? ` on ${ex.node}` : ''}`;
    return `${ex.state}${ex.node ? ` on ${ex.node}` : ''}`;
  }
  if (info.status === 'interrupted' || info.status === 'cancelled') return ex.reason;
  return undefined;
}

// ---- control ----

const taskId = (info: RunInfo): string | undefined =>
  info.executor?.kind === 'slurm' && info.executor.jobId
    ? `${info.executor.jobId}_${info.executor.arrayIndex}`
    : undefined;

/**
 * Stop: a running task gets `scancel --batch --signal=TERM` (its `wdlab run-trial` stops the trainer at a
 * step boundary, checkpoints, and the run ends `cancelled`, as locally); a pending one is cancelled and
 * its run marked `cancelled`. Returns the runs acted on.
 */
export async function stopSlurmRuns(
  runs: { dir: string; info: RunInfo }[],
  ctx: SlurmContext = {},
): Promise<string[]> {
  const current = await reconcileSlurmRuns(runs, ctx);
  const stopped: string[] = [];
  for (const { dir, info } of current) {
    const id = taskId(info);
    if (!id || (info.status !== 'queued' && info.status !== 'running')) continue;
    const pending = info.executor?.state === 'PENDING' || (info.status === 'queued' && !info.executor?.state);
    const args = pending ? [id] : ['--batch', '--signal=TERM', id];
    ctx.log?.(`$ scancel ${args.join(' ')}`);
    const r = await slurmCommand('scancel', args, ctx);
    if (r.stderr.trim()) ctx.log?.(r.stderr.trim());
    if (r.error === 'ENOENT')
      throw new SlurmError('scancel not found on PATH: stop Slurm runs from a Slurm login node');
    if (pending) markCancelledIfQueued(dir, `${id} cancelled before it started`);
    stopped.push(dir);
  }
  return stopped;
}

function markCancelledIfQueued(dir: string, reason: string): void {
  try {
    const info = readRunInfo(dir);
    if (info.status !== 'queued' || info.executor?.kind !== 'slurm') return;
    writeRunInfo(dir, {
      ...info,
      status: 'cancelled',
      endedAt: new Date().toISOString(),
      executor: { ...info.executor, state: 'CANCELLED', reason },
    });
  } catch {
    // The next reader settles it from Slurm's answer.
  }
}

/**
 * Stop All: for each array job of the live runs, its pending tasks are cancelled and its running ones
 * signalled (TERM to `wdlab run-trial`: checkpoint, `cancelled`). Returns the array job ids.
 */
export async function cancelSlurmArrays(
  runs: { dir: string; info: RunInfo }[],
  ctx: SlurmContext = {},
): Promise<string[]> {
  const live = runs.filter(
    (r) => taskId(r.info) && (r.info.status === 'queued' || r.info.status === 'running'),
  );
  const jobs = [...new Set(live.map((r) => (r.info.executor as SlurmRunRecord).jobId as string))];
  for (const job of jobs) {
    // Pending first: a task that starts in between is then running, and signalled next.
    for (const args of [
      ['--state=PENDING', job],
      ['--state=RUNNING', '--batch', '--signal=TERM', job],
    ]) {
      ctx.log?.(`$ scancel ${args.join(' ')}`);
      const r = await slurmCommand('scancel', args, ctx);
      if (r.stderr.trim()) ctx.log?.(r.stderr.trim());
      if (r.error === 'ENOENT')
        throw new SlurmError('scancel not found on PATH: stop Slurm runs from a Slurm login node');
    }
  }
  await reconcileSlurmRuns(live, ctx);
  return jobs;
}

// ---- inside an array task ----

/** "1:17", "1:00:00", "1-02:03:04" in seconds; undefined for UNLIMITED, NOT_SET... */
export function slurmSeconds(text: string): number | undefined {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, d, a, b, c] = m;
  const parts = [a, b, c].filter((x) => x !== undefined).map(Number);
  const [h, min, s] = parts.length === 3 ? parts : parts.length === 2 ? [0, ...parts] : [0, parts[0], 0];
  return Number(d ?? 0) * 86400 + h * 3600 + min * 60 + s;
}

/**
 * Why this array task got SIGTERM. Asked of squeue for the task's own job: still RUNNING means a Stop
 * (`scancel --batch --signal=TERM`) and returns undefined; a TimeLimit reason (or its run time at its
 * limit) is TIMEOUT; any other ending (scancel of the job, preemption, requeue) is CANCELLED.
 */
export async function whyTerminated(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ state: string; reason: string } | undefined> {
  const job = env.SLURM_JOB_ID;
  if (!job) return undefined;
  const r = await slurmCommand('squeue', ['-h', '-j', job, '-o', '%T|%r|%M|%l'], { env, timeoutMs: 10_000 });
  const [state, reason, used, limit] = r.stdout.trim().split('\n')[0]?.split('|') ?? [];
  if (r.code !== 0 || !state || state === 'RUNNING') return undefined;
  const usedS = slurmSeconds(used ?? '');
  const limitS = slurmSeconds(limit ?? '');
  if (
    reason === 'TimeLimit' ||
    state === 'TIMEOUT' ||
    (usedS !== undefined && limitS !== undefined && usedS >= limitS)
  )
    return {
      state: 'TIMEOUT',
      reason: `TIMEOUT: the task reached its time limit (${limit}) and stopped at a step boundary with a checkpoint; resume continues from it`,
    };
  return {
    state: 'CANCELLED',
    reason: `CANCELLED: Slurm ended the task (scancel, preemption or requeue); it stopped with a checkpoint, and resume (or the requeued task) continues from it`,
  };
}
