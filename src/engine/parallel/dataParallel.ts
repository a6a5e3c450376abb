// Data-parallel gradients on CPU backends (issue 7: the second core). The training thread and P - 1 worker
// threads (gradientWorker.ts) each take one shard of the batch; every BN layer all-reduces its statistics
// across the shards (shardGroup.ts), so the step is the full-batch step of the paper, BN included, up to
// float rounding. The training thread publishes the weights in shared memory, runs its own shard while the
// workers run theirs, then adds their gradients to its own; the optimizer runs once, on the training thread.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ExperimentSpec } from '../../spec/types';
import type { Model } from '../models/model';
import { tf } from '../tf';
import type { FromGradientWorker, StepMessage, ToGradientWorker } from './protocol';
import { createShardGroup, ShardGroup } from './shardGroup';
import { type ShardResult, shardGradients } from './shardStep';
import { shardSizes } from './threads';

let workerPathOverride: string | undefined;

/** Where the worker bundle is: beside the running bundle, unless a test or bench said otherwise. */
export function gradientWorkerPath(): string {
  return workerPathOverride ?? join(__dirname, 'gradientWorker.js');
}

/** Bundles outside dist/ (tests, benches) point this at dist/gradientWorker.js. */
export function setGradientWorkerPath(path: string | undefined): void {
  workerPathOverride = path;
}

/** A step's result on the training thread: the summed loss and gradients, and the shard it ran itself. */
export interface ParallelResult extends ShardResult {
  /** The training thread's own shard: its forward holds the (whole-batch) BN statistics of this step. */
  shard: tf.Tensor;
}

export class DataParallel {
  private readonly workers: Worker[];
  private readonly group: ShardGroup;
  private readonly weights: Float32Array;
  /** Each worker's gradients (shared memory it writes, this thread reads). */
  private readonly workerGradients: Float32Array[];
  private readonly ready: Promise<void>;
  private readonly replies = new Map<
    Worker,
    { resolve: (r: FromGradientWorker) => void; reject: (e: Error) => void }
  >();
  private broken: Error | undefined;

  /** Threads, the training thread included. */
  readonly size: number;

  constructor(spec: ExperimentSpec, model: Model, threads: number, backend: 'wasm' | 'cpu') {
    this.size = threads;
    const variables = model.trainableVariables();
    const total = variables.reduce((n, v) => n + v.size, 0);
    // The longest all-reduce: a BN layer's backward, two means per channel and the row count.
    const channels = Math.max(...model.layers.map((l) => l.kernel.shape[l.kernel.rank - 1]));
    const layout = createShardGroup(threads, 2 * channels + 1);
    this.group = new ShardGroup(layout, 0);
    const weights = new SharedArrayBuffer(total * 4);
    this.weights = new Float32Array(weights);
    const buffers = Array.from({ length: threads - 1 }, () => new SharedArrayBuffer(total * 4));
    this.workerGradients = buffers.map((b) => new Float32Array(b));
    this.workers = buffers.map((_buffer, i) => {
      const worker = new Worker(gradientWorkerPath());
      worker.on('message', (m: FromGradientWorker) => this.settle(worker, m));
      worker.on('error', (e) => this.fail(worker, e));
      worker.on('exit', (code) =>
        this.fail(worker, new Error(`gradient worker ${i + 1} exited (code ${code})`)),
      );
      return worker;
    });
    this.ready = Promise.all(
      this.workers.map((worker, i) =>
        this.request(worker, {
          type: 'init',
          spec,
          inputShape: model.inputShape,
          numClasses: model.numClasses,
          backend,
          group: layout,
          rank: i + 1,
          weights,
          gradients: buffers[i],
        }),
      ),
    ).then(() => undefined);
  }

  /** True when the worker bundle exists (a test bundle run from out/ has none unless pointed at dist/). */
  static available(): boolean {
    return existsSync(gradientWorkerPath());
  }

