// The training loop of one trial: data -> model -> loss -> gradients -> optimizer, with metric records
// (what and when: metrics/monitor.ts), checkpoints, cancellation at a step boundary and divergence
// detection.
// It knows nothing of processes or files other than its checkpoint folder: the trainer process
// (runner/trainerProcess.ts) connects it to the runner.

import { metricKey } from '../protocol/metrics';
import type { MetricRecord, TrainingProgress } from '../protocol/records';
import { isSecondOrder } from '../spec/optimizers';
import type { ExperimentSpec } from '../spec/types';
import { readCheckpoint, writeCheckpoint } from './checkpointFormat';
import { augmentBatch, epochPermutation, gatherBatch } from './data/batches';
import type { LoadedDataset } from './data/dataset';
import { Monitor } from './metrics/monitor';
import { buildModel } from './models/build';
import type { Model } from './models/model';
import { type NormTargets, rescaleToNorms } from './normTransfer';
import { createOptimizer, decayedParamNames } from './optimizers';
import {
  defaultInverseDelay,
  type KfacInverseOptions,
  type Optimizer,
  type Param,
} from './optimizers/optimizer';
import { DataParallel, gradientWorkerPath } from './parallel/dataParallel';
import { shardGradients } from './parallel/shardStep';
import { resolveThreads } from './parallel/threads';
import { read, readAndDispose } from './read';
import { learningRate, stepsPerEpoch } from './schedule';
import { tf } from './tf';

export interface TrainerEvents {
  record(record: MetricRecord): void;
  progress(progress: TrainingProgress): void;
  checkpoint(step: number): void;
  /** Polled after every step: true asks for a graceful stop (checkpoint, then `cancelled`). */
  stopRequested(): boolean;
  /** Called after every step with the live tensor count (leak tests). */
  afterStep?(step: number, liveTensors: number): void;
}

export interface TrainOutcome {
  status: 'completed' | 'cancelled' | 'failed';
  reason?: string;
  progress: TrainingProgress;
}

export interface TrainOptions {
  /** Folder for checkpoints; resume reads the latest one from it. */
  checkpointDir: string;
  resume: boolean;
  /** The paper's wn-conv (normTransfer.ts): kernel norms to rescale to at each epoch end. */
  normTargets?: NormTargets;
}

/** A model with its optimizer and named parameters: everything a step and a checkpoint touch. */
export interface TrainingState {
  model: Model;
  params: Param[];
  optimizer: Optimizer;
  /** Gradient worker threads when training.threads > 1 on a CPU backend (parallel/dataParallel.ts). */
  dataParallel?: DataParallel;
}

/** Ends the state's worker threads (K-FAC's eigendecompositions, data-parallel gradients). */
export function releaseTrainingState(state: TrainingState): void {
  state.optimizer.dispose();
  state.dataParallel?.dispose();
}

/** The data-parallel threads for this spec, or undefined for one thread (or no worker bundle to run). */
function startDataParallel(spec: ExperimentSpec, model: Model): DataParallel | undefined {
  const backend = tf.getBackend();
  const threads = resolveThreads(spec, backend);
  if (threads <= 1 || (backend !== 'wasm' && backend !== 'cpu')) return undefined;
  if (!DataParallel.available()) {
    process.stderr.write(
      `wdlab: training on 1 thread, not ${threads}: no gradient worker bundle at ${gradientWorkerPath()}\n`,
    );
    return undefined;
  }
  return new DataParallel(spec, model, threads, backend);
}

/**
 * `kfacInverses` replaces the spec's K-FAC inverse schedule (optimizer.inverseSchedule: synchronous, the
 * official one, is `{ delay: 0 }`; asynchronous swaps worker-thread rounds in T_inv steps late).
 */
export function createTrainingState(
  spec: ExperimentSpec,
  data: LoadedDataset,
  options: { kfacInverses?: KfacInverseOptions } = {},
): TrainingState {
  const model = buildModel(spec.model, data.inputShape, data.numClasses, spec.training.seed);
  const decayed = decayedParamNames(model.layers, spec.regularization.apply);
  const params: Param[] = model.layers.flatMap((layer) =>
    (['kernel', 'bias'] as const).map((part) => {
      const name = `${layer.name}/${part}`;
      return { name, variable: layer[part], decay: decayed.has(name) };
    }),
  );
  const dataParallel = startDataParallel(spec, model);
  const opt = spec.optimizer;
  const kfac = isSecondOrder(opt) ? opt : undefined;
  let optimizer: Optimizer;
  try {
    optimizer = createOptimizer(opt, {
      params,
      regularization: spec.regularization,
      layers: model.layers,
      seed: spec.training.seed,
      // K-FAC: eigendecompositions in a worker thread, swapped in T_inv steps after the snapshot (optimizer.ts).
      kfacInverses: kfac
        ? (options.kfacInverses ?? {
            delay:
              'inverseSchedule' in kfac && kfac.inverseSchedule === 'asynchronous'
                ? defaultInverseDelay(kfac.inverseEvery)
                : 0,
          })
        : undefined,
      // K-FAC: the factor statistics split over the data-parallel threads, as the gradients are.
      kfacStatistics: kfac ? dataParallel?.statistics : undefined,
    });
  } catch (e) {
    dataParallel?.dispose();
    throw e;
  }
  return { model, params, optimizer, dataParallel };
}

