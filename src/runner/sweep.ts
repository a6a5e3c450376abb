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
}

export interface SweepResult {
  group: string;
  runDirs: string[];
  results: (TrialResult | undefined)[];
  cancelled: boolean;
}

/** A sweep in progress; `stop()` ends the current trial gracefully and cancels the queued ones. */
export class SweepRun {
  private current?: TrialRunner;
  private stopped = false;

  constructor(
    private readonly runnerOptions: TrialRunnerOptions = {},
    private readonly observer: SweepObserver = {},
  ) {}

  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  kill(): void {
    this.stopped = true;
    this.current?.kill();
  }

  async run(runsDir: string, trials: Trial[], labels: string[], specFile?: string): Promise<SweepResult> {
    const { group, runDirs } = createSweepRuns(runsDir, trials, labels, specFile);
    const results: (TrialResult | undefined)[] = [];
    for (const [i, trial] of trials.entries()) {
      const runDir = runDirs[i];
      const position = { index: i, count: trials.length, label: labels[i] };
      if (this.stopped) {
        writeRunInfo(runDir, {
          ...readRunInfo(runDir),
          status: 'cancelled',
          endedAt: new Date().toISOString(),
        });
        results.push(undefined);
        continue;
      }
      this.current = new TrialRunner(runDir, this.runnerOptions);
      this.observer.trialStarted?.(this.current, position);
      const result = await this.current.run(trial.spec, false);
      this.current = undefined;
      results.push(result);
      this.observer.trialEnded?.(runDir, result, position);
    }
    return { group, runDirs, results, cancelled: this.stopped };
  }

  /**
   * Continues a cancelled or interrupted run from its latest checkpoint (from the start if it never
   * wrote one). Records logged after that checkpoint are moved aside (runStore.supersedeMetricsAfter).
   */
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
