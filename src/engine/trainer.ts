// The training loop of one trial: data -> model -> loss -> gradients -> optimizer, with metric records
// (what and when: metrics/monitor.ts), checkpoints, cancellation at a step boundary and divergence
// detection.
// It knows nothing of processes or files other than its checkpoint folder: the trainer process
// (runner/trainerProcess.ts) connects it to the runner.

import { metricKey } from '../protocol/metrics';
import type { MetricRecord, TrainingProgress } from '../protocol/records';
import { isSecondOrder } from '../spec/optimizers';
import type { ExperimentSpec } from '../spec/types';
import { BatchSource, type HostBatch } from './batchSource';
import { readCheckpoint, writeCheckpoint } from './checkpointFormat';
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
import { TrainingWindow } from './trainingWindow';

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
  if (threads <= 1) return undefined;
  if (!DataParallel.available()) {
    process.stderr.write(
      `wdlab: training on 1 thread, not ${threads}: no gradient worker bundle at ${gradientWorkerPath()}\n`,
    );
    return undefined;
  }
  // resolveThreads gives more than one thread only where the backend's descriptor allows gradient threads.
  return new DataParallel(spec, model, threads, backend as 'wasm' | 'cpu');
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
/**
 * Trains one trial from its start (or its checkpoint) to its last step, a stop request or a failure. Each
 * step of the loop, in order: the kernels kept for the angular update, the step on the device while the
 * next batch is assembled, the loss window summed on the device, then at an epoch end the norm transfer,
 * at a record the measurements, at a checkpoint epoch the checkpoint, and between steps a stop request.
 */
export async function train(
  spec: ExperimentSpec,
  data: LoadedDataset,
  state: TrainingState,
  events: TrainerEvents,
  options: TrainOptions,
): Promise<TrainOutcome> {
  const run = new TrainingRun(spec, data, state, events, options);
  try {
    return await run.execute();
  } finally {
    run.dispose();
  }
}

/** One call of train(): its clock, schedule, loss window and record/checkpoint/stop decisions. */
class TrainingRun {
  private readonly perEpoch: number;
  private readonly totalSteps: number;
  private readonly monitor: Monitor;
  private readonly batches: BatchSource;
  private readonly window = new TrainingWindow();
  private step = 0;
  private elapsedBefore = 0;
  private readonly started = performance.now();
  /** Seconds of optimizer steps (batch assembly included) since the previous record: `time/train`. */
  private trainSeconds = 0;

  constructor(
    private readonly spec: ExperimentSpec,
    private readonly data: LoadedDataset,
    private readonly state: TrainingState,
    private readonly events: TrainerEvents,
    private readonly options: TrainOptions,
  ) {
    this.perEpoch = stepsPerEpoch(data.train.n, spec.training.batchSize);
    this.totalSteps = this.perEpoch * spec.training.epochs;
    this.monitor = new Monitor(spec, data, state.model, state.optimizer, this.perEpoch);
    this.batches = new BatchSource(spec, data, this.perEpoch);
  }

  async execute(): Promise<TrainOutcome> {
    if (this.options.resume) this.restore();
    if (this.step === 0) {
      // The initial state: chance-level test metrics, the weight norms and mechanism-2 norms at initialisation.
      const reason = await this.emit({}, this.lrAt(0));
      if (reason) return this.failed(reason);
      await this.initializeCurvature();
    }
    // Prefetch: the next step's batch is assembled (gather + crop/flip) while the device runs this
    // step — trainStepOnDevice yields at its first await, with the step's kernels queued on a GPU backend.
    let next = this.step < this.totalSteps ? this.batches.at(this.step) : undefined;
    while (this.step < this.totalSteps) {
      const batch = next ?? this.batches.at(this.step);
      const lr = this.lrAt(this.step);
      next = await this.optimizerStep(batch, lr, () =>
        this.step + 1 < this.totalSteps ? this.batches.at(this.step + 1) : undefined,
      );
      const failure = await this.afterStep(lr);
      if (failure) return failure;
      if (this.step < this.totalSteps && this.events.stopRequested()) return this.stop();
    }
    return { status: 'completed', progress: this.progress() };
  }

  dispose(): void {
    this.window.dispose();
  }

  private lrAt(step: number): number {
    return learningRate(this.spec.schedule, this.spec.optimizer.lr, step, this.perEpoch, this.totalSteps);
  }

  private elapsed(): number {
    return this.elapsedBefore + (performance.now() - this.started) / 1000;
  }

  private progress(): TrainingProgress {
    const { step, perEpoch, totalSteps } = this;
    return { step, totalSteps, epoch: step / perEpoch, epochs: this.spec.training.epochs };
  }

  /** Continues from the checkpoint: weights, BN statistics, optimizer state, step and elapsed time. */
  private restore(): void {
    ({ step: this.step, elapsed: this.elapsedBefore } = restoreCheckpoint(
      this.state,
      this.options.checkpointDir,
    ));
  }

