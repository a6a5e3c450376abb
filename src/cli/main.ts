// `wdlab`: the runner from a terminal (docs/architecture.md, src/cli).
//
//   wdlab validate SPEC...                 exit 0, or 2 with located errors (warns of datasets not on disk)
//   wdlab run SPEC [--runs-dir DIR]        every trial of the sweep; exit 0, 1 (a trial failed), 130 (stopped)
//   wdlab run --resume RUN_DIR|GROUP...    continue cancelled or interrupted runs from their checkpoints
//   wdlab run SPEC --executor slurm ...    the sweep as one Slurm job array (cli/slurm.ts); wdlab stop RUN
//   wdlab list [--runs-dir DIR] [--json]   runs with status, backend, final metrics
//   wdlab report RUN... [-o FILE]          one self-contained HTML file with the results charts
//   wdlab explain RUN... [--json]          the mechanism verdict of runs that differ in the regularizer
//   wdlab download NAME [--data-dir DIR]   fetch CIFAR-10/100, MNIST or Fashion-MNIST (md5-checked)
//   wdlab summary SPEC                     the layer table and parameter count of the spec's network(s)
//   wdlab preset list|new NAME             the paper's 64 released configurations as specs (cli/preset.ts)
//   wdlab engine list|install|check        the native training engines (cli/engine.ts)
//   wdlab metrics [--markdown]             what each metrics.jsonl key means (cli/metrics.ts)
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { version } from '../../package.json';
import { isRealDataset, missingDatasets, REAL_DATASETS } from '../engine/data/locate';
import { type ExecutorKind, parseExecutorKind, reconcileSlurmRuns, SlurmError } from '../runner/executors';
import { DEFAULT_RUNS_DIR, listRuns, readRunInfo, readRunSpec, reconcileStatus } from '../runner/runStore';
import { type SweepObserver, SweepRun } from '../runner/sweep';
import type { TrialResult } from '../runner/trialRunner';
import { formatDiagnostic, loadSpecFile, resolvedSpecDiagnostics, trialLabel } from '../spec';
import { downloadCommand } from './download';
import { EngineInputError, engineCommand } from './engine';
import { explainCommand, printRunVerdict } from './explain';
import { metricsCommand } from './metrics';
import { PresetInputError, presetCommand } from './preset';
import { readyLines, recordLine, trialHeader } from './progressLines';
import { ReportInputError, resolveReportRuns, writeReport } from './report';
import { runTrialCommand } from './runTrial';
import {
  allSlurm,
  RUN_HELP,
  resumeOnSlurm,
  runSlurmSweep,
  SLURM_ONLY_FLAGS,
  type SlurmFlags,
  slurmStatusSuffix,
  stopCommand,
} from './slurm';
import { formatSummary } from './summary';
import { formatTable, num, percent } from './table';