/**
 * One optimizer step on a batch. Returns [loss, correct predictions], read back together (asynchronously:
 * engine/read.ts). The BN moving averages are updated from the pre-update weights, as the official code's
 * update ops do.
 */
export async function trainStep(
  state: TrainingState,
  x: tf.Tensor,
  labels: tf.Tensor1D,
  numClasses: number,
  lr: number,
): Promise<[number, number]> {
  const stats = await trainStepOnDevice(state, x, labels, numClasses, lr);
  const [loss, correct] = await readAndDispose(stats);
  return [loss, correct];
}

/**
 * The same step, leaving [loss, correct predictions] on the device (the caller owns the tensor): the
 * training loop sums them there and reads them once per record, so a GPU backend is not made to wait for
 * every step's loss.
 */
export async function trainStepOnDevice(
  state: TrainingState,
  x: tf.Tensor,
  labels: tf.Tensor1D,
  numClasses: number,
  lr: number,
): Promise<tf.Tensor1D> {
  const { model, params, optimizer } = state;
  const variables = params.map((p) => p.variable);
  const shard = state.dataParallel
    ? await state.dataParallel.gradients(model, variables, x, labels, numClasses)
    : { ...shardGradients(model, variables, x, labels, numClasses, x.shape[0]), shard: x };
  const gradsByParam = new Map<string, tf.Tensor>();
  shard.grads.forEach((g, i) => {
    if (g) gradsByParam.set(params[i].name, g);
  });
  const stats = tf.tidy(() => tf.stack([shard.loss, shard.correct])) as tf.Tensor1D;
  try {
    // The BN moving averages fold this step's batch statistics, kept by the forward pass the gradient came
    // from (in a data-parallel step the training thread's shard, whose statistics are the whole batch's).
    model.updateBatchNormStats(shard.shard);
    // K-FAC: curvature on this batch at the pre-update weights (docs/science.md section 6).
    await optimizer.updateCurvature?.(model, x);
    await optimizer.step(gradsByParam, lr);
    return stats;
  } catch (e) {
    stats.dispose();
    throw e;
  } finally {
    tf.dispose([shard.loss, shard.correct, ...gradsByParam.values()]);
    if (shard.shard !== x) shard.shard.dispose();
  }
}

export { evaluate } from './evaluate';

async function checkpointTensors(
  state: TrainingState,
): Promise<{ name: string; shape: number[]; data: Float32Array }[]> {
  const entry = async (name: string, t: tf.Tensor) => ({
    name,
    shape: t.shape,
    data: (await read(t)) as Float32Array,
  });
  // getState() hands out copies of the optimizer's slots: read, then dispose them.
  const slots = state.optimizer.getState();
  try {
    return await Promise.all([
      ...state.params.map((p) => entry(`param:${p.name}`, p.variable)),
      ...[...state.model.stateVariables()].map(([n, v]) => entry(`state:${n}`, v)),
      ...[...slots].map(([n, t]) => entry(`optimizer:${n}`, t)),
    ]);
  } finally {
    tf.dispose([...slots.values()]);
  }
}

function restoreCheckpoint(state: TrainingState, dir: string): { step: number; elapsed: number } {
  const { state: ckpt, tensors } = readCheckpoint(dir);
  const file = `checkpoint/state-${ckpt.step}`;
  const take = (name: string, shape: number[]): tf.Tensor => {
    const data = tensors.get(name);
    if (!data)
      throw new Error(
        `${file} has no tensor "${name}": the run's spec.json no longer describes the network the checkpoint was saved from; restore spec.json, or run the spec again to start over`,
      );
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(
        `${file} holds "${name}" with ${data.length} values where the network has [${shape.join(', ')}] (${size}): the run's spec.json no longer matches its checkpoint; restore spec.json, or run the spec again to start over`,
      );
    return tf.tensor(data, shape);
  };
  for (const p of state.params) {
    const t = take(`param:${p.name}`, p.variable.shape);
    p.variable.assign(t);
    t.dispose();
  }
  for (const [n, v] of state.model.stateVariables()) {
    const t = take(`state:${n}`, v.shape);
    v.assign(t);
    t.dispose();
  }
  const slots = new Map<string, tf.Tensor>();
  for (const entry of ckpt.tensors) {
    if (entry.name.startsWith('optimizer:')) slots.set(entry.name.slice(10), take(entry.name, entry.shape));
  }
  state.optimizer.setState(slots, ckpt.optimizerIterations);
  tf.dispose([...slots.values()]);
  return { step: ckpt.step, elapsed: ckpt.elapsed };
}

