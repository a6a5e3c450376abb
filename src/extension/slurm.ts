// Slurm from the editor: the `wdlab.executor` and `wdlab.slurm.*` settings, the Run command's
// choice of executor, and Submit / Stop / Stop All / Resume of Slurm runs through the runner's Slurm
// executor (runner/executors/slurm.ts). The Runs view and the results panel follow Slurm runs as any run of
// another process: from their folders (runCatalog.ts), with Slurm's state from squeue (SlurmWatch). The log
// channel shows every Slurm command and its output.
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import {
  cancelSlurmArrays,
  type ExecutorKind,
  resubmitSlurmRuns,
  type SlurmOptions,
  stopSlurmRuns,
  submitSlurmSweep,
} from '../runner/executors';
import type { JobOutcome, SweepRequest } from './experimentRunner';
import type { CatalogRun, RunCatalog } from './runCatalog';
import { trainerEnv } from './settings';

/** What Run returns for a Slurm sweep: the runs (queued) and the array job id; it does not wait. */
export interface SlurmJobOutcome extends JobOutcome {
  executor: 'slurm';
  jobId: string;
}

/** `wdlab.executor`: where Run trains by default. */
export function executorSetting(): ExecutorKind {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return vscode.workspace.getConfiguration('wdlab', folder).get<string>('executor') === 'slurm'
    ? 'slurm'
    : 'local';
}

/** `wdlab.slurm.*` as sbatch options. */
export function slurmSettings(): SlurmOptions {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const c = vscode.workspace.getConfiguration('wdlab.slurm', folder);
  const text = (key: string) => c.get<string>(key)?.trim() || undefined;
  const count = (key: string) => {
    const n = c.get<number>(key);
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const options: SlurmOptions = {};
  const partition = text('partition');
  if (partition) options.partition = partition;
  const time = text('time');
  if (time) options.time = time;
  const gres = text('gres');
  if (gres) options.gres = gres;
  const cpus = count('cpusPerTask');
  if (cpus) options.cpusPerTask = cpus;
  const mem = text('mem');
  if (mem) options.mem = mem;
  const k = count('maxConcurrent');
  if (k) options.maxConcurrent = k;
  const extra = (c.get<string[]>('sbatchArgs') ?? []).map((a) => a.trim()).filter((a) => a !== '');
  if (extra.length > 0) options.sbatchArgs = extra;
  const command = text('command');
  // The default: this extension's node and CLI (the extension folder must be visible to the nodes).
  options.wdlabCommand = command ? command.split(/\s+/) : [process.execPath, join(__dirname, 'cli.js')];
  return options;
}

const describeOptions = (o: SlurmOptions): string =>
  [
    o.partition ? `partition ${o.partition}` : 'default partition',
    o.time ? `time ${o.time}` : undefined,
    o.gres ? `gres ${o.gres}` : undefined,
    o.maxConcurrent ? `at most ${o.maxConcurrent} at once` : undefined,
  ]
    .filter(Boolean)
    .join(', ');

/**
 * Where Run trains: as asked (`requested`), else locally when `wdlab.executor` is `local`, else the user's
 * pick (Slurm first). Undefined when the pick is dismissed.
 */
export async function chooseExecutor(requested?: unknown): Promise<ExecutorKind | undefined> {
  if (requested === 'local' || requested === 'slurm') return requested;
  if (executorSetting() !== 'slurm') return 'local';
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: '$(server-environment) Slurm',
        description: describeOptions(slurmSettings()),
        detail: 'One job array, one task per trial (wdlab.slurm.* settings)',
        executor: 'slurm' as const,
      },
      {
        label: '$(vm) This machine',
        description: 'trainer processes of this window',
        executor: 'local' as const,
      },
    ],
    { placeHolder: 'Run the experiment where?' },
  );
  return picked?.executor;
}

const slurmLog = (log: vscode.LogOutputChannel) => (line: string) => log.info(`[slurm] ${line}`);

function reportError(log: vscode.LogOutputChannel, what: string, e: unknown): void {
  const message = (e as Error).message ?? String(e);
  log.error(`[slurm] ${what}: ${message}`);
  void vscode.window.showErrorMessage(`Weight Decay Lab: ${message}`, 'Show Logs').then((c) => {
    if (c) void vscode.commands.executeCommand('wdlab.showLogs');
  });
}