const USAGE = `Weight Decay Lab ${version} — experiments on the three mechanisms of weight decay

Usage:
  wdlab validate SPEC...                  check spec files; prints the number of trials
  wdlab run SPEC [--runs-dir DIR]         run every trial of the spec's sweep
  wdlab run --resume RUN_DIR|GROUP...     continue cancelled or interrupted runs (a sweep's, by its group id)
  wdlab run SPEC --executor slurm [...]   submit the sweep as one Slurm job array, one task per trial
                                          (options: wdlab run --help; docs/cluster.md)
  wdlab stop RUN... | --all               stop Slurm runs (checkpoint, cancelled) / cancel their arrays
  wdlab list [--runs-dir DIR] [--json]    list runs with status, backend and final metrics
  wdlab report RUN... [-o FILE] [--force] one HTML file with the charts of runs (run dirs, a runs dir
                                          or sweep group ids); default FILE: report.html, never
                                          replaced without --force
  wdlab explain RUN... [--json]           which of the paper's three mechanisms shows in runs that
                                          differ in the regularizer (WD vs none or L2): the measured
                                          signatures, verdicts, accuracy vs seed spread, the paper's
                                          expectation (runs as for report)
  wdlab download NAME [--data-dir DIR]    fetch a dataset (cifar10, cifar100, mnist, fashion-mnist) from
                                          its official address, md5-checked, resumable
  wdlab summary SPEC                      the network's layer table: shapes, parameters, BN, decay,
                                          K-FAC factor sizes, and the total parameter count
  wdlab preset list [--dataset D] [--net N] [--setting S] [--optimizer O] [--variant baseline|WD] [--json]
                                          the paper's 64 released configurations (Zhang et al. 2019)
  wdlab preset new NAME [--cpu] [-o FILE] write one as a spec (NAME from the list, or table1: the whole
                                          grid as one sweep); --cpu scales it down for a CPU; default
                                          FILE: NAME.wdlab.json, never overwritten; -o - prints it
  wdlab engine list                       the native training engines and where each is found
  wdlab engine install ENGINE [--source auto|download|wheel] [--wheel FILE] [--python PYTHON]
                                          install tensorflow (tfjs-node, CPU), tensorflow-gpu (CUDA)
                                          or webgpu into the engines folder; tensorflow offline: built
                                          from a local tensorflow-cpu wheel (pip's index, or --wheel)
  wdlab engine check ENGINE               load an engine as a trainer would and run a step's kernels
  wdlab metrics [--markdown]              what every key of metrics.jsonl means: formula, unit, the
                                          paper's section, when it is logged

Options:
  --runs-dir DIR   where runs are stored (default: $WDLAB_RUNS_DIR or ${DEFAULT_RUNS_DIR})
  --data-dir DIR   where datasets are stored (default: $WDLAB_DATA or ~/.cache/wdlab/datasets)
  --engines-dir DIR  where engines are installed (default: $WDLAB_ENGINES or ~/.cache/wdlab/engines)
  --quiet          print only the summary
  -h, --help       this help;  --version  the version

Exit codes: 0 success, 1 a trial failed, 2 invalid input, 130 stopped by the user.`;

/** The subcommands, for the unknown-command message. */
const COMMANDS = [
  'validate',
  'run',
  'list',
  'stop',
  'report',
  'explain',
  'summary',
  'preset',
  'download',
  'engine',
  'metrics',
];

/** A usage or input error: printed without a stack, exit code 2. */
class UsageError extends Error {}

const runsDirOf = (flag: string | undefined): string =>
  resolve(flag || process.env.WDLAB_RUNS_DIR || DEFAULT_RUNS_DIR);