/** Trains one trial to the end, a stop request, or a failure. Never throws for divergence. */
export async function train(
  spec: ExperimentSpec,
  data: LoadedDataset,
  state: TrainingState,
  events: TrainerEvents,
  options: TrainOptions,
): Promise<TrainOutcome> {
  const { training } = spec;
  const { optimizer, model } = state;
  const { inputShape, numClasses } = data;
  const [h, w, c] = inputShape;
  const n = data.train.n;
  const perEpoch = stepsPerEpoch(n, training.batchSize);
  const totalSteps = perEpoch * training.epochs;
  const baseLr = spec.optimizer.lr;
  const lrAt = (s: number) => learningRate(spec.schedule, baseLr, s, perEpoch, totalSteps);

  let step = 0;
  let elapsedBefore = 0;
  if (options.resume) ({ step, elapsed: elapsedBefore } = restoreCheckpoint(state, options.checkpointDir));
  const started = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
  const progress = (): TrainingProgress => ({
    step,
    totalSteps,
    epoch: step / perEpoch,
    epochs: training.epochs,
  });
  const base = (): MetricRecord => ({ step, epoch: step / perEpoch, time: elapsed() });
  const saveCheckpoint = async () => {
    writeCheckpoint(
      options.checkpointDir,
      { step, optimizerIterations: optimizer.iterations, elapsed: elapsed() },
      await checkpointTensors(state),
    );
    events.checkpoint(step);
  };
  const monitor = new Monitor(spec, data, model, optimizer, perEpoch);
  // Seconds of optimizer steps (batch assembly included) since the previous record: `time/train`.
  let trainSeconds = 0;
  /** Measures and emits the record after `step` steps; returns a failure reason if a value is not finite. */
  const emit = async (fields: Record<string, number>, lr: number): Promise<string | undefined> => {
    const measured = await monitor.measure(step, lr);
    const record: MetricRecord = {
      ...base(),
      ...fields,
      ...measured,
      [metricKey('time/train')]: trainSeconds,
    };
    trainSeconds = 0;
    // Weights can overflow before the loss does; a record holds numbers only (JSON has no NaN).
    const bad = Object.entries(record).find(([, v]) => !Number.isFinite(v));
    if (bad) return `diverged at step ${step} (${bad[0]} is ${bad[1]})`;
    events.record(record);
    return undefined;
  };

  if (step === 0) {
    // The initial state: chance-level test metrics, the weight norms and mechanism-2 norms at initialisation.
    const reason = await emit({}, lrAt(0));
    if (reason) return { status: 'failed', reason, progress: progress() };
  }

  const opt = spec.optimizer;
  const initBatches = isSecondOrder(opt) ? opt.initStatsBatches : 0;
  if (step === 0 && initBatches > 0 && optimizer.initializeCurvature) {
    // K-FAC's "roger init" (docs/science.md section 6): factors averaged over the first batches of epoch 0.
    const order = epochPermutation(n, training.seed, 0);
    const xs: tf.Tensor[] = [];
    for (let b = 0; b < Math.min(initBatches, perEpoch); b++) {
      const idx = order.subarray(b * training.batchSize, Math.min((b + 1) * training.batchSize, n));
      xs.push(tf.tensor(gatherBatch(data.train, idx, inputShape).x, [idx.length, ...inputShape]));
    }
    try {
      await optimizer.initializeCurvature(model, xs);
    } finally {
      tf.dispose(xs);
    }
  }

  // The training window since the last record: summed on the device, [sum of loss x batch size, correct
  // predictions, first step whose loss is not finite (Infinity: none)], read back only when a record,
  // a checkpoint or a stop needs it.
  const NO_BAD_STEP = Number.POSITIVE_INFINITY;
  const windowSums = tf.variable(tf.tensor1d([0, 0, NO_BAD_STEP]), false) as tf.Variable<tf.Rank.R1>;
  let windowExamples = 0;
  /** Reads and resets the window: its mean loss and accuracy, or why training diverged. */
  const takeWindow = async (): Promise<{ loss: number; accuracy: number } | { diverged: string }> => {
    const [lossSum, correct, bad] = await read(windowSums);
    const examples = windowExamples;
    windowExamples = 0;
    tf.tidy(() => windowSums.assign(tf.tensor1d([0, 0, NO_BAD_STEP])));
    // No record for it: JSON has no NaN/Infinity, and every metric in metrics.jsonl is a number.
    if (Number.isFinite(bad)) return { diverged: `diverged at step ${bad} (training loss not finite)` };
    return { loss: lossSum / Math.max(examples, 1), accuracy: correct / Math.max(examples, 1) };
  };
  const failed = (reason: string): TrainOutcome => {
    monitor.release();
    return { status: 'failed', reason, progress: progress() };
  };
  try {
    let permutation: { epoch: number; order: Uint32Array } | undefined;
    /** The host-side batch of optimizer step `s` (0-based): a pure function of (seed, epoch, batch index). */
    const batchAt = (s: number): { x: Float32Array; y: Int32Array; size: number } => {
      const epoch = Math.floor(s / perEpoch);
      const batchIndex = s % perEpoch;
      if (permutation?.epoch !== epoch)
        permutation = { epoch, order: epochPermutation(n, training.seed, epoch) };
      const indices = permutation.order.subarray(
        batchIndex * training.batchSize,
        Math.min((batchIndex + 1) * training.batchSize, n),
      );
      const batch = gatherBatch(data.train, indices, inputShape);
      const x =
        spec.data.augment && data.isImage
          ? augmentBatch(batch.x, indices.length, [h, w, c], training.seed, epoch, batchIndex, data.padValue)
          : batch.x;
      return { x, y: batch.y, size: indices.length };
    };
    // Prefetch: the next step's batch is assembled (gather + crop/flip) while the device runs this
    // step — trainStepOnDevice yields at its first await, with the step's kernels queued on a GPU backend.
    let next = step < totalSteps ? batchAt(step) : undefined;
    while (step < totalSteps) {
      // Before the step: the angular update of a record needs the kernels as they were.
      monitor.beforeStep(step);
      const stepStarted = performance.now();
      const batch = next ?? batchAt(step);
      const lr = lrAt(step);
      const x = tf.tensor(batch.x, [batch.size, ...inputShape]);
      const y = tf.tensor1d(batch.y, 'int32');
      // K-FAC: if this step swaps in eigenbases still being computed off-thread, wait for them here.
      if (optimizer.beforeStep) await optimizer.beforeStep();
      const running = trainStepOnDevice(state, x, y, numClasses, lr).finally(() => tf.dispose([x, y]));
      next = step + 1 < totalSteps ? batchAt(step + 1) : undefined;
      const stats = await running;
      step += 1;
      tf.tidy(() => {
        const loss = tf.slice(stats, 0, 1);
        const bad = tf.where(tf.isFinite(loss), tf.fill([1], NO_BAD_STEP), tf.fill([1], step));
        windowSums.assign(
          tf.concat([
            tf.add(tf.slice(windowSums, 0, 2), tf.mul(stats, tf.tensor1d([batch.size, 1]))),
            tf.minimum(tf.slice(windowSums, 2, 1), bad),
          ]) as tf.Tensor1D,
        );
      });
      stats.dispose();
      windowExamples += batch.size;
      trainSeconds += (performance.now() - stepStarted) / 1000;

      const epochEnd = step % perEpoch === 0;
      // wn-conv: after the epoch, each selected kernel takes the reference run's norm (the record shows it).
      const rescaled: Record<string, number> = {};
      const norms = epochEnd ? options.normTargets?.get(step / perEpoch) : undefined;
      if (norms) {
        for (const [layer, alpha] of await rescaleToNorms(model, norms))
          rescaled[metricKey('normTransfer', layer)] = alpha;
      }
      if (monitor.recordDue(step)) {
        const w = await takeWindow();
        if ('diverged' in w) return failed(w.diverged);
        const reason = await emit(
          { [metricKey('train/loss')]: w.loss, [metricKey('train/accuracy')]: w.accuracy, ...rescaled },
          lr,
        );
        if (reason) return failed(reason);
        events.progress(progress());
      }
      const epochsDone = step / perEpoch;
      if (epochEnd && (epochsDone % training.checkpointEveryEpochs === 0 || step === totalSteps))
        await saveCheckpoint();
      events.afterStep?.(step, tf.memory().numTensors);

      // Let the process handle messages (a stop request) between steps: tfjs work here is synchronous.
      await new Promise((resolve) => setImmediate(resolve));
      if (step < totalSteps && events.stopRequested()) {
        // Never checkpoint weights that have already diverged (the window since the last record).
        const w = await takeWindow();
        if ('diverged' in w) return failed(w.diverged);
        await saveCheckpoint();
        return { status: 'cancelled', progress: progress() };
      }
    }
    return { status: 'completed', progress: progress() };
  } finally {
    windowSums.dispose();
  }
}
