// `wdlab run SPEC --executor slurm`, `wdlab run --resume RUN... ` of Slurm runs, `wdlab stop`, and
// `--wait` (runner/executors/slurm.ts does the Slurm part; docs/cluster.md says what the nodes need).
//
//   wdlab run SPEC --executor slurm [--partition P] [--time T] [--gres G] [--cpus-per-task N] [--mem M]
//       [--max-concurrent K] [--sbatch-arg ARG]... [--wdlab-command CMD] [--wait] [--dry-run]
//   wdlab run --resume RUN... [--executor slurm ...]   submit again, as one array, the runs that need it
//   wdlab stop RUN... | --all                           Stop (TERM to the array task) / Stop All
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { MetricRecord } from '../protocol/records';
import {
  cancelSlurmArrays,
  describeSlurm,
  reconcileSlurmRuns,
  resubmitSlurmRuns,
  SlurmError,
  type SlurmOptions,
  type SlurmSubmission,
  stopSlurmRuns,
  submitSlurmSweep,
} from '../runner/executors';
import {
  lastValues,
  listRuns,
  parseJsonl,
  type RunInfo,
  readMetrics,
  readRunInfo,
  runFiles,
} from '../runner/runStore';
import type { Trial } from '../spec/types';
import { readyLines, recordLine, trialHeader } from './progressLines';
import { ReportInputError, resolveReportRuns } from './report';
import { formatTable, num, percent } from './table';

export interface SlurmFlags {
  partition?: string;
  time?: string;
  gres?: string;
  'cpus-per-task'?: string;
  mem?: string;
  'max-concurrent'?: string;
  'sbatch-arg'?: string[];
  'wdlab-command'?: string;
  wait?: boolean;
  'dry-run'?: boolean;
  quiet?: boolean;
  all?: boolean;
}

/** The flags that mean something only with --executor slurm. */
export const SLURM_ONLY_FLAGS = [
  'partition',
  'time',
  'gres',
  'cpus-per-task',
  'mem',
  'max-concurrent',
  'sbatch-arg',
  'wdlab-command',
  'wait',
  'dry-run',
] as const;

export const RUN_HELP = `Usage:
  wdlab run SPEC [--runs-dir DIR] [--quiet]          train every trial of the spec's sweep here
  wdlab run SPEC --executor slurm [options]          submit the sweep as ONE Slurm job array
  wdlab run --resume RUN... [--executor slurm]       continue cancelled/interrupted/failed runs

Executor (--executor local|slurm; default local: trainer processes of this command, one trial after
another). With slurm, each array task trains one trial on a compute node and writes the same run folder
as a local run; the run folders are created first (status queued) in the runs directory, which must be
on a filesystem the nodes share, and \`wdlab run\` returns at once with the job id and the folders.
  --partition P          sbatch --partition
  --time T               sbatch --time (e.g. 02:00:00): the task's limit; a run that reaches it stops
                         with a checkpoint and ends interrupted (TIMEOUT); resume continues it
  --gres G               sbatch --gres (e.g. gpu:1)
  --cpus-per-task N      sbatch --cpus-per-task (default 1)
  --mem M                sbatch --mem (e.g. 8G)
  --max-concurrent K     at most K trials at once (--array=0-N%K)
  --sbatch-arg ARG       one more sbatch argument, e.g. --sbatch-arg=--account=proj (repeatable)
  --wdlab-command CMD    how a node starts wdlab, e.g. "wdlab" or "/opt/node/bin/node /opt/wdlab/dist/cli.js"
                         (default: this node binary and this wdlab, for an install on a shared filesystem)
  --wait                 follow the array until every task has ended, printing progress as a local run
  --dry-run              write the array script and print the sbatch command; submit nothing
Resume of Slurm runs submits only those that need it (cancelled, interrupted, failed) as a new array,
with the options they ran with (flags given here replace them); each continues from its checkpoint.
\`wdlab stop RUN...\` stops Slurm runs (TERM: checkpoint, cancelled); \`wdlab stop --all\` cancels the arrays
of every live Slurm run in the runs directory. \`wdlab list\` shows Slurm's state (PENDING and its reason).
See docs/cluster.md.

Exit codes: 0 success (submitted), 1 a trial failed, 2 invalid input or a rejected submission, 130 stopped.`;

const positiveInt = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new SlurmError(`--${flag} needs a whole number of at least 1, not "${v}"`);
  return n;
};

/** The sbatch options the flags ask for (undefined fields: not given). */
export function slurmOptionsFrom(values: SlurmFlags): SlurmOptions {
  const options: SlurmOptions = {};
  if (values.partition) options.partition = values.partition;
  if (values.time) {
    if (!/^(\d+-)?\d+(:\d+){0,2}$/.test(values.time))
      throw new SlurmError(`--time "${values.time}" is not a Slurm time (MM, MM:SS, HH:MM:SS or D-HH:MM:SS)`);
    options.time = values.time;
  }
  if (values.gres) options.gres = values.gres;
  const cpus = positiveInt('cpus-per-task', values['cpus-per-task']);
  if (cpus) options.cpusPerTask = cpus;
  if (values.mem) options.mem = values.mem;
  const k = positiveInt('max-concurrent', values['max-concurrent']);
  if (k) options.maxConcurrent = k;
  if (values['sbatch-arg']?.length) options.sbatchArgs = values['sbatch-arg'];
  const command = values['wdlab-command']?.trim();
  if (command) options.wdlabCommand = command.split(/\s+/);
  return options;
}

