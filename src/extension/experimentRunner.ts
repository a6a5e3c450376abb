// Runs experiments from the editor: one job (a sweep, or a resume) at a time, each trial in its own
// trainer process through the runner's SweepRun (the extension host never trains: docs/architecture.md).
// While a job runs it shows a cancellable progress notification (cancel = graceful stop at the next
// step boundary with a checkpoint; the trainer is killed after the grace period), a status bar item,
// and logs pids, backends, durations, exit codes and the trainer's output.
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { TrainingProgress } from '../protocol/records';
import { type SweepObserver, type SweepResult, SweepRun } from '../runner/sweep';
import type { TrialResult, TrialRunner } from '../runner/trialRunner';
import type { Trial } from '../spec';
import type { RunCatalog } from './runCatalog';
import { describeFinished, describeStop, percentDone, runLabel } from './runDescriptions';

export interface SweepRequest {
  kind: 'sweep';
  name: string;
  trials: Trial[];
  labels: string[];
  specFile?: string;
}

/** Continues stopped or interrupted runs from their checkpoints, one after another. */
export interface ResumeRequest {
  kind: 'resume';
  runDirs: string[];
}

export type JobRequest = SweepRequest | ResumeRequest;

/** How a job ended: plain data (command results cross the API as values). */
export interface JobOutcome {
  runDirs: string[];
  runIds: string[];
  statuses: string[];
  cancelled: boolean;
}

/** How a trial of a job ended: trained (and how far), or cancelled before it started. */
export interface TrialEnd {
  runId: string;
  status: string;
  started: boolean;
  progress?: TrainingProgress;
  reason?: string;
}

/** What a Stop did, for the message that says so (runDescriptions.ts: describeStop). */
export interface StopReport {
  /** Trials that were training and stopped (or that ended some other way while stopping). */
  stopped: TrialEnd[];
  /** Queued trials cancelled before they started. */
  skipped: TrialEnd[];
  /** Trials of the same jobs that go on (one trial of a sweep was stopped). */
  continuing: number;
}

interface Job {
  id: number;
  request: JobRequest;
  title: string;
  sweep: SweepRun;
  cancelled: boolean;
  started: boolean;
  trial?: { runner: TrialRunner; index: number; count: number; label: string; runId: string };
  progress?: TrainingProgress;
  backend?: string;
  runIds: string[];
  /** Run folders by id (a sweep's, once its first trial started; a resume's from the start). */
  runDirs: Map<string, string>;
  /** How each trial ended, in the order they did. */
  ends: Map<string, TrialEnd>;
  /** Trials stopped one by one (the rest of the job goes on). */
  stopRequested: Set<string>;
  /** `ends.size` when the whole job was stopped: its report covers what ended from then on. */
  endsAtStop?: number;
  waiters: Map<string, ((end: TrialEnd) => void)[]>;
  done?: Promise<JobOutcome>;
}

const STATUS_THROTTLE_MS = 250;

