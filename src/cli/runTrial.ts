// `wdlab run-trial RUN_DIR` (hidden): what one Slurm array task runs (runner/executors/slurm.ts writes the
// array script). It trains the trial of a prepared run folder with the same TrialRunner and trainer as a
// local run, so the folder ends up as a local run's: run.json, metrics.jsonl, checkpoint/, trainer.log.
//
// Requeue-safe: a run folder that already has a checkpoint (the task was preempted or requeued and
// restarted, or this is a Resume) continues from it, records after it moved aside as a local resume does;
// a completed run is left alone. SIGTERM (Stop: `scancel --batch --signal=TERM`; Slurm's time limit or
// scancel of the job: TERM to every process, KillWait seconds before KILL) stops the trainer at the next
// step boundary with a checkpoint. Which one it was is asked of squeue (slurm.ts whyTerminated): a Stop
// ends `cancelled`, a time limit `interrupted` with TIMEOUT, any other Slurm ending `interrupted`.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { readCheckpointState } from '../engine/checkpointFormat';
import type { SlurmRunRecord } from '../runner/executors/record';
import { whyTerminated } from '../runner/executors/slurm';
import {
  type RunInfo,
  readRunInfo,
  readRunSpec,
  runFiles,
  supersedeMetricsAfter,
  writeRunInfo,
} from '../runner/runStore';
import { TrialRunner } from '../runner/trialRunner';

/** Slurm's KillWait is 30 s by default: the trainer is given less, so that it is never KILLed mid-checkpoint. */
const STOP_GRACE_MS = 25_000;

const say = (line: string) => process.stdout.write(`wdlab run-trial: ${line}\n`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (up to 30 s, then kills it) for a trainer of this run that an earlier task left on this node. */
async function outlive(info: RunInfo, log: (line: string) => void): Promise<void> {
  const pid = info.trainerPid;
  if (!pid || pid === process.pid || info.executor?.node !== hostname() || !alive(pid)) return;
  if (!readFileSafe(`/proc/${pid}/cmdline`).includes('trainer')) return;
  log(`an earlier trainer of this run (pid ${pid}) is still running here: waiting for it to end`);
  const until = Date.now() + 30_000;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export async function runTrialCommand(dirArg: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const runDir = resolve(dirArg);
  let runner: TrialRunner | undefined;
  let terminated: Promise<{ state: string; reason: string } | undefined> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (terminated) return;
    say(`${signal}: stopping at the next step boundary`);
    terminated = signal === 'SIGTERM' ? whyTerminated(env) : Promise.resolve(undefined);
    runner?.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const info = readRunInfo(runDir);
  const task = env.SLURM_ARRAY_JOB_ID
    ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`
    : (env.SLURM_JOB_ID ?? 'no Slurm job');
  const restarts = Number(env.SLURM_RESTART_COUNT ?? 0);
  say(
    `${runDir} on ${hostname()}, task ${task}${restarts > 0 ? ` (restart ${restarts})` : ''}, ${info.status}`,
  );
  if (info.status === 'completed') {
    say('already completed; nothing to do');
    return 0;
  }
  // A trainer of an earlier task of this run may still be finishing on this node (its task's batch
  // process was killed: the orphan stops at a step boundary and checkpoints): wait for it, never two writers.
  await outlive(info, say);
  const spec = readRunSpec(runDir);
  const checkpoint = readCheckpointState(runFiles(runDir).checkpoint);
  // As a local resume: records after the checkpoint (from a task that died after it) are moved aside.
  supersedeMetricsAfter(runDir, checkpoint?.step ?? -1);
  const previous = info.executor?.kind === 'slurm' ? info.executor : undefined;
  const { state: _s, reason: _r, ...kept } = previous ?? ({} as Partial<SlurmRunRecord>);
  const executor: SlurmRunRecord = {
    ...kept,
    kind: 'slurm',
    arrayIndex: Number(env.SLURM_ARRAY_TASK_ID ?? previous?.arrayIndex ?? 0),
    script: previous?.script ?? '',
    options: previous?.options ?? {},
    node: hostname(),
  };
  // A script submitted by hand (`--dry-run`) has its job id only here.
  if (env.SLURM_ARRAY_JOB_ID) executor.jobId = env.SLURM_ARRAY_JOB_ID;
  writeRunInfo(runDir, { ...info, executor });
  if (checkpoint) say(`continuing from the checkpoint at step ${checkpoint.step}`);

  runner = new TrialRunner(runDir, { stopGraceMs: STOP_GRACE_MS });
  // A TERM that came before the trainer existed reaches it as soon as it does.
  runner.on('spawn', () => {
    if (terminated) runner?.stop();
  });
  const result = await runner.run(spec, checkpoint !== undefined);
  const why = terminated ? await terminated : undefined;
  if (why && result.status === 'cancelled') {
    const ended = readRunInfo(runDir);
    writeRunInfo(runDir, {
      ...ended,
      status: 'interrupted',
      executor: { ...(ended.executor ?? executor), state: why.state, reason: why.reason },
    });
    say(`interrupted: ${why.reason}`);
    return 0;
  }
  say(`${result.status}${result.reason ? `: ${result.reason.split('\n')[0]}` : ''}`);
  return result.status === 'failed' ? 1 : 0;
}
