// A gradient worker thread of data-parallel training (bundled as dist/gradientWorker.js): it holds its own
// copy of the network on its own tfjs backend, and each step reads the weights from shared memory, runs the
// forward and backward pass of its shard with BN statistics all-reduced across shards (shardStep.ts), and
// writes its gradients back to shared memory.
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend';
import { buildModel } from '../models/build';
import type { Model } from '../models/model';
import { tf } from '../tf';
import type { FromGradientWorker, InitMessage, StepMessage, ToGradientWorker } from './protocol';
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

function step(w: Worker, message: StepMessage): FromGradientWorker {
  let offset = 0;
  for (const v of w.variables) {
    // slice(): a copy, so no backend keeps a view of memory the training thread rewrites.
    const t = tf.tensor(w.weights.slice(offset, offset + v.size), v.shape);
    v.assign(t);
    t.dispose();
    offset += v.size;
  }
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

parentPort?.on('message', (message: ToGradientWorker) => {
  const reply = async (): Promise<FromGradientWorker> => {
    if (message.type === 'init') return init(message);
    if (!worker) throw new Error('gradient worker got a step before init');
    return step(worker, message);
  };
  reply()
    .catch((e: unknown): FromGradientWorker => {
      // Wake the other shards, blocked at a BN all-reduce this one will never reach.
      worker?.group.abort();
      return { type: 'error', message: e instanceof Error ? e.message : String(e) };
    })
    .then((r) => parentPort?.postMessage(r));
});