  /** K-FAC's "roger init" (docs/science.md section 6): factors averaged over the first batches of epoch 0. */
  private async initializeCurvature(): Promise<void> {
    const opt = this.spec.optimizer;
    const count = isSecondOrder(opt) ? opt.initStatsBatches : 0;
    const { optimizer, model } = this.state;
    if (count === 0 || !optimizer.initializeCurvature) return;
    const xs = this.batches.firstBatches(count).map((b) => tf.tensor(b.x, [b.size, ...this.data.inputShape]));
    try {
      await optimizer.initializeCurvature(model, xs);
    } finally {
      tf.dispose(xs);
    }
  }

  /** One optimizer step on `batch`; returns the next batch, assembled while the device ran this one. */
  private async optimizerStep(
    batch: HostBatch,
    lr: number,
    prefetch: () => HostBatch | undefined,
  ): Promise<HostBatch | undefined> {
    const { state, data } = this;
    // Before the step: the angular update of a record needs the kernels as they were.
    this.monitor.beforeStep(this.step);
    const stepStarted = performance.now();
    const x = tf.tensor(batch.x, [batch.size, ...data.inputShape]);
    const y = tf.tensor1d(batch.y, 'int32');
    // K-FAC: if this step swaps in eigenbases still being computed off-thread, wait for them here.
    if (state.optimizer.beforeStep) await state.optimizer.beforeStep();
    const running = trainStepOnDevice(state, x, y, data.numClasses, lr).finally(() => tf.dispose([x, y]));
    const next = prefetch();
    const stats = await running;
    this.step += 1;
    this.window.add(stats, batch.size, this.step);
    stats.dispose();
    this.trainSeconds += (performance.now() - stepStarted) / 1000;
    return next;
  }

  /** After a step: norm transfer at an epoch end, the record when one is due, the checkpoint of an epoch. */
  private async afterStep(lr: number): Promise<TrainOutcome | undefined> {
    const { step, perEpoch, totalSteps } = this;
    const epochEnd = step % perEpoch === 0;
    // wn-conv: after the epoch, each selected kernel takes the reference run's norm (the record shows it).
    const rescaled: Record<string, number> = {};
    const norms = epochEnd ? this.options.normTargets?.get(step / perEpoch) : undefined;
    if (norms) {
      for (const [layer, alpha] of await rescaleToNorms(this.state.model, norms))
        rescaled[metricKey('normTransfer', layer)] = alpha;
    }
    if (this.monitor.recordDue(step)) {
      const w = await this.window.take();
      if ('diverged' in w) return this.failed(w.diverged);
      const reason = await this.emit(
        { [metricKey('train/loss')]: w.loss, [metricKey('train/accuracy')]: w.accuracy, ...rescaled },
        lr,
      );
      if (reason) return this.failed(reason);
      this.events.progress(this.progress());
    }
    const every = this.spec.training.checkpointEveryEpochs;
    if (epochEnd && ((step / perEpoch) % every === 0 || step === totalSteps)) await this.saveCheckpoint();
    this.events.afterStep?.(step, tf.memory().numTensors);
    // Let the process handle messages (a stop request) between steps: tfjs work here is synchronous.
    await new Promise((resolve) => setImmediate(resolve));
    return undefined;
  }

  /** A stop request: checkpoint (never weights that have already diverged) and end `cancelled`. */
  private async stop(): Promise<TrainOutcome> {
    const w = await this.window.take();
    if ('diverged' in w) return this.failed(w.diverged);
    await this.saveCheckpoint();
    return { status: 'cancelled', progress: this.progress() };
  }

  /** Measures and emits the record after this step; returns a failure reason if a value is not finite. */
  private async emit(fields: Record<string, number>, lr: number): Promise<string | undefined> {
    const { step } = this;
    const measured = await this.monitor.measure(step, lr);
    const record: MetricRecord = {
      step,
      epoch: step / this.perEpoch,
      time: this.elapsed(),
      ...fields,
      ...measured,
      [metricKey('time/train')]: this.trainSeconds,
    };
    this.trainSeconds = 0;
    // Weights can overflow before the loss does; a record holds numbers only (JSON has no NaN).
    const bad = Object.entries(record).find(([, v]) => !Number.isFinite(v));
    if (bad) return `diverged at step ${step} (${bad[0]} is ${bad[1]})`;
    this.events.record(record);
    return undefined;
  }

  private async saveCheckpoint(): Promise<void> {
    const { state, step } = this;
    writeCheckpoint(
      this.options.checkpointDir,
      { step, optimizerIterations: state.optimizer.iterations, elapsed: this.elapsed() },
      await checkpointTensors(state),
    );
    this.events.checkpoint(step);
  }

  private failed(reason: string): TrainOutcome {
    this.monitor.release();
    return { status: 'failed', reason, progress: this.progress() };
  }
}
