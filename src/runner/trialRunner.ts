// Runs one trial in a trainer child process and keeps its run directory true to what happened
// (docs/architecture.md, data flow steps 2-4). The trainer appends each record to metrics.jsonl itself, whole,
// before reporting it (one writer for records and checkpoints, consistent even if this process dies);
// this side owns run.json: status, backend, progress, and how the trial ended.
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricRecord, TrainingProgress } from '../protocol/records';
import type { RunStatus } from '../protocol/runs';
import { DATASET_CLASSES } from '../spec/catalog';
import type { ExperimentSpec } from '../spec/types';
import { isEngineNoise } from './failures';
import { type FromTrainer, isFromTrainer, type ToTrainer } from './protocol';
import { type RunInfo, readMetrics, readRunInfo, runFiles, writeRunInfo } from './runStore';
import { runWarnings } from './warnings';

export interface TrialRunnerOptions {
  /** The trainer bundle to fork; defaults to `trainer.js` beside the running bundle. */
  trainerPath?: string;
  /** How long a stop request may take before the trainer is killed. */
  stopGraceMs?: number;
  /** How many trailing lines of the trainer's stderr a failure keeps. */
  stderrLines?: number;
  /** Variables added to the trainer's environment (the extension passes WDLAB_DATA this way). */
  env?: Record<string, string>;
}

/** The shortest time a stopped trainer is given to reach a step boundary before it is killed. */
export const MIN_STOP_GRACE_MS = 5000;

export interface TrialResult {
  status: Exclude<RunStatus, 'queued' | 'running' | 'interrupted' | 'damaged'>;
  reason?: string;
  progress?: TrainingProgress;
  final: Record<string, number>;
  /** Said of a completed run (runner/warnings.ts); also in run.json. */
  warnings?: string[];
}

export interface TrialRunnerEvents {
  ready: [info: RunInfo];
  record: [record: MetricRecord];
  progress: [progress: TrainingProgress];
  checkpoint: [step: number];
  /** A line the trainer printed, and on which stream. */
  log: [line: string, stream: 'stdout' | 'stderr'];
  /** The trainer process was started (its pid; undefined if the fork failed). */
  spawn: [pid: number | undefined];
  /** The trainer process ended. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

export const defaultTrainerPath = (): string => join(__dirname, 'trainer.js');

/** The runner side of one trial: fork, forward, record, stop, and report how it ended. */
export class TrialRunner extends EventEmitter<TrialRunnerEvents> {
  private child?: ChildProcess;
  private killTimer?: NodeJS.Timeout;
  private stopping = false;
  private readonly stderrTail: string[] = [];

  constructor(
    readonly runDir: string,
    private readonly options: TrialRunnerOptions = {},
  ) {
    super();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Asks the trainer to stop at the next step boundary; kills it if it has not exited after the grace period. */
  stop(): void {
    if (!this.child || this.stopping) return;
    this.stopping = true;
    this.sendToTrainer({ type: 'stop' });
    // The trainer stops at its next step boundary. How long that may take is judged from the longest gap
    // between its progress reports so far: a trainer that never finished a step (still loading, or a
    // step too big for the machine) is killed after MIN_STOP_GRACE_MS and resumes from its last checkpoint.
    const grace = Math.min(
      this.options.stopGraceMs ?? 60_000,
      Math.max(MIN_STOP_GRACE_MS, 2 * this.longestGapMs + 1000),
    );
    this.killTimer = setTimeout(() => this.kill(), grace);
  }

  /** The longest time between two progress reports (or from the start to the first), in ms. */
  private longestGapMs = 0;
  private lastReportAt = 0;

  /** Ends the trainer at once. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  private sendToTrainer(message: ToTrainer): void {
    if (this.child?.connected) this.child.send(message);
  }

  /** run.json as last known, while a write of it has failed (a full disk): later updates build on it. */
  private unwritten?: RunInfo;

  private update(patch: Partial<RunInfo>): RunInfo {
    const info = { ...(this.unwritten ?? readRunInfo(this.runDir)), ...patch };
    try {
      writeRunInfo(this.runDir, info);
      this.unwritten = undefined;
    } catch (e) {
      // The trial goes on, or ends, with its status kept here; the next update tries again.
      if (!this.unwritten) this.emit('log', `cannot write run.json: ${(e as Error).message}`, 'stderr');
      this.unwritten = info;
    }
    return info;
  }

  async run(spec: ExperimentSpec, resume: boolean): Promise<TrialResult> {
    const files = runFiles(this.runDir);
    const log = openSync(files.log, 'a');
    const previous = readRunInfo(this.runDir);
    this.update({
      status: 'running',
      startedAt: previous.startedAt ?? new Date().toISOString(),
      endedAt: undefined,
      error: undefined,
      ownerPid: process.pid,
      resumes: resume ? (previous.resumes ?? 0) + 1 : previous.resumes,
    });
    const child = fork(this.options.trainerPath ?? defaultTrainerPath(), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // The trainer must not inherit a debugger or loader flags meant for the parent.
      execArgv: [],
      env: { ...process.env, ...this.options.env },
    });
    this.child = child;
    this.update({ trainerPid: child.pid });
    this.emit('spawn', child.pid);
    this.sendToTrainer({ type: 'start', spec, runDir: this.runDir, resume });
    if (this.stopping) this.sendToTrainer({ type: 'stop' });

    let logFull = false;
    const onOutput = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      try {
        if (!logFull) writeSync(log, chunk);
      } catch {
        // trainer.log on a full disk: the output still reaches the log channel and the failure reason.
        logFull = true;
      }
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.emit('log', line, stream);
        if (stream === 'stderr' && !isEngineNoise(line)) {
          this.stderrTail.push(line);
          if (this.stderrTail.length > (this.options.stderrLines ?? 20)) this.stderrTail.shift();
        }
      }
    };
    child.stdout?.on('data', onOutput('stdout'));
    child.stderr?.on('data', onOutput('stderr'));

