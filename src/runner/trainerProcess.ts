// Entry point of the trainer child process (`child_process.fork`). It receives one `start` message,
// trains, streams records to the parent over IPC, and exits. The parent never imports tfjs; this
// process is the only one that does.
//
// Stopping: a `stop` message, SIGINT/SIGTERM (Ctrl+C in a terminal reaches the whole process group) or
// the parent going away all request a graceful stop at the next step boundary (checkpoint, `cancelled`).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { initBackend, withThreads } from '../engine/backend';
import { readCheckpointState } from '../engine/checkpointFormat';
import { loadDataset } from '../engine/data/registry';
import { layerFacts } from '../engine/metrics/monitor';
import { normTargetsFrom } from '../engine/normTransfer';
import { stepsPerEpoch } from '../engine/schedule';
import { createTrainingState, releaseTrainingState, train } from '../engine/trainer';
import { explainFailure } from './failures';
import type { DoneMessage, FromTrainer, StartMessage, ToTrainer } from './protocol';
import { appendMetric, readMetrics, readRunInfo, runFiles } from './runStore';

let stopRequested = false;

function send(message: FromTrainer): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/** The folder of the spec file a run came from, when run.json records it. */
function specFolder(runDir: string): string | undefined {
  try {
    const file = readRunInfo(runDir).specFile;
    return file ? dirname(file) : undefined;
  } catch {
    return undefined;
  }
}

async function run(start: StartMessage): Promise<DoneMessage> {
  const { spec } = start;
  const initialised = await initBackend(spec.training.backend);
  // Relative paths in the spec (data.path, normTransfer.referenceRun) mean the spec file's folder (run.json
  // keeps the spec file's absolute path).
  const baseDir = specFolder(start.runDir);
  const data = await loadDataset(spec.data, { baseDir });
  const state = createTrainingState(spec, data);
  // run.json, the log and the UI name the device; a data-parallel run says how many threads share a step.
  const backend = withThreads(initialised, state.dataParallel?.size ?? 1);
  const inverses = state.optimizer.describeInverses?.();
  if (inverses) process.stdout.write(`wdlab: ${state.optimizer.type} curvature inverses: ${inverses}\n`);
  if (state.dataParallel) {
    process.stdout.write(
      `wdlab: gradient threads: ${state.dataParallel.size} (the batch split between them, BN statistics over the whole batch)\n`,
    );
  }
  const checkpointDir = join(start.runDir, 'checkpoint');
  const transfer = spec.regularization.normTransfer;
  let normTargets: ReturnType<typeof normTargetsFrom> | undefined;
  if (transfer) {
    // wn-conv: the reference run's kernel norms at its epoch ends.
    const reference = resolve(baseDir ?? process.cwd(), transfer.referenceRun);
    if (!existsSync(runFiles(reference).metrics)) {
      throw new Error(
        `norm transfer: regularization.normTransfer.referenceRun "${transfer.referenceRun}" is not a run folder (no ${runFiles(reference).metrics})`,
      );
    }
    const records = readMetrics(reference);
    normTargets = normTargetsFrom(
      records,
      state.model.layers,
      transfer.apply,
      spec.training.epochs,
      reference,
    );
  }
  const perEpoch = stepsPerEpoch(data.train.n, spec.training.batchSize);
  await send({
    type: 'ready',
    backend,
    parameterCount: state.model.parameterCount(),
    startStep: start.resume ? (readCheckpointState(checkpointDir)?.step ?? 0) : 0,
    totalSteps: perEpoch * spec.training.epochs,
    layers: layerFacts(state.model.layers, spec.regularization),
    ...(inverses ? { kfacInverses: inverses } : {}),
  });
  const outcome = await train(
    spec,
    data,
    state,
    {
      // This process is the single writer of metrics.jsonl and of the checkpoint, so the two agree
      // even when the parent dies; each record is appended whole before the parent hears of it.
      record: (record) => {
        appendMetric(start.runDir, record);
        void send({ type: 'metrics', record });
      },
      progress: (progress) => void send({ type: 'progress', progress }),
      checkpoint: (step) => void send({ type: 'checkpoint', step }),
      stopRequested: () => stopRequested,
    },
    { checkpointDir, resume: start.resume, normTargets },
  );
  // Ends K-FAC's eigendecomposition and the data-parallel worker threads, if any.
  releaseTrainingState(state);
  return { type: 'done', ...outcome };
}

const requestStop = () => {
  stopRequested = true;
};
process.on('SIGINT', requestStop);
process.on('SIGTERM', requestStop);
process.on('disconnect', requestStop);

process.on('message', (message: ToTrainer) => {
  if (message.type === 'stop') {
    requestStop();
    return;
  }
  if (message.type !== 'start') return;
  run(message)
    .catch(
      (e: unknown): DoneMessage => ({
        type: 'done',
        status: 'failed',
        reason: explainFailure(e instanceof Error ? e.message : String(e)),
        stack: e instanceof Error ? e.stack : undefined,
        progress: { step: 0, totalSteps: 0, epoch: 0, epochs: message.spec.training.epochs },
      }),
    )
    .then(async (done) => {
      await send(done);
      process.exit(done.status === 'failed' ? 1 : 0);
    });
});
