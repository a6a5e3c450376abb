// A gradient worker thread of data-parallel training (bundled as dist/gradientWorker.js): it holds its own
// copy of the network on its own tfjs backend, and each step reads the weights from shared memory, runs the
// forward and backward pass of its shard with BN statistics all-reduced across shards (shardStep.ts), and
// writes its gradients back to shared memory. Every T_cov steps of K-FAC it also runs the statistics pass of
// its shard (kfac/statistics.ts) and sends back its factor sums.
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend';
import { buildModel } from '../models/build';
import type { Model } from '../models/model';
import { withCrossShardStatistics } from '../ops/batchNorm';
import { factorSums } from '../optimizers/kfac/statistics';
import { tf } from '../tf';
import type {
  FromGradientWorker,
  InitMessage,
  StatisticsMessage,
  StepMessage,
  ToGradientWorker,
} from './protocol';
import { ShardGroup } from './shardGroup';
import { shardGradients } from './shardStep';

interface Worker {
  init: InitMessage;
  model: Model;
  variables: tf.Variable[];
  group: ShardGroup;
  weights: Float32Array;
  gradients: Float32Array;
}

let worker: Worker | undefined;

async function init(message: InitMessage): Promise<FromGradientWorker> {
  await initBackend(message.backend);
  const { spec } = message;
  const model = buildModel(spec.model, message.inputShape, message.numClasses, spec.training.seed);
  worker = {
    init: message,
    model,
    variables: model.trainableVariables(),
    group: new ShardGroup(message.group, message.rank),
    weights: new Float32Array(message.weights),
    gradients: new Float32Array(message.gradients),
  };
  return { type: 'ready' };
}

/** The weights the training thread published for this job. */
function loadWeights(w: Worker): void {
  let offset = 0;
  for (const v of w.variables) {
    // slice(): a copy, so no backend keeps a view of memory the training thread rewrites.
    const t = tf.tensor(w.weights.slice(offset, offset + v.size), v.shape);
    v.assign(t);
    t.dispose();
    offset += v.size;
  }
}

function step(w: Worker, message: StepMessage): FromGradientWorker {
  loadWeights(w);
  let offset = 0;
  const n = message.y.length;
  const x = tf.tensor(message.x, [n, ...w.init.inputShape]);
  const y = tf.tensor1d(message.y, 'int32');
  try {
    const { loss, correct, grads } = shardGradients(
      w.model,
      w.variables,
      x,
      y,
      w.init.numClasses,
      message.batchSize,
      (values) => w.group.allReduce(values),
    );
    const missing: number[] = [];
    offset = 0;
    grads.forEach((g, i) => {
      if (g) w.gradients.set(g.dataSync() as Float32Array, offset);
      else missing.push(i);
      offset += w.variables[i].size;
    });
    const result = { loss: loss.dataSync()[0], correct: correct.dataSync()[0] };
    tf.dispose([loss, correct, ...grads.filter((g) => g !== undefined)]);
    return { type: 'done', ...result, missing };
  } finally {
    tf.dispose([x, y]);
  }
}

function statistics(w: Worker, message: StatisticsMessage): FromGradientWorker {
  loadWeights(w);
  const n = message.noise.length / message.noiseColumns;
  const x = tf.tensor(message.x, [n, ...w.init.inputShape]);
  const noise = tf.tensor2d(message.noise, [n, message.noiseColumns]);
  try {
    const sums = withCrossShardStatistics(
      (values) => w.group.allReduce(values),
      () => factorSums(w.model, x, message.kind, noise),
    );
    // Copies: the cpu backend's dataSync returns its own storage, which a transfer would detach.
    const layers = sums.map((s) => ({
      A: (s.A.dataSync() as Float32Array).slice(),
      S: (s.S.dataSync() as Float32Array).slice(),
      rows: s.rows,
    }));
    tf.dispose(sums.flatMap((s) => [s.A, s.S]));
    return { type: 'statistics', layers };
  } finally {
    tf.dispose([x, noise]);
  }
}

/** The buffers a reply hands over instead of copying (a factor sum can be tens of MB). */
function transferList(r: FromGradientWorker): ArrayBuffer[] {
  return r.type === 'statistics' ? r.layers.flatMap((l) => [l.A.buffer, l.S.buffer] as ArrayBuffer[]) : [];
}

parentPort?.on('message', (message: ToGradientWorker) => {
  const reply = async (): Promise<FromGradientWorker> => {
    if (message.type === 'init') return init(message);
    if (!worker) throw new Error(`gradient worker got a ${message.type} message before init`);
    return message.type === 'step' ? step(worker, message) : statistics(worker, message);
  };
  reply()
    .catch((e: unknown): FromGradientWorker => {
      // Wake the other shards, blocked at a BN all-reduce this one will never reach.
      worker?.group.abort();
      return { type: 'error', message: e instanceof Error ? e.message : String(e) };
    })
    .then((r) => parentPort?.postMessage(r, transferList(r)));
});
