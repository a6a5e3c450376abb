// What run.json records about the executor that runs a trial (docs/cluster.md). A run without `executor` ran in
// a local trainer child process (SweepRun); a Slurm run records its array job and task, so that `wdlab
// list`, the Runs view, Stop and Resume can ask Slurm about it. No imports: runStore.ts reads this type.

/** Where a run's trainer runs. */
export type ExecutorKind = 'local' | 'slurm';

export const EXECUTOR_KINDS: readonly ExecutorKind[] = ['local', 'slurm'];

/** The sbatch options of a Slurm sweep (CLI flags, or the extension's `wdlab.slurm.*` settings). */
export interface SlurmOptions {
  /** --partition */
  partition?: string;
  /** --time, e.g. 01:30:00 (Slurm's formats: MM, MM:SS, HH:MM:SS, D-HH). */
  time?: string;
  /** --gres, e.g. gpu:1 */
  gres?: string;
  /** --cpus-per-task (default 1) */
  cpusPerTask?: number;
  /** --mem, e.g. 4G */
  mem?: string;
  /** At most this many array tasks at once: `--array=0-N%K`. */
  maxConcurrent?: number;
  /** More sbatch arguments, passed as given (e.g. --account=foo, --qos=high, --requeue). */
  sbatchArgs?: string[];
  /**
   * How a compute node starts `wdlab` (the first word is looked up on the node's PATH): e.g. ["wdlab"], or
   * [node, .../dist/cli.js]. Default: the submitting process's node and cli.js (a shared install).
   */
  wdlabCommand?: string[];
}

/** A run that Slurm runs: one task of a job array. */
export interface SlurmRunRecord {
  kind: 'slurm';
  /** The array job's id (SLURM_ARRAY_JOB_ID); absent until submitted (a `--dry-run` script). */
  jobId?: string;
  /** This trial's task in the array (SLURM_ARRAY_TASK_ID). */
  arrayIndex: number;
  /** The array script (kept in `<runs dir>/.slurm/`). */
  script: string;
  /** The options it was submitted with: Resume submits again with the same. */
  options: SlurmOptions;
  /** Earlier arrays of this trial (`<job>_<index>`), oldest first: a resumed run is submitted anew. */
  previousTasks?: string[];
  /** The node the trainer last ran on. */
  node?: string;
  /**
   * Slurm's last word on the task: PENDING, RUNNING, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED... Live
   * states are filled in by readers (never written); an ended task's is written with its run's status.
   */
  state?: string;
  /** Why: Slurm's reason (Resources, Priority, TimeLimit...) or what ended the run, in words. */
  reason?: string;
}

export type ExecutorRecord = SlurmRunRecord;
