// Runs the trials of a sweep one after another (each in its own trainer process), and resumes a run
// from its checkpoint. Shared by the CLI and, later, the extension host.
import { readCheckpointState } from '../engine/checkpointFormat';
import type { Trial } from '../spec/types';
import {
  createSweepRuns,
  readRunInfo,
  readRunSpec,
  reconcileStatus,
  runFiles,
  supersedeMetricsAfter,
  writeRunInfo,
} from './runStore';
import { type TrialResult, TrialRunner, type TrialRunnerOptions } from './trialRunner';

export interface SweepObserver {
  /** A trial's runner was created; subscribe to its events here. */
  trialStarted?(runner: TrialRunner, position: { index: number; count: number; label: string }): void;
  trialEnded?(
    runDir: string,
    result: TrialResult,
    position: { index: number; count: number; label: string },
  ): void;
  /** A queued trial was cancelled before it started (the sweep, or that trial, was stopped). */
  trialSkipped?(runDir: string, position: { index: number; count: number; label: string }): void;
}

export interface SweepResult {
  group: string;
  runDirs: string[];
  results: (TrialResult | undefined)[];
  cancelled: boolean;
}

/**
 * A sweep in progress. `stop()` ends the current trial gracefully and cancels the queued ones;
 * `stopTrial(runDir)` ends or skips that one trial only, and the sweep goes on with the next.
 */
export class SweepRun {
  private current?: TrialRunner;
  private stopped = false;
  /** Trials that have ended (trained, or cancelled before they started). */
  private readonly ended = new Set<string>();
  /** This sweep's run folders, once created. */
  private runDirs: readonly string[] = [];
  /** run() (not a resume) is under way. */
  private sweeping = false;

  constructor(
    private readonly runnerOptions: TrialRunnerOptions = {},
    private readonly observer: SweepObserver = {},
  ) {}

  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  /**
   * Stops one trial: the one training now gracefully (checkpoint, `cancelled`), a queued one before it
   * starts (`cancelled`, resumable from the start). Returns false when the run is not one of this sweep's
   * or has already ended.
   */
  stopTrial(runDir: string): boolean {
    if (this.current?.runDir === runDir) {
      this.current.stop();
      return true;
    }
    if (!this.runDirs.includes(runDir) || this.ended.has(runDir)) return false;
    // A queued trial of a sweep reads as cancelled at once, not when the sweep reaches it (a resume's
    // queued runs are already cancelled or interrupted, and stay as they are).
    this.cancelBeforeStart(runDir);
    return true;
  }

  /**
   * A queued trial that will not start: a sweep's is written `cancelled` (resumable from the start); a
   * resume's is already cancelled or interrupted and stays as it is.
   */
  private cancelBeforeStart(runDir: string): void {
    const info = readRunInfo(runDir);
    if (this.sweeping)
      writeRunInfo(runDir, { ...info, status: 'cancelled', endedAt: new Date().toISOString() });
    this.ended.add(runDir);
    this.observer.trialSkipped?.(runDir, {
      index: this.runDirs.indexOf(runDir),
      count: this.runDirs.length,
      label: info.trial.label,
    });
  }

  kill(): void {
    this.stopped = true;
    this.current?.kill();
  }

  async run(runsDir: string, trials: Trial[], labels: string[], specFile?: string): Promise<SweepResult> {
    const { group, runDirs } = createSweepRuns(runsDir, trials, labels, specFile);
    this.runDirs = runDirs;
    this.sweeping = true;
    const results: (TrialResult | undefined)[] = [];
    for (const [i, trial] of trials.entries()) {
      const runDir = runDirs[i];
      const position = { index: i, count: trials.length, label: labels[i] };
      if (this.stopped && !this.ended.has(runDir)) this.cancelBeforeStart(runDir);
      if (this.ended.has(runDir)) {
        results.push(undefined);
        continue;
      }
      this.current = new TrialRunner(runDir, this.runnerOptions);
      this.observer.trialStarted?.(this.current, position);
      const result = await this.current.run(trial.spec, false);
      this.current = undefined;
      this.ended.add(runDir);
      results.push(result);
      this.observer.trialEnded?.(runDir, result, position);
    }
    this.sweeping = false;
    return { group, runDirs, results, cancelled: this.stopped };
  }

  /**
   * Continues a cancelled or interrupted run from its latest checkpoint (from the start if it never
   * wrote one). Records logged after that checkpoint are moved aside (runStore.supersedeMetricsAfter).
   */
  /**
   * Resumes several runs one after another (a sweep's stopped trials). `stop()` ends the current one and
   * leaves the rest as they were; `stopTrial` ends or skips one. Undefined for a run not resumed.
   */
  async resumeAll(runDirs: readonly string[]): Promise<(TrialResult | undefined)[]> {
    this.runDirs = runDirs;
    const results: (TrialResult | undefined)[] = [];
    for (const runDir of runDirs) {
      if (this.stopped && !this.ended.has(runDir)) this.cancelBeforeStart(runDir);
      if (this.ended.has(runDir)) {
        results.push(undefined);
        continue;
      }
      results.push(await this.resume(runDir));
      this.ended.add(runDir);
    }
    return results;
  }

  async resume(runDir: string): Promise<TrialResult> {
    const info = reconcileStatus(runDir, readRunInfo(runDir));
    if (info.status === 'completed') throw new Error(`${runDir} already completed; nothing to resume`);
    if (info.status === 'running') throw new Error(`${runDir} is running (owner pid ${info.ownerPid})`);
    const spec = readRunSpec(runDir);
    const checkpoint = readCheckpointState(runFiles(runDir).checkpoint);
    supersedeMetricsAfter(runDir, checkpoint?.step ?? -1);
    const position = { index: info.trial.index, count: info.trial.count, label: info.trial.label };
    this.current = new TrialRunner(runDir, this.runnerOptions);
    this.observer.trialStarted?.(this.current, position);
    if (this.stopped) this.current.stop();
    const result = await this.current.run(spec, checkpoint !== undefined);
    this.current = undefined;
    this.observer.trialEnded?.(runDir, result, position);
    return result;
  }
}