    let done: Extract<FromTrainer, { type: 'done' }> | undefined;
    let progress: TrainingProgress | undefined;
    let lastProgressWrite = 0;
    const final: Record<string, number> = {};
    // The first record this trainer sent (a resumed run's comes from its metrics.jsonl).
    let first: MetricRecord | undefined = resume ? readMetrics(this.runDir)[0] : undefined;
    child.on('message', (message: unknown) => {
      if (!isFromTrainer(message)) return;
      switch (message.type) {
        case 'ready':
          this.lastReportAt = Date.now();
          this.emit(
            'ready',
            this.update({
              backend: message.backend,
              parameterCount: message.parameterCount,
              ...(message.layers ? { layers: message.layers } : {}),
              ...(message.kfacInverses ? { kfacInverses: message.kfacInverses } : {}),
            }),
          );
          break;
        case 'metrics':
          first ??= message.record;
          Object.assign(final, message.record);
          this.emit('record', message.record);
          break;
        case 'progress':
          progress = message.progress;
          if (this.lastReportAt > 0)
            this.longestGapMs = Math.max(this.longestGapMs, Date.now() - this.lastReportAt);
          this.lastReportAt = Date.now();
          // run.json carries live progress for watchers (throttled: it is rewritten whole).
          if (Date.now() - lastProgressWrite > 1000) {
            this.update({ progress });
            lastProgressWrite = Date.now();
          }
          this.emit('progress', message.progress);
          break;
        case 'checkpoint':
          this.emit('checkpoint', message.step);
          break;
        case 'done':
          done = message;
          break;
      }
    });

    started.add(this);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (e) => {
        this.stderrTail.push(String(e));
        resolve({ code: null, signal: null });
      });
    });
    started.delete(this);
    clearTimeout(this.killTimer);
    this.emit('exit', exit.code, exit.signal);
    // Let the output streams drain into trainer.log before closing it.
    await Promise.all(
      [child.stdout, child.stderr].map((s) =>
        s && !s.closed ? new Promise((r) => s.once('close', r)) : null,
      ),
    );
    closeSync(log);

    const result = this.outcome(done, exit);
    const warnings =
      result.status === 'completed' ? runWarnings(first, final, DATASET_CLASSES[spec.data.dataset]) : [];
    this.update({
      status: result.status,
      warnings: warnings.length > 0 ? warnings : undefined,
      endedAt: new Date().toISOString(),
      progress: done?.progress ?? progress,
      error:
        result.status === 'failed'
          ? { message: result.reason ?? 'failed', stack: done?.stack, stderr: [...this.stderrTail] }
          : undefined,
    });
    return { ...result, progress: done?.progress ?? progress, final, warnings };
  }

  private outcome(
    done: Extract<FromTrainer, { type: 'done' }> | undefined,
    exit: { code: number | null; signal: NodeJS.Signals | null },
  ): Pick<TrialResult, 'status' | 'reason'> {
    if (done) return { status: done.status, reason: done.reason };
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    if (this.stopping && exit.signal === 'SIGKILL') {
      return { status: 'cancelled', reason: 'did not stop in time and was killed' };
    }
    const tail = this.stderrTail.slice(-5).join('\n');
    return { status: 'failed', reason: `trainer process ${how} before finishing${tail ? `:\n${tail}` : ''}` };
  }
}

/** Every trainer this process has started and not yet seen exit: killed if the parent exits. */
const started = new Set<TrialRunner>();
process.on('exit', () => {
  for (const r of started) r.kill();
});