/** Submits a sweep as one job array; the runs appear in the Runs view as queued. */
export async function submitSweep(
  catalog: RunCatalog,
  log: vscode.LogOutputChannel,
  request: SweepRequest,
): Promise<SlurmJobOutcome | undefined> {
  const options = slurmSettings();
  log.info(
    `[slurm] ${request.name}: ${request.trials.length} trial(s) as a job array → ${catalog.directory}`,
  );
  try {
    const s = await submitSlurmSweep(
      catalog.directory,
      request.trials,
      request.labels,
      request.specFile,
      options,
      {
        env: { ...process.env, ...trainerEnv() },
        log: slurmLog(log),
      },
    );
    await Promise.all(s.runDirs.map((d) => catalog.refreshRun(d)));
    log.info(`[slurm] submitted job array ${s.jobId}: ${s.runDirs.map((d) => basename(d)).join(', ')}`);
    void vscode.window.showInformationMessage(
      `Weight Decay Lab: submitted ${request.name} as Slurm job array ${s.jobId} (${s.runDirs.length} task${s.runDirs.length === 1 ? '' : 's'}).`,
    );
    return queuedOutcome(s.jobId as string, s.runDirs);
  } catch (e) {
    reportError(log, 'submit', e);
    return undefined;
  }
}

/** A submitted (or resubmitted) array: every run queued under its job id. */
function queuedOutcome(jobId: string, runDirs: string[]): SlurmJobOutcome {
  return {
    executor: 'slurm',
    jobId,
    runDirs,
    runIds: runDirs.map((d) => basename(d)),
    statuses: runDirs.map(() => 'queued'),
    cancelled: false,
  };
}

/** Stop: TERM to each running run's array task (checkpoint, cancelled); pending ones are cancelled. */
export async function stopRuns(runs: CatalogRun[], catalog: RunCatalog, log: vscode.LogOutputChannel) {
  try {
    const stopped = await stopSlurmRuns(runs, { log: slurmLog(log), timeoutMs: 15_000 });
    await Promise.all(stopped.map((d) => catalog.refreshRun(d)));
    // Slurm stops the task, not this window: say what was asked and what to expect (the other tasks of
    // the array go on).
    if (stopped.length > 0) {
      void vscode.window.showInformationMessage(
        `Weight Decay Lab: asked Slurm to stop ${stopped.map((d) => basename(d)).join(', ')} (scancel): a running task stops at a step boundary with a checkpoint and shows as cancelled here; a pending one is cancelled. The rest of the array goes on.`,
      );
    }
    return stopped.length;
  } catch (e) {
    reportError(log, 'stop', e);
    return 0;
  }
}

/** Stop All: cancels the arrays of every live Slurm run of the runs directory. */
export async function stopAll(catalog: RunCatalog, log: vscode.LogOutputChannel): Promise<number> {
  const live = catalog.list().filter(isLiveSlurm);
  if (live.length === 0) return 0;
  try {
    await cancelSlurmArrays(live, { log: slurmLog(log), timeoutMs: 15_000 });
    await Promise.all(live.map((r) => catalog.refreshRun(r.dir)));
    void vscode.window.showInformationMessage(
      `Weight Decay Lab: asked Slurm to stop the arrays of ${live.length} run${live.length === 1 ? '' : 's'} (scancel); running tasks stop with a checkpoint, pending ones are cancelled. Resume resubmits them.`,
    );
    return live.length;
  } catch (e) {
    reportError(log, 'stop all', e);
    return 0;
  }
}

/** Resume: the runs that need it, submitted again as one new array (each continues from its checkpoint). */
export async function resumeRuns(
  runs: CatalogRun[],
  catalog: RunCatalog,
  log: vscode.LogOutputChannel,
): Promise<SlurmJobOutcome | undefined> {
  try {
    const s = await resubmitSlurmRuns(
      runs.map((r) => r.dir),
      {},
      { env: { ...process.env, ...trainerEnv() }, log: slurmLog(log) },
    );
    for (const k of s.skipped) log.info(`[slurm] ${basename(k.dir)} not resumed: ${k.why}`);
    await Promise.all(s.runDirs.map((d) => catalog.refreshRun(d)));
    return queuedOutcome(s.jobId as string, s.runDirs);
  } catch (e) {
    reportError(log, 'resume', e);
    return undefined;
  }
}

export const isSlurmRun = (r: CatalogRun): boolean => r.info.executor?.kind === 'slurm';

export const isLiveSlurm = (r: CatalogRun): boolean =>
  isSlurmRun(r) && (r.info.status === 'queued' || r.info.status === 'running');