  /** Gradients of the batch's mean loss, computed shard by shard on all threads. */
  async gradients(
    model: Model,
    variables: tf.Variable[],
    x: tf.Tensor,
    labels: tf.Tensor1D,
    numClasses: number,
  ): Promise<ParallelResult> {
    await this.ready;
    if (this.broken) throw this.broken;
    const n = x.shape[0];
    if (n < this.size) {
      // Too few examples to give every thread one (a short last batch): the training thread alone.
      return { ...shardGradients(model, variables, x, labels, numClasses, n), shard: tf.clone(x) };
    }
    const sizes = shardSizes(n, this.size);
    let offset = 0;
    for (const v of variables) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const xs = x.dataSync() as Float32Array;
    const ys = labels.dataSync() as Int32Array;
    const perExample = xs.length / n;
    let start = sizes[0];
    const replies = this.workers.map((worker, i) => {
      const k = sizes[i + 1];
      const message: StepMessage = {
        type: 'step',
        x: xs.slice(start * perExample, (start + k) * perExample),
        y: ys.slice(start, start + k),
        batchSize: n,
      };
      start += k;
      return this.request(worker, message);
    });
    const shard = tf.slice(x, 0, sizes[0]);
    const shardLabels = tf.slice(labels, 0, sizes[0]);
    let own: ShardResult;
    try {
      own = shardGradients(model, variables, shard, shardLabels, numClasses, n, (v) =>
        this.group.allReduce(v),
      );
    } catch (e) {
      this.group.abort();
      shard.dispose();
      // A worker's own error says more than "another thread failed".
      const settled = await Promise.allSettled(replies);
      const failure = settled.find((s) => s.status === 'rejected');
      throw failure ? (failure as PromiseRejectedResult).reason : e;
    } finally {
      shardLabels.dispose();
    }
    const settled = await Promise.allSettled(replies);
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) {
      tf.dispose([shard, own.loss, own.correct, ...own.grads.filter((g) => g !== undefined)]);
      throw (failure as PromiseRejectedResult).reason;
    }
    const done = settled.map((s) => (s as PromiseFulfilledResult<FromGradientWorker>).value) as Extract<
      FromGradientWorker,
      { type: 'done' }
    >[];
    return tf.tidy(() => {
      let at = 0;
      const grads = own.grads.map((g, j) => {
        const v = variables[j];
        const from = at;
        at += v.size;
        if (!g) return undefined;
        let sum: tf.Tensor = g;
        this.workerGradients.forEach((buffer, i) => {
          if (!done[i].missing.includes(j))
            sum = tf.add(sum, tf.tensor(buffer.slice(from, from + v.size), v.shape));
        });
        return tf.keep(sum);
      });
      const loss = tf.keep(
        tf.add(
          own.loss,
          done.reduce((s, d) => s + d.loss, 0),
        ),
      ) as tf.Scalar;
      const correct = tf.keep(
        tf.add(
          own.correct,
          done.reduce((s, d) => s + d.correct, 0),
        ),
      ) as tf.Scalar;
      tf.dispose([own.loss, own.correct, ...own.grads.filter((g) => g !== undefined)]);
      return { loss, correct, grads, shard: tf.keep(shard) };
    }) as ParallelResult;
  }

  /** Ends the worker threads. */
  dispose(): void {
    this.broken ??= new Error('data-parallel workers were disposed');
    for (const w of this.workers) {
      w.removeAllListeners('exit');
      void w.terminate();
    }
  }

  /** A request refs its worker until the reply, so an idle worker never keeps the process alive. */
  private request(worker: Worker, message: ToGradientWorker): Promise<FromGradientWorker> {
    if (this.broken) return Promise.reject(this.broken);
    worker.ref();
    return new Promise((resolve, reject) => {
      this.replies.set(worker, { resolve, reject });
      worker.postMessage(message);
    });
  }

  private settle(worker: Worker, message: FromGradientWorker): void {
    const waiting = this.replies.get(worker);
    this.replies.delete(worker);
    worker.unref();
    if (!waiting) return;
    if (message.type === 'error') waiting.reject(new Error(message.message));
    else waiting.resolve(message);
  }

  private fail(worker: Worker, error: Error): void {
    this.broken ??= error;
    this.group.abort();
    const waiting = this.replies.get(worker);
    this.replies.delete(worker);
    waiting?.reject(error);
  }
}
