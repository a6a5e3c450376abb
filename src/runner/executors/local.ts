// The local executor: every trial of a sweep in a trainer child process of this process, one after
// another (runner/sweep.ts SweepRun, unchanged). Here so that both executors are chosen in one place
// (executors/index.ts); a local run records no `executor` in run.json.
import type { Trial } from '../../spec/types';
import { type SweepObserver, type SweepResult, SweepRun } from '../sweep';
import type { TrialResult, TrialRunnerOptions } from '../trialRunner';

export class LocalExecutor {
  readonly kind = 'local' as const;
  readonly sweep: SweepRun;

  constructor(runnerOptions: TrialRunnerOptions = {}, observer: SweepObserver = {}) {
    this.sweep = new SweepRun(runnerOptions, observer);
  }

  /** Trains every trial; resolves when the last has ended. */
  run(runsDir: string, trials: Trial[], labels: string[], specFile?: string): Promise<SweepResult> {
    return this.sweep.run(runsDir, trials, labels, specFile);
  }

  /** Continues a cancelled, interrupted or failed run from its checkpoint, here. */
  resume(runDir: string): Promise<TrialResult> {
    return this.sweep.resume(runDir);
  }

  /** Graceful stop of the current trial (checkpoint, `cancelled`); the queued ones are cancelled. */
  stop(): void {
    this.sweep.stop();
  }

  kill(): void {
    this.sweep.kill();
  }
}
