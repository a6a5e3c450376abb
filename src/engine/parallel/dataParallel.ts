// Data-parallel gradients on CPU backends (tfjs runs wasm on one thread in Node; docs/engines.md). The
// training thread and P - 1 worker threads (gradientWorker.ts) each take one shard of the batch; every BN
// layer all-reduces its statistics across the shards (shardGroup.ts), so the step is the full-batch step of
// the paper, BN included, up to float rounding. The training thread publishes the weights in shared memory,
// runs its own shard while the workers run theirs, then adds their gradients to its own; the optimizer runs
// once, on the training thread. K-FAC's statistics pass (kfac/statistics.ts) is split the same way: each
// thread sums a a^T and ds ds^T over its shard's rows, with the sampling noise the training thread drew for
// the whole batch.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ExperimentSpec } from '../../spec/types';
import type { Model } from '../models/model';
import { type CrossShardSum, withCrossShardStatistics } from '../ops/batchNorm';
import { type FactorSums, factorSums, type StatisticsPass } from '../optimizers/kfac/statistics';
import { tf } from '../tf';
import type { FromGradientWorker, ToGradientWorker } from './protocol';
import { ANOTHER_THREAD_FAILED, createShardGroup, ShardGroup } from './shardGroup';
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
    this.publishWeights(variables);
    const ys = labels.dataSync() as Int32Array;
    const sizes = shardSizes(n, this.size);
    const shards = this.workerShards(x, sizes);
    const messages = shards.map(({ x, start, end }): ToGradientWorker => {
      return { type: 'step', x, y: ys.slice(start, end), batchSize: n };
    });
    const shard = tf.slice(x, 0, sizes[0]);
    const shardLabels = tf.slice(labels, 0, sizes[0]);
    let own: ShardResult;
    let replies: FromGradientWorker[];
    try {
      ({ own, replies } = await this.acrossShards(
        messages,
        (sum) => shardGradients(model, variables, shard, shardLabels, numClasses, n, sum),
        (r) => tf.dispose([r.loss, r.correct, ...r.grads.filter((g) => g !== undefined)]),
      ));
    } catch (e) {
      shard.dispose();
      throw e;
    } finally {
      shardLabels.dispose();
    }
    const done = replies as Extract<FromGradientWorker, { type: 'done' }>[];
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

  /**
   * K-FAC's statistics pass of a whole batch (kfac/statistics.ts), shard by shard on all threads with BN
   * across the shards: each thread's factor sums over its rows, added here. `noise` is the batch's
   * curvature noise, one row per example; each shard takes its rows.
   */
  readonly statistics: StatisticsPass = async (model, x, kind, noise) => {
    await this.ready;
    if (this.broken) throw this.broken;
    const n = x.shape[0];
    if (n < this.size) return factorSums(model, x, kind, noise);
    this.publishWeights(model.trainableVariables());
    const sizes = shardSizes(n, this.size);
    const noiseRows = noise.dataSync() as Float32Array;
    const columns = noise.shape[1];
    const messages = this.workerShards(x, sizes).map(({ x, start, end }): ToGradientWorker => {
      return {
        type: 'statistics',
        x,
        kind,
        noise: noiseRows.slice(start * columns, end * columns),
        noiseColumns: columns,
      };
    });
    const shard = tf.slice(x, 0, sizes[0]);
    const shardNoise = tf.slice(noise, 0, sizes[0]);
    try {
      const { own, replies } = await this.acrossShards(
        messages,
        (sum) => withCrossShardStatistics(sum, () => factorSums(model, shard, kind, shardNoise)),
        (sums) => tf.dispose(sums.flatMap((s) => [s.A, s.S])),
      );
      return own.map((mine, l): FactorSums => {
        const theirs = replies.map(
          (r) => (r as Extract<FromGradientWorker, { type: 'statistics' }>).layers[l],
        );
        const total = tf.tidy(() => {
          let A: tf.Tensor = mine.A;
          let S: tf.Tensor = mine.S;
          for (const t of theirs) {
            A = tf.add(A, tf.tensor2d(t.A, mine.A.shape));
            S = tf.add(S, tf.tensor2d(t.S, mine.S.shape));
          }
          return { A: A as tf.Tensor2D, S: S as tf.Tensor2D };
        });
        tf.dispose([mine.A, mine.S]);
        return { ...mine, ...total, rows: theirs.reduce((m, t) => m + t.rows, mine.rows) };
      });
    } finally {
      tf.dispose([shard, shardNoise]);
    }
  };

  /** Writes the weights where every worker reads them at the start of its job. */
  private publishWeights(variables: tf.Variable[]): void {
    let offset = 0;
    for (const v of variables) {
      this.weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
  }

  /** The examples of each worker's shard (the training thread keeps the first `sizes[0]`). */
  private workerShards(x: tf.Tensor, sizes: number[]): { x: Float32Array; start: number; end: number }[] {
    const xs = x.dataSync() as Float32Array;
    const perExample = xs.length / x.shape[0];
    let start = sizes[0];
    return sizes.slice(1).map((k) => {
      const shard = { x: xs.slice(start * perExample, (start + k) * perExample), start, end: start + k };
      start += k;
      return shard;
    });
  }

  /**
   * One job on every thread: each worker gets its message while this thread runs `own` on its shard, with
   * `crossShard` summing BN statistics over all of them. A failure anywhere fails the job with a worker's own
   * error if there is one (it says more than "another thread failed"); `release` frees this thread's result
   * when only a worker failed.
   */
  private async acrossShards<T>(
    messages: ToGradientWorker[],
    own: (crossShard: CrossShardSum) => T,
    release: (result: T) => void,
  ): Promise<{ own: T; replies: FromGradientWorker[] }> {
    const pending = this.workers.map((worker, i) => this.request(worker, messages[i]));
    /** The failing thread's own error (`mine`: this thread's), not that of one it woke at a barrier. */
    const firstFailure = async (mine?: Error) => {
      const settled = await Promise.allSettled(pending);
      const reasons = settled
        .filter((s) => s.status === 'rejected')
        .map((s) => (s as PromiseRejectedResult).reason as Error);
      if (mine) reasons.push(mine);
      return {
        failure: reasons.find((r) => r.message !== ANOTHER_THREAD_FAILED) ?? reasons[0],
        replies: settled.map((s) => (s as PromiseFulfilledResult<FromGradientWorker>).value),
      };
    };
    let result: T;
    try {
      result = own((values) => this.group.allReduce(values));
    } catch (e) {
      this.group.abort();
      throw (await firstFailure(e as Error)).failure;
    }
    const { failure, replies } = await firstFailure();
    if (failure) {
      release(result);
      throw failure;
    }
    return { own: result, replies };
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