/** Loads a spec file; an unreadable file is bad input (exit 2), not a crash. */
function loadSpec(file: string): ReturnType<typeof loadSpecFile> {
  try {
    return loadSpecFile(file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function validate(files: string[]): number {
  if (files.length === 0) throw new UsageError('validate needs at least one spec file');
  let errors = 0;
  for (const file of files) {
    const result = loadSpec(file);
    for (const d of result.diagnostics) console.error(formatDiagnostic(file, d));
    const count = result.diagnostics.filter((d) => d.severity === 'error').length;
    errors += count;
    if (count === 0) {
      // A warning, not an error: a spec may be checked on one machine and run on another.
      const needs = result.trials.map((t) => t.spec.data);
      for (const m of missingDatasets(needs, dirname(resolve(file))))
        console.error(`${file}: warning: ${m.message}`);
      const n = result.trials.length;
      console.log(`${file}: valid — ${n} trial${n === 1 ? '' : 's'}`);
    }
  }
  return errors > 0 ? 2 : 0;
}

/** Run folders named on the command line (folders, run or group ids, a runs directory). */
function resolveRunArgs(args: string[], runsDir: string): string[] {
  try {
    return resolveReportRuns(args, runsDir).map((d) => resolve(d));
  } catch (e) {
    if (e instanceof ReportInputError) throw new UsageError(e.message.replace(/^report/, 'run --resume'));
    throw e;
  }
}

function describeResult(r: TrialResult | undefined): string {
  if (!r) return 'cancelled (not started)';
  return r.status === 'failed' ? `failed: ${(r.reason ?? '').split('\n')[0]}` : r.status;
}

function exitCodeOf(results: (TrialResult | undefined)[], cancelled: boolean): number {
  if (results.some((r) => r?.status === 'failed')) return 1;
  return cancelled || results.some((r) => r?.status !== 'completed') ? 130 : 0;
}

/** Ctrl+C once: graceful stop at a step boundary (checkpoint kept); twice: kill. */
function handleSignals(sweep: SweepRun): void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      console.error(`\n${signal}: stopping after the current step (press Ctrl+C again to kill)`);
      sweep.stop();
    } else {
      sweep.kill();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Prints each trial's start, backend and per-epoch metrics as they arrive. */
function consoleObserver(quiet: boolean): SweepObserver {
  if (quiet) return {};
  return {
    trialStarted: (runner, p) => {
      console.log(trialHeader(p, runner.runDir));
      runner.on('ready', (info) => {
        for (const line of readyLines(info)) console.log(line);
      });
      runner.on('record', (r) => {
        const line = recordLine(r);
        if (line) console.log(line);
      });
    },
    trialEnded: (_dir, result) => {
      console.log(`  ${describeResult(result)}`);
      for (const w of result?.warnings ?? []) console.log(`  warning: ${w}`);
    },
  };
}

function printSummary(runDirs: string[], results: (TrialResult | undefined)[], runsDir: string): void {
  const rows = runDirs.map((dir, i) => {
    const info = readRunInfo(dir);
    const r = results[i];
    return [
      String(i + 1),
      info.trial.label || info.name,
      describeResult(r),
      info.backend?.name ?? '-',
      percent(r?.final['test/accuracy']),
      num(r?.final['test/loss']),
      info.id,
    ];
  });
  console.log(`\n${formatTable(['#', 'trial', 'status', 'backend', 'test acc', 'test loss', 'run'], rows)}`);
  console.log(`\nResults: ${runsDir}`);
  console.log(
    'Each run folder holds spec.json, run.json, metrics.jsonl (one JSON record per line) and checkpoint/.',
  );
}

async function run(
  args: string[],
  values: { 'runs-dir'?: string; resume?: string; quiet?: boolean; executor?: string } & SlurmFlags,
): Promise<number> {
  const runsDir = runsDirOf(values['runs-dir']);
  // The executor (runner/executors): local trainer processes here, or a Slurm job array (cli/slurm.ts).
  let executor: ExecutorKind | undefined;
  try {
    executor = values.executor === undefined ? undefined : parseExecutorKind(values.executor);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const resumeTargets = values.resume ? [values.resume, ...args] : [];
  const slurmResume =
    values.resume !== undefined &&
    (executor === 'slurm' || (executor === undefined && allSlurm(resumeTargets, runsDir)));
  if (executor !== 'slurm' && !slurmResume) {
    const given = SLURM_ONLY_FLAGS.find((f) => values[f] !== undefined);
    if (given) throw new UsageError(`--${given} needs --executor slurm`);
  }
  if (slurmResume) return resumeOnSlurm(resumeTargets, runsDir, values);
  if (executor === 'slurm' && !values.resume) {
    if (args.length !== 1) throw new UsageError('run needs exactly one spec file (or --resume RUN_DIR)');
    const loaded = loadSpec(args[0]);
    for (const d of loaded.diagnostics) console.error(formatDiagnostic(args[0], d));
    if (!loaded.spec) return 2;
    const labels = loaded.trials.map(trialLabel);
    return runSlurmSweep(args[0], loaded.spec.name, loaded.trials, labels, runsDir, values);
  }
  const sweep = new SweepRun({}, consoleObserver(values.quiet ?? false));
  handleSignals(sweep);
  if (values.resume) {
    // One run folder: that run. A sweep's group id, a runs directory or several runs: every one of them
    // that was stopped or interrupted, one after another (the extension's Resume Sweep).
    const one = resumeTargets.length === 1 && existsSync(resolve(values.resume));
    const runDirs = one ? [resolve(values.resume)] : resolveRunArgs(resumeTargets, runsDir);
    const todo: string[] = [];
    for (const runDir of runDirs) {
      const info = reconcileStatus(runDir, readRunInfo(runDir));
      if (!one && info.status !== 'cancelled' && info.status !== 'interrupted') {
        console.log(`  ${info.id}: ${info.status}, nothing to resume`);
        continue;
      }
      const problems = resolvedSpecDiagnostics(readRunSpec(runDir));
      if (problems.length > 0) throw new UsageError(`${runDir}/spec.json: ${problems.join('; ')}`);
      console.log(`Resuming ${info.id} (${info.status})`);
      todo.push(runDir);
    }
    const results = await sweep.resumeAll(todo);
    if (todo.length > 0) printSummary(todo, results, resolve(todo[0], '..'));
    return exitCodeOf(results, false);
  }
  if (args.length !== 1) throw new UsageError('run needs exactly one spec file (or --resume RUN_DIR)');
  const file = args[0];
  const loaded = loadSpec(file);
  for (const d of loaded.diagnostics) console.error(formatDiagnostic(file, d));
  if (!loaded.spec) return 2;
  const n = loaded.trials.length;
  console.log(`${loaded.spec.name}: ${n} trial${n === 1 ? '' : 's'} → ${runsDir}`);
  const labels = loaded.trials.map(trialLabel);
  const result = await sweep.run(runsDir, loaded.trials, labels, resolve(file));
  printSummary(result.runDirs, result.results, runsDir);
  printRunVerdict(result.runDirs);
  const unfinished = result.results.filter((r) => r?.status !== 'completed' && r?.status !== 'failed').length;
  if (unfinished > 0) {
    const flag = values['runs-dir'] === undefined ? '' : ` --runs-dir ${values['runs-dir']}`;
    console.log(
      `\n${unfinished} trial${unfinished === 1 ? '' : 's'} stopped before the end; continue ${unfinished === 1 ? 'it' : 'them'} with: wdlab run --resume ${readRunInfo(result.runDirs[0]).group}${flag}`,
    );
  }
  return exitCodeOf(result.results, result.cancelled);
}

async function list(values: { 'runs-dir'?: string; json?: boolean }): Promise<number> {
  const runsDir = runsDirOf(values['runs-dir']);
  // Slurm runs still queued or running there: Slurm's state, and the end of tasks that died silently.
  const runs = await reconcileSlurmRuns(listRuns(runsDir));
  if (values.json) {
    console.log(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    console.log(`No runs in ${runsDir}`);
    return 0;
  }
  const rows = runs.map(({ info, final }) => [
    info.id,
    info.status +
      (info.warnings?.length ? ` (warning: ${info.warnings[0].split(':')[0]})` : '') +
      ((info.status === 'failed' || info.status === 'damaged') && info.error
        ? `: ${info.error.message.split('\n')[0]}`
        : slurmStatusSuffix(info)),
    info.backend?.name ?? '-',
    // run.json's progress is written now and then; the last record is the trainer's latest word.
    info.progress
      ? `${num(Math.max(info.progress.epoch, final.epoch ?? 0), 3)}/${info.progress.epochs}`
      : '-',
    percent(final['test/accuracy']),
    num(final['test/loss']),
    num(final['train/loss']),
    info.trial.label,
  ]);
  console.log(
    formatTable(['run', 'status', 'backend', 'epoch', 'test acc', 'test loss', 'train loss', 'trial'], rows),
  );
  console.log(`\n${runs.length} run${runs.length === 1 ? '' : 's'} in ${runsDir}`);
  return 0;
}

function summary(args: string[]): number {
  if (args.length !== 1) throw new UsageError('summary needs exactly one spec file');
  const loaded = loadSpec(args[0]);
  for (const d of loaded.diagnostics) console.error(formatDiagnostic(args[0], d));
  if (!loaded.spec) return 2;
  console.log(formatSummary(loaded.trials, trialLabel));
  return 0;
}

function report(args: string[], values: { 'runs-dir'?: string; output?: string; force?: boolean }): number {
  const out = resolve(values.output ?? 'report.html');
  // As `preset new`: a file the user has is never replaced without being asked to.
  if (existsSync(out) && !values.force)
    throw new UsageError(`${out} exists; choose another file with -o FILE, or pass --force to replace it`);
  try {
    const { runs, bytes } = writeReport(resolveReportRuns(args, runsDirOf(values['runs-dir'])), out);
    console.log(`${out} (${runs} run${runs === 1 ? '' : 's'}, ${(bytes / 1024).toFixed(0)} KiB)`);
  } catch (e) {
    if (e instanceof ReportInputError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'runs-dir': { type: 'string' },
      'data-dir': { type: 'string' },
      resume: { type: 'string' },
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      quiet: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      // wdlab preset
      dataset: { type: 'string' },
      net: { type: 'string' },
      setting: { type: 'string' },
      optimizer: { type: 'string' },
      variant: { type: 'string' },
      cpu: { type: 'boolean' },
      force: { type: 'boolean' },
      // wdlab run --executor slurm (cli/slurm.ts), wdlab stop
      executor: { type: 'string' },
      partition: { type: 'string' },
      time: { type: 'string' },
      gres: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      mem: { type: 'string' },
      'max-concurrent': { type: 'string' },
      'sbatch-arg': { type: 'string', multiple: true },
      'wdlab-command': { type: 'string' },
      wait: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      all: { type: 'boolean' },
      // wdlab engine
      source: { type: 'string' },
      wheel: { type: 'string' },
      python: { type: 'string' },
      'engines-dir': { type: 'string' },
    },
  });
  if (values.version) {
    console.log(version);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help && command === 'run') {
    console.log(RUN_HELP);
    return 0;
  }
  if (values.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  switch (command) {
    case 'validate':
      return validate(rest);
    case 'run':
      return run(rest, values);
    case 'list':
      return list(values);
    case 'stop':
      return stopCommand(rest, runsDirOf(values['runs-dir']), values);
    case 'run-trial':
      // Hidden: what one Slurm array task runs (cli/runTrial.ts).
      if (rest.length !== 1) throw new UsageError('run-trial needs exactly one run folder');
      return runTrialCommand(rest[0]);
    case 'report':
      return report(rest, values);
    case 'explain':
      try {
        return explainCommand(rest, runsDirOf(values['runs-dir']), values.json ?? false);
      } catch (e) {
        if (e instanceof ReportInputError) throw new UsageError(e.message);
        throw e;
      }
    case 'download':
      if (rest.length !== 1 || !isRealDataset(rest[0])) {
        throw new UsageError(`download needs one dataset name: ${REAL_DATASETS.join(', ')}`);
      }
      return downloadCommand(rest[0], values['data-dir']);
    case 'summary':
      return summary(rest);
    case 'preset':
      try {
        return presetCommand(rest, values);
      } catch (e) {
        if (e instanceof PresetInputError) throw new UsageError(e.message);
        throw e;
      }
    case 'engine':
      try {
        return await engineCommand(rest, values);
      } catch (e) {
        if (e instanceof EngineInputError) throw new UsageError(e.message);
        throw e;
      }
    case 'metrics':
      try {
        return metricsCommand(rest, values.markdown ?? false);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    default:
      throw new UsageError(`unknown command "${command}" (expected one of: ${COMMANDS.join(', ')})`);
  }
}

/** Runs the CLI with this process's arguments and sets the exit code. */
export function cli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      console.error(
        `wdlab: ${e instanceof Error ? e.message : String(e)}${usage ? '\nRun "wdlab --help" for usage.' : ''}`,
      );
      // A Slurm problem the user fixes (no sbatch, a rejected job, a runs directory not writable): one line.
      process.exitCode = usage || e instanceof SlurmError ? 2 : 1;
    },
  );
}

if (require.main === module) cli();