const say = (quiet: boolean | undefined, line: string) => {
  if (!quiet) console.log(line);
};

function printSubmission(s: SlurmSubmission): void {
  const runs = s.runDirs.map((dir) => ({ dir, info: readRunInfo(dir) }));
  for (const { dir, info } of runs) {
    const task = s.jobId ? `${s.jobId}_${info.executor?.arrayIndex}` : `task ${info.executor?.arrayIndex}`;
    console.log(`  ${task}  ${dir}${info.trial.label ? `  ${info.trial.label}` : ''}`);
  }
}

/** `wdlab run SPEC --executor slurm`: submit (or write, --dry-run), then return, or follow with --wait. */
export async function runSlurmSweep(
  file: string,
  name: string,
  trials: Trial[],
  labels: string[],
  runsDir: string,
  values: SlurmFlags,
): Promise<number> {
  const options = slurmOptionsFrom(values);
  const n = trials.length;
  say(values.quiet, `${name}: ${n} trial${n === 1 ? '' : 's'} → ${runsDir} (Slurm job array)`);
  const s = await submitSlurmSweep(runsDir, trials, labels, resolve(file), options, {
    dryRun: values['dry-run'],
    log: (line) => say(values.quiet, line),
  });
  if (!s.jobId) {
    console.log(
      `Wrote ${s.script}: ${n} array task${n === 1 ? '' : 's'}, one per run folder (queued, not submitted):`,
    );
    printSubmission(s);
    console.log('Submit it with:');
    console.log(s.command);
    return 0;
  }
  const throttle = options.maxConcurrent ? `, at most ${options.maxConcurrent} at a time` : '';
  console.log(`Submitted Slurm job array ${s.jobId}: ${n} task${n === 1 ? '' : 's'}${throttle}`);
  printSubmission(s);
  if (!values.wait) {
    say(
      values.quiet,
      `Follow it with \`wdlab list --runs-dir ${runsDir}\` (or --wait); stop a run with \`wdlab stop RUN\`, all with \`wdlab stop --all\`.`,
    );
    return 0;
  }
  return followRuns(s.runDirs, values.quiet ?? false, runsDir);
}

/** `wdlab run --resume RUN...` of Slurm runs (or with --executor slurm): one new array of those that need it. */
export async function resumeOnSlurm(args: string[], runsDir: string, values: SlurmFlags): Promise<number> {
  const dirs = resolveRuns(args, runsDir);
  const s = await resubmitSlurmRuns(dirs, slurmOptionsFrom(values), {
    log: (line) => say(values.quiet, line),
  });
  for (const k of s.skipped) console.log(`  ${basename(k.dir)}: not resumed (${k.why})`);
  console.log(
    `Resubmitted ${s.runDirs.length} run${s.runDirs.length === 1 ? '' : 's'} as Slurm job array ${s.jobId}`,
  );
  printSubmission(s);
  if (!values.wait) return 0;
  return followRuns(s.runDirs, values.quiet ?? false, runsDir, true);
}

function resolveRuns(args: string[], runsDir: string): string[] {
  try {
    return resolveReportRuns(args, runsDir).map((d) => resolve(d));
  } catch (e) {
    if (e instanceof ReportInputError) throw new SlurmError(e.message.replace(/^report/, 'this command'));
    throw e;
  }
}

/** Whether every run named is a Slurm run (then `--resume` resubmits them to Slurm). */
export function allSlurm(args: string[], runsDir: string): boolean {
  try {
    const dirs = resolveReportRuns(args, runsDir);
    return dirs.length > 0 && dirs.every((d) => readRunInfo(d).executor?.kind === 'slurm');
  } catch {
    return false;
  }
}

/** `wdlab stop RUN...`: TERM to each run's array task (pending ones cancelled); `--all`: Stop All. */
export async function stopCommand(args: string[], runsDir: string, values: SlurmFlags): Promise<number> {
  if (args.length === 0 && !values.all)
    throw new SlurmError('stop needs run folders or sweep group ids, or --all');
  const dirs = args.length > 0 ? resolveRuns(args, runsDir) : listRuns(runsDir).map((r) => r.dir);
  const runs = dirs.map((dir) => ({ dir, info: readRunInfo(dir) }));
  const local = runs.filter((r) => r.info.executor?.kind !== 'slurm' && args.length > 0);
  for (const r of local)
    console.error(
      `${basename(r.dir)}: not a Slurm run; stop a local run where it runs (Ctrl+C in its terminal, or Stop in VS Code)`,
    );
  const slurm = runs.filter((r) => r.info.executor?.kind === 'slurm');
  const log = (line: string) => say(values.quiet, line);
  if (values.all) {
    const jobs = await cancelSlurmArrays(slurm, { log });
    console.log(
      jobs.length > 0
        ? `Cancelled Slurm job array${jobs.length === 1 ? '' : 's'} ${jobs.join(', ')}`
        : 'No live Slurm runs',
    );
    return 0;
  }
  const stopped = await stopSlurmRuns(slurm, { log });
  for (const dir of stopped) console.log(`stopping ${basename(dir)}`);
  if (stopped.length === 0) console.log('No queued or running Slurm run to stop');
  return local.length > 0 && stopped.length === 0 ? 2 : 0;
}