export class ExperimentRunner implements vscode.Disposable {
  private readonly jobs: Job[] = [];
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly statusItem: vscode.StatusBarItem;
  private statusTimer?: NodeJS.Timeout;
  private readonly changed = new vscode.EventEmitter<void>();
  /** A job started, progressed or ended. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly catalog: RunCatalog,
    private readonly log: vscode.LogOutputChannel,
    private readonly stopGraceMs: () => number,
    /** Added to each trainer's environment, read when a job is queued (WDLAB_DATA from the settings). */
    private readonly trainerEnv: () => Record<string, string> = () => ({}),
  ) {
    this.statusItem = vscode.window.createStatusBarItem('wdlab.status', vscode.StatusBarAlignment.Left, 10);
    this.statusItem.name = 'Weight Decay Lab';
    this.statusItem.command = 'wdlab.showResults';
  }

  get running(): boolean {
    return this.jobs.length > 0;
  }

  /** Ids of the runs that jobs of this window train now (the current trial of each started job). */
  activeRunIds(): string[] {
    return this.jobs.flatMap((j) => (j.trial ? [j.trial.runId] : []));
  }

  /** The run the status bar talks about: the current trial of the running job. */
  currentRunIds(): string[] {
    return this.jobs.find((j) => j.started)?.runIds ?? [];
  }

  isOwnActive(runId: string): boolean {
    return this.jobs.some((j) => j.runIds.includes(runId));
  }

  /** Queues a job; resolves when it has ended (completed, failed or stopped). */
  start(request: JobRequest): Promise<JobOutcome> {
    const title =
      request.kind === 'sweep'
        ? `${request.name}: ${request.trials.length} trial${request.trials.length === 1 ? '' : 's'}`
        : request.runDirs.length === 1
          ? `resume ${basename(request.runDirs[0])}`
          : `resume ${request.runDirs.length} runs`;
    const job: Job = {
      id: this.nextId++,
      request,
      title,
      cancelled: false,
      started: false,
      runIds: request.kind === 'resume' ? request.runDirs.map((d) => basename(d)) : [],
      runDirs: new Map(request.kind === 'resume' ? request.runDirs.map((d) => [basename(d), d]) : []),
      ends: new Map(),
      stopRequested: new Set(),
      waiters: new Map(),
      sweep: new SweepRun(
        { stopGraceMs: this.stopGraceMs(), env: this.trainerEnv() },
        this.observer(() => job),
      ),
    };
    this.jobs.push(job);
    this.update();
    const done = this.queue.then(() => this.execute(job));
    job.done = done;
    this.queue = done.catch(() => undefined);
    return done;
  }

  /**
   * Stops runs this window trains; resolves, once they have stopped, with one report per job touched.
   * Naming every trial of a job that has not ended yet (a sweep's row, a resume) stops the job: its
   * current trial at a step boundary with a checkpoint, its queued trials before they start. Naming some
   * trials of a sweep stops only those (the one training, or queued ones, which then never start): the
   * sweep goes on with the others.
   */
  stop(runIds: readonly string[]): Promise<StopReport>[] {
    const reports: Promise<StopReport>[] = [];
    for (const job of [...this.jobs]) {
      const named = runIds.filter((id) => job.runIds.includes(id) || job.trial?.runId === id);
      if (named.length === 0) continue;
      const open = job.runIds.filter((id) => !job.ends.has(id) && !job.stopRequested.has(id));
      if (open.every((id) => named.includes(id))) {
        reports.push(this.stopJob(job));
        continue;
      }
      for (const id of named) {
        const dir = job.runDirs.get(id);
        if (!dir || job.ends.has(id) || !job.sweep.stopTrial(dir)) continue;
        job.stopRequested.add(id);
        this.log.info(`stop requested: ${id} (the rest of ${job.title} goes on)`);
        reports.push(
          this.trialEnded(job, id).then((end) => ({
            stopped: end.started ? [end] : [],
            skipped: end.started ? [] : [end],
            continuing: job.runIds.filter((r) => !job.ends.has(r) && !job.stopRequested.has(r)).length,
          })),
        );
      }
    }
    return reports;
  }

  /**
   * "Stop says it stopped": once the stops are done, one message of what stopped where, what never
   * started and what goes on, with Resume (Resume Sweep for several). Resolves with the runs stopped.
   */
  async announceStops(pending: Promise<StopReport>[]): Promise<number> {
    if (pending.length === 0) return 0;
    const reports = await Promise.all(pending);
    const merged = {
      stopped: reports.flatMap((r) => r.stopped),
      skipped: reports.flatMap((r) => r.skipped),
      continuing: reports.reduce((n, r) => n + r.continuing, 0),
    };
    const labelOf = (id: string) => {
      const run = this.catalog.get(id);
      if (!run) return id;
      const siblings = this.catalog.list().filter((r) => r.info.group === run.info.group);
      return `${run.info.name} · ${runLabel(run, siblings)}`;
    };
    const text = describeStop(merged, labelOf);
    this.log.info(`stopped: ${text}`);
    const resumable = [...merged.stopped.filter((t) => t.status === 'cancelled'), ...merged.skipped].map(
      (t) => t.runId,
    );
    const resume = resumable.length > 1 ? 'Resume Sweep' : 'Resume';
    // No Resume while the rest of the sweep trains: its stopped trials resume once it has ended.
    const offer = resumable.length > 0 && merged.continuing === 0;
    void vscode.window
      .showInformationMessage(`Weight Decay Lab: ${text}`, ...(offer ? [resume] : []))
      .then((choice) => {
        if (choice === resume) void vscode.commands.executeCommand('wdlab.resumeRun', resumable);
      });
    return merged.stopped.length + merged.skipped.length;
  }

  /** Stops every job (queued ones before they start). */
  stopAll(): Promise<StopReport>[] {
    return [...this.jobs].map((job) => this.stopJob(job));
  }

  private stopJob(job: Job): Promise<StopReport> {
    if (!job.cancelled) {
      job.cancelled = true;
      job.endsAtStop = job.ends.size;
      this.log.info(`stop requested: ${job.title}`);
      job.sweep.stop();
      this.update();
    }
    return (job.done ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        const ends = [...job.ends.values()].slice(job.endsAtStop ?? 0);
        return {
          stopped: ends.filter((e) => e.started),
          skipped: ends.filter((e) => !e.started),
          continuing: 0,
        };
      });
  }

  /** Resolves when a trial of the job has ended (at once when it already has). */
  private trialEnded(job: Job, runId: string): Promise<TrialEnd> {
    const end = job.ends.get(runId);
    if (end) return Promise.resolve(end);
    return new Promise((resolve) => job.waiters.set(runId, [...(job.waiters.get(runId) ?? []), resolve]));
  }

  private endTrial(job: Job, end: TrialEnd): void {
    job.ends.set(end.runId, end);
    for (const resolve of job.waiters.get(end.runId) ?? []) resolve(end);
    job.waiters.delete(end.runId);
  }

  private execute(job: Job): Promise<JobOutcome> {
    if (job.cancelled) {
      this.log.info(`not started (stopped while queued): ${job.title}`);
      this.remove(job);
      return Promise.resolve({ runDirs: [], runIds: [], statuses: [], cancelled: true });
    }
    job.started = true;
    this.update();
    return Promise.resolve(
      vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Weight Decay Lab: ${job.title}`,
          cancellable: true,
        },
        async (progress, token) => {
          token.onCancellationRequested(() => void this.announceStops([this.stopJob(job)]));
          const report = setInterval(() => progress.report({ message: this.describe(job) }), 500);
          const t0 = Date.now();
          try {
            const outcome = await this.runJob(job);
            this.log.info(
              `${job.title}: ${outcome.statuses.join(', ') || 'nothing ran'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
            );
            // A job the user stopped is reported by the Stop (commands.ts); one that ran out says so here.
            if (!job.cancelled) this.notifyFinished(job, outcome);
            return outcome;
          } catch (e) {
            this.log.error(`${job.title}: ${(e as Error).stack ?? e}`);
            void vscode.window.showErrorMessage(`Weight Decay Lab: ${job.title}: ${(e as Error).message}`);
            throw e;
          } finally {
            clearInterval(report);
            this.remove(job);
          }
        },
      ),
    );
  }

  private async runJob(job: Job): Promise<JobOutcome> {
    const request = job.request;
    if (request.kind === 'resume') {
      for (const id of job.runIds) this.catalog.ownRuns.add(id);
      const results = await job.sweep.resumeAll(request.runDirs);
      await Promise.all(request.runDirs.map((d) => this.catalog.refreshRun(d)));
      return {
        runDirs: request.runDirs,
        runIds: job.runIds,
        statuses: request.runDirs.map(
          (d, i) => results[i]?.status ?? this.catalog.resolve(d)?.info.status ?? 'unknown',
        ),
        cancelled: job.cancelled,
      };
    }
    const result: SweepResult = await job.sweep.run(
      this.catalog.directory,
      request.trials,
      request.labels,
      request.specFile,
    );
    await Promise.all(result.runDirs.map((d) => this.catalog.refreshRun(d)));
    return {
      runDirs: result.runDirs,
      runIds: result.runDirs.map((d) => basename(d)),
      statuses: result.runDirs.map((d) => this.catalog.resolve(d)?.info.status ?? 'unknown'),
      cancelled: result.cancelled,
    };
  }

  private observer(job: () => Job): SweepObserver {
    return {
      trialStarted: (runner, position) => {
        const j = job();
        const runId = basename(runner.runDir);
        if (!j.runIds.includes(runId)) {
          // A sweep's run folders all exist once its first trial starts: own them all.
          const group = runId.replace(/-t\d+$/, '');
          j.runIds =
            j.request.kind === 'sweep' && position.count > 1
              ? Array.from({ length: position.count }, (_, i) => `${group}-t${i + 1}`)
              : [runId];
          for (const id of j.runIds) {
            this.catalog.ownRuns.add(id);
            const dir = join(dirname(runner.runDir), id);
            j.runDirs.set(id, dir);
            // Every trial of the sweep shows (queued) from the start, not when a watcher reports it.
            if (dir !== runner.runDir) void this.catalog.refreshRun(dir);
          }
        }
        j.trial = { runner, runId, ...position };
        j.progress = undefined;
        j.backend = undefined;
        const t0 = Date.now();
        const tag = `[${runId}]`;
        this.log.info(`${tag} trial ${position.index + 1}/${position.count} ${position.label}`.trim());
        void this.catalog.refreshRun(runner.runDir);
        runner.on('spawn', (pid) => this.log.info(`${tag} trainer pid ${pid ?? '(fork failed)'}`));
        runner.on('ready', (info) => {
          const b = info.backend;
          j.backend = b?.name;
          const skipped = b?.skipped.length
            ? ` (skipped ${b.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`
            : '';
          this.log.info(
            `${tag} backend ${b?.name} (${b?.tfjsBackend}) on ${b?.device}${skipped}; ${info.parameterCount} parameters`,
          );
          void this.catalog.refreshRun(runner.runDir);
        });
        runner.on('progress', (p) => {
          j.progress = p;
          this.catalog.noteProgress(runId, p);
          this.scheduleStatus();
        });
        runner.on('record', () => this.catalog.touch(runner.runDir, { metrics: true }));
        runner.on('checkpoint', (step) => this.log.debug(`${tag} checkpoint at step ${step}`));
        runner.on('log', (line, stream) =>
          stream === 'stderr' ? this.log.warn(`${tag} ${line}`) : this.log.info(`${tag} ${line}`),
        );
        runner.on('exit', (code, signal) =>
          this.log.info(
            `${tag} trainer exited with ${signal ? `signal ${signal}` : `code ${code}`} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
          ),
        );
        this.update();
      },
      trialEnded: (runDir, result: TrialResult) => {
        const j = job();
        const tag = `[${basename(runDir)}]`;
        const acc = result.final['test/accuracy'];
        const line = `${tag} ${result.status}${result.reason ? `: ${result.reason}` : ''}${acc === undefined ? '' : `; test accuracy ${(acc * 100).toFixed(2)}%`}`;
        if (result.status === 'failed') this.log.error(line);
        else this.log.info(line);
        j.trial = undefined;
        this.endTrial(j, {
          runId: basename(runDir),
          status: result.status,
          started: true,
          progress: result.progress,
          reason: result.reason,
        });
        void this.catalog.refreshRun(runDir);
        this.catalog.touch(runDir, { metrics: true });
        this.update();
      },
      trialSkipped: (runDir) => {
        this.endTrial(job(), { runId: basename(runDir), status: 'cancelled', started: false });
        void this.catalog.refreshRun(runDir);
      },
    };
  }

  /** "quickstart finished: 2 completed (acc 85.9%, 70.4%)" with Show Results (and Show Logs on failure). */
  private notifyFinished(job: Job, outcome: JobOutcome): void {
    const runs = outcome.runIds.map((id) => this.catalog.get(id));
    const text = describeFinished(
      job.request.kind === 'sweep' ? job.request.name : (runs[0]?.info.name ?? job.title),
      outcome.statuses,
      runs.map((r) => r?.final['test/accuracy']),
    );
    this.log.info(`notified: ${text}`);
    const failed = outcome.statuses.some((s) => s === 'failed');
    const actions = failed ? ['Show Results', 'Show Logs'] : ['Show Results'];
    const show = failed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`Weight Decay Lab: ${text}`, ...actions).then((choice) => {
      if (choice === 'Show Results') void vscode.commands.executeCommand('wdlab.showResults', outcome.runIds);
      if (choice === 'Show Logs') this.log.show(true);
    });
  }

  private remove(job: Job): void {
    const i = this.jobs.indexOf(job);
    if (i >= 0) this.jobs.splice(i, 1);
    for (const id of job.runIds) this.catalog.ownRuns.delete(id);
    this.update();
  }

  private describe(job: Job): string {
    if (job.cancelled) return 'stopping…';
    const t = job.trial;
    if (!t) return job.started ? 'starting…' : 'queued';
    const p = job.progress;
    // "trial 2 of 4 · 38% done · epoch 2/4": the same words as the Runs view's rows.
    const trial = t.count > 1 ? `trial ${t.index + 1} of ${t.count} · ` : '';
    if (!p) return `${trial}starting`;
    const epoch = `epoch ${Math.min(p.epochs, Math.floor(p.epoch) + 1)}/${p.epochs}`;
    return `${trial}${percentDone(p) ?? 0}% done · ${epoch}`;
  }

  private scheduleStatus(): void {
    this.statusTimer ??= setTimeout(() => {
      this.statusTimer = undefined;
      this.renderStatus();
      this.changed.fire();
    }, STATUS_THROTTLE_MS);
  }

  private update(): void {
    void vscode.commands.executeCommand('setContext', 'wdlab.running', this.running);
    this.renderStatus();
    this.changed.fire();
  }

  private renderStatus(): void {
    const job = this.jobs.find((j) => j.started) ?? this.jobs[0];
    if (!job) {
      this.statusItem.hide();
      return;
    }
    const queued = this.jobs.length - 1;
    this.statusItem.text = `$(sync~spin) ${this.describe(job)}${queued > 0 ? ` (+${queued} queued)` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['wdlab.showResults', 'wdlab.stopAll', 'wdlab.showLogs'] };
    md.appendMarkdown(`**Weight Decay Lab** — ${escapeMarkdown(job.title)}\n\n`);
    const t = job.trial;
    if (t) {
      md.appendMarkdown(
        `Trial ${t.index + 1} of ${t.count}${t.label ? `: \`${escapeMarkdown(t.label)}\`` : ''}\n\n`,
      );
      md.appendMarkdown(`Run \`${t.runId}\`${job.backend ? ` on ${escapeMarkdown(job.backend)}` : ''}\n\n`);
    }
    const p = job.progress;
    if (p) md.appendMarkdown(`Step ${p.step}/${p.totalSteps} · epoch ${p.epoch.toFixed(2)}/${p.epochs}\n\n`);
    if (queued > 0) md.appendMarkdown(`${queued} more job${queued === 1 ? '' : 's'} queued\n\n`);
    md.appendMarkdown(
      '[$(graph-line) Show Results](command:wdlab.showResults) · [$(debug-stop) Stop All](command:wdlab.stopAll) · [$(output) Logs](command:wdlab.showLogs)',
    );
    this.statusItem.tooltip = md;
    this.statusItem.show();
  }

  /**
   * Ends every trainer: a graceful stop, then a kill if it has not exited within `graceMs`. Called on
   * deactivate, so that no child process outlives the extension host.
   */
  async shutdown(graceMs = 1500): Promise<void> {
    if (this.jobs.length === 0) return;
    const idle = new Promise<void>((resolve) => {
      const sub = this.onDidChange(() => {
        if (this.jobs.length === 0) {
          sub.dispose();
          resolve();
        }
      });
    });
    for (const job of [...this.jobs]) {
      job.cancelled = true;
      job.sweep.stop();
    }
    const timeout = new Promise((r) => setTimeout(r, graceMs));
    await Promise.race([idle, timeout]);
    for (const job of [...this.jobs]) job.sweep.kill();
  }

  dispose(): void {
    for (const job of [...this.jobs]) {
      job.cancelled = true;
      job.sweep.kill();
    }
    clearTimeout(this.statusTimer);
    this.statusItem.dispose();
    this.changed.dispose();
  }
}

const escapeMarkdown = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