/** Status words of `wdlab list` for a run: "queued (PENDING: Resources)", "interrupted: TIMEOUT: ...". */
export function slurmStatusSuffix(info: RunInfo): string {
  const d = describeSlurm(info);
  if (!d) return '';
  return info.status === 'queued' || info.status === 'running' ? ` (${d})` : `: ${d.split(';')[0]}`;
}

// ---- --wait ----

interface Followed {
  dir: string;
  info: RunInfo;
  header: boolean;
  ready: boolean;
  ended: boolean;
  offset: number;
}

/** New complete metric lines of a run since `offset` (bytes); a shorter file (a resume rewrote it) restarts there. */
function newRecords(f: Followed): MetricRecord[] {
  const file = runFiles(f.dir).metrics;
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  if (size < f.offset) f.offset = size;
  if (size === f.offset) return [];
  const buf = Buffer.alloc(size - f.offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, f.offset);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a) + 1;
  f.offset += end;
  return parseJsonl<MetricRecord>(buf.subarray(0, end).toString('utf8'), file, () => undefined);
}

const ENDED = new Set(['completed', 'failed', 'cancelled', 'interrupted', 'damaged']);

/**
 * Follows Slurm runs from their folders (run.json, metrics.jsonl) and squeue until every one has ended,
 * printing the lines a local run prints. Ctrl+C stops following (the array goes on). Returns the exit code
 * of a local sweep with the same outcome.
 */
export async function followRuns(
  runDirs: string[],
  quiet: boolean,
  runsDir: string,
  resumed = false,
): Promise<number> {
  const runs: Followed[] = runDirs.map((dir) => ({
    dir,
    info: readRunInfo(dir),
    header: false,
    ready: false,
    ended: false,
    offset: resumed && existsSync(runFiles(dir).metrics) ? statSync(runFiles(dir).metrics).size : 0,
  }));
  let detached = false;
  const onSignal = () => {
    detached = true;
  };
  process.once('SIGINT', onSignal);
  let last: Followed | undefined;
  const print = (f: Followed, line: string) => {
    if (quiet) return;
    if (last !== f || !f.header) {
      const t = f.info.trial;
      console.log(trialHeader({ index: t.index, count: t.count, label: t.label }, f.dir));
      f.header = true;
    }
    last = f;
    console.log(line);
  };
  let lastAsked = 0;
  while (!detached) {
    let infos = runs.map((f) => ({ dir: f.dir, info: readRunInfo(f.dir) }));
    if (Date.now() - lastAsked > 2000) {
      infos = await reconcileSlurmRuns(infos);
      lastAsked = Date.now();
    }
    for (const [i, f] of runs.entries()) {
      if (f.ended) continue;
      f.info = infos[i].info;
      if (f.info.backend && !f.ready && f.info.status !== 'queued') {
        f.ready = true;
        for (const line of readyLines(f.info)) print(f, line);
      }
      for (const r of newRecords(f)) {
        const line = recordLine(r);
        if (line) print(f, line);
      }
      if (ENDED.has(f.info.status)) {
        f.ended = true;
        const why =
          f.info.status === 'failed'
            ? `: ${(f.info.error?.message ?? '').split('\n')[0]}`
            : slurmStatusSuffix(f.info);
        print(f, `  ${f.info.status}${why}`);
        for (const w of f.info.warnings ?? []) print(f, `  warning: ${w}`);
      }
    }
    if (runs.every((f) => f.ended)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.off('SIGINT', onSignal);
  if (detached) {
    console.error(
      '\nStopped following; the Slurm array goes on (wdlab list shows it; wdlab stop RUN stops a run).',
    );
    return 130;
  }
  const rows = runs.map((f, i) => {
    const final = lastValues(readMetrics(f.dir, () => undefined));
    const status =
      f.info.status === 'failed'
        ? `failed: ${(f.info.error?.message ?? '').split('\n')[0]}`
        : f.info.status + slurmStatusSuffix(f.info);
    return [
      String(i + 1),
      f.info.trial.label || f.info.name,
      status,
      f.info.backend?.name ?? '-',
      percent(final['test/accuracy']),
      num(final['test/loss']),
      f.info.id,
    ];
  });
  console.log(`\n${formatTable(['#', 'trial', 'status', 'backend', 'test acc', 'test loss', 'run'], rows)}`);
  console.log(`\nResults: ${runsDir}`);
  if (runs.some((f) => f.info.status === 'failed')) return 1;
  return runs.every((f) => f.info.status === 'completed') ? 0 : 130;
}
