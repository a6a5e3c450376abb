// Data-parallel gradients (src/engine/parallel/): a step split over threads, with BN statistics summed
// across the shards, is the one-thread full-batch step (the oracle) up to float rounding — the loss, every
// weight update, and the BN moving averages — for even and uneven shards, a batch smaller than the thread
// count, and K-FAC (its statistics pass split across the threads too); a worker that fails or dies makes the step fail with its reason instead of hanging.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { type BackendInfo, initBackend, withThreads } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { curvatureNoise } from '../../../src/engine/optimizers/kfac/curvature';
import { setEigenWorkerPath } from '../../../src/engine/optimizers/kfac/eigenPool';
import { factorSums } from '../../../src/engine/optimizers/kfac/statistics';
import { setGradientWorkerPath } from '../../../src/engine/parallel/dataParallel';
import { resolveThreads, shardSizes } from '../../../src/engine/parallel/threads';
import { read } from '../../../src/engine/read';
import { tf } from '../../../src/engine/tf';
import { createTrainingState, releaseTrainingState, trainStep } from '../../../src/engine/trainer';
import { loadSpecText } from '../../../src/spec';
import type { ExperimentSpec } from '../../../src/spec/types';
import { repoRoot, wasmDir } from '../../helpers/backend';
import { relativeError } from '../../helpers/compare';

function spec(over: Record<string, unknown>, threads: number | 'auto'): ExperimentSpec {
  const training = { ...(over.training as object), threads };
  const loaded = loadSpecText(JSON.stringify({ name: 'data-parallel', ...over, training }));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.spec!;
}

const resnet = {
  data: { dataset: 'synthetic-images', trainSize: 16, testSize: 8 },
  model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
  regularization: { type: 'l2', coefficient: 1e-3 },
  training: { batchSize: 8, testBatchSize: 8 },
};

interface StepResult {
  loss: number;
  /** Parameter values after the step, by name (biases ahead of BN left out: their gradient is float noise). */
  params: Map<string, Float32Array>;
  /** BN moving means and variances after the step. */
  bn: Map<string, Float32Array>;
  threads: number;
}

/** `steps` steps on the first `batch` training examples (or the spec's batch size). */
async function run(s: ExperimentSpec, steps = 1, batch = s.training.batchSize): Promise<StepResult> {
  const data = await loadDataset(s.data);
  const state = createTrainingState(s, data, { kfacInverses: { delay: 0 } });
  try {
    const features = data.inputShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(data.train.x.subarray(0, batch * features), [batch, ...data.inputShape]);
    const y = tf.tensor1d(data.train.y.subarray(0, batch), 'int32');
    let loss = 0;
    for (let i = 0; i < steps; i++) [loss] = await trainStep(state, x, y, data.numClasses, s.optimizer.lr);
    tf.dispose([x, y]);
    const params = new Map<string, Float32Array>();
    const noise = new Set(state.model.layers.filter((l) => l.scaleInvariant).map((l) => `${l.name}/bias`));
    for (const p of state.params)
      if (!noise.has(p.name)) params.set(p.name, (await read(p.variable)) as Float32Array);
    const bn = new Map<string, Float32Array>();
    for (const [name, v] of state.model.stateVariables()) bn.set(name, (await read(v)) as Float32Array);
    return { loss, params, bn, threads: state.dataParallel?.size ?? 1 };
  } finally {
    releaseTrainingState(state);
    state.model.dispose();
  }
}

function assertSameStep(parallel: StepResult, single: StepResult, tol: number): void {
  assert.ok(
    Math.abs(parallel.loss - single.loss) <= tol * Math.abs(single.loss),
    `loss ${parallel.loss} vs ${single.loss}`,
  );
  for (const [group, a, b] of [
    ['param', parallel.params, single.params],
    ['BN state', parallel.bn, single.bn],
  ] as const) {
    assert.equal(a.size, b.size);
    for (const [name, values] of a) {
      const error = relativeError(values, b.get(name)!);
      assert.ok(error <= tol, `${group} ${name}: relative error ${error}`);
    }
  }
}

before(() => {
  const dist = join(repoRoot(), 'dist');
  setGradientWorkerPath(join(dist, 'gradientWorker.js'));
  setEigenWorkerPath(join(dist, 'kfacWorker.js'));
});

describe('training.threads', () => {
  test('auto: one per core (at most 4) for conv nets on wasm; 1 for the MLP and off CPU backends', () => {
    const s = (arch: string, threads: number | 'auto', batchSize = 128) =>
      spec(
        {
          ...resnet,
          data: { ...resnet.data, trainSize: 256 },
          model: { arch, batchNorm: true },
          training: { batchSize },
        },
        threads,
      );
    assert.equal(resolveThreads(s('vgg', 'auto'), 'wasm', 2), 2);
    assert.equal(resolveThreads(s('vgg', 'auto'), 'wasm', 16), 4);
    assert.equal(resolveThreads(s('resnet', 'auto', 3), 'wasm', 16), 3);
    assert.equal(resolveThreads(s('mlp', 'auto'), 'wasm', 16), 1);
    assert.equal(resolveThreads(s('vgg', 'auto'), 'cpu', 16), 1);
    assert.equal(resolveThreads(s('vgg', 3), 'cpu', 2), 3);
    assert.equal(resolveThreads(s('vgg', 8), 'webgpu', 16), 1);
    assert.equal(resolveThreads(s('vgg', 8), 'tensorflow', 16), 1);
  });

  test('the device a data-parallel run reports says over how many threads a step runs', () => {
    const wasm: BackendInfo = {
      name: 'wasm',
      tfjsBackend: 'wasm',
      device: 'WebAssembly (SIMD, 1 thread)',
      skipped: [],
      versions: {},
    };
    assert.equal(withThreads(wasm, 1).device, 'WebAssembly (SIMD, 1 thread)');
    assert.equal(withThreads(wasm, 2).device, 'WebAssembly (SIMD, 2 threads, the batch split between them)');
    const cpu: BackendInfo = { ...wasm, name: 'cpu', device: 'CPU (pure JavaScript)' };
    assert.equal(
      withThreads(cpu, 3).device,
      'CPU (pure JavaScript), 3 threads, the batch split between them',
    );
  });

  test('shards are as even as possible and cover the batch', () => {
    assert.deepEqual(shardSizes(128, 2), [64, 64]);
    assert.deepEqual(shardSizes(7, 3), [3, 2, 2]);
    assert.deepEqual(shardSizes(10, 4), [3, 3, 2, 2]);
  });
});

// wasm's XNNPACK kernels round differently for different batch sizes, and a pre-activation within that
// rounding of 0 flips a ReLU's mask: after one step a few early kernels differ by up to 4e-4 (cpu: 6e-8),
// as between backends (backends.test.ts allows 4e-3). Without the cross-shard BN sums (ghost batch norm)
// the same comparison is off by more than 1e-2.
const TOLERANCE = { wasm: 2e-3, cpu: 1e-4 };

for (const backend of ['wasm', 'cpu'] as const) {
  const tol = TOLERANCE[backend];
  describe(`data-parallel step on ${backend} equals the one-thread step`, () => {
    before(async () => {
      await initBackend(backend, { wasmDir: wasmDir() });
    });

    // On wasm one step: the next steps amplify its rounding (momentum, BN) past any tolerance that means much.
    const steps = backend === 'cpu' ? 2 : 1;
    test(`ResNet20 x0.25 with BN, SGD + L2: 2 threads (4 + 4), ${steps} step(s)`, async () => {
      const single = await run(spec(resnet, 1), steps);
      const parallel = await run(spec(resnet, 2), steps);
      assert.equal(parallel.threads, 2);
      assertSameStep(parallel, single, tol);
    });

    test('uneven shards (7 examples over 3 threads: 3 + 2 + 2), and fewer examples than threads', async () => {
      const s1 = spec(resnet, 1);
      const s3 = spec(resnet, 3);
      assertSameStep(await run(s3, 1, 7), await run(s1, 1, 7), tol);
      // A short last batch of 2 examples with 3 threads: the training thread alone, still the same step.
      assertSameStep(await run(s3, 1, 2), await run(s1, 1, 2), tol);
    });
  });
}

describe('data-parallel K-FAC and failures (cpu)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  test('K-FAC-G on an MLP with BN: curvature, BN update and preconditioned step as with one thread', async () => {
    const kfac = {
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 16 },
      model: { arch: 'mlp', hidden: [32], batchNorm: true },
      optimizer: { type: 'kfac-g', lr: 0.01, damping: 0.01, statsEvery: 1, inverseEvery: 1 },
      regularization: { type: 'weightDecay', coefficient: 1e-3 },
      training: { batchSize: 32 },
    };
    const single = await run(spec(kfac, 1), 2);
    const parallel = await run(spec(kfac, 2), 2);
    assert.equal(parallel.threads, 2);
    assertSameStep(parallel, single, 1e-4);
  });

  test('K-FAC statistics pass over 3 threads (3 + 2 + 2 examples) equals the one-thread factor sums', async () => {
    // ResNet20 x0.25 with BN: conv blocks (T locations), BN across shards in both sampled passes, and the
    // batch's noise split by rows. The oracle: factorSums of the whole batch on this thread.
    const s = spec({ ...resnet, optimizer: { type: 'kfac-f', lr: 0.01 } }, 3);
    const data = await loadDataset(s.data);
    const state = createTrainingState(s, data);
    const features = data.inputShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(data.train.x.subarray(0, 7 * features), [7, ...data.inputShape]);
    try {
      assert.equal(state.dataParallel?.size, 3);
      for (const kind of ['fisher', 'gaussNewton'] as const) {
        const noise = curvatureNoise(kind, 7, data.numClasses, 5);
        const single = factorSums(state.model, x, kind, noise);
        const parallel = await state.dataParallel!.statistics(state.model, x, kind, noise);
        assert.equal(parallel.length, state.model.layers.length);
        parallel.forEach((p, l) => {
          const o = single[l];
          assert.deepEqual([p.layer, p.rows, p.locations], [o.layer, o.rows, o.locations]);
          for (const f of ['A', 'S'] as const) {
            const error = relativeError(p[f].dataSync(), o[f].dataSync());
            assert.ok(error <= 1e-4, `${kind} ${p.layer} ${f}: relative error ${error}`);
          }
        });
        tf.dispose([noise, ...single.flatMap((f) => [f.A, f.S]), ...parallel.flatMap((f) => [f.A, f.S])]);
      }
    } finally {
      x.dispose();
      releaseTrainingState(state);
      state.model.dispose();
    }
  });

  test('a worker that fails mid-step, or dies, fails the step with its reason (no hang)', async () => {
    const s = spec(resnet, 2);
    const data = await loadDataset(s.data);
    const features = data.inputShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(data.train.x.subarray(0, 8 * features), [8, ...data.inputShape]);
    {
      const state = createTrainingState(s, data);
      // 8 images but 6 labels: the worker's shard (images 4-7, labels 4-5) cannot be built, and the
      // training thread, already waiting at the first BN all-reduce, is woken with the worker's error.
      const y = tf.tensor1d(data.train.y.subarray(0, 6), 'int32');
      await assert.rejects(trainStep(state, x, y, data.numClasses, 0.05), /shape|size/i);
      y.dispose();
      releaseTrainingState(state);
      state.model.dispose();
    }
    {
      const state = createTrainingState(s, data);
      const y = tf.tensor1d(data.train.y.subarray(0, 8), 'int32');
      await trainStep(state, x, y, data.numClasses, 0.05);
      // A worker thread that dies between steps (killed, out of memory).
      const worker = (state.dataParallel as unknown as { workers: import('node:worker_threads').Worker[] })
        .workers[0];
      await worker.terminate();
      await assert.rejects(trainStep(state, x, y, data.numClasses, 0.05), /gradient worker 1 exited/);
      y.dispose();
      releaseTrainingState(state);
      state.model.dispose();
    }
    x.dispose();
  });

  test("a worker that fails in K-FAC's statistics pass, or has died, fails the pass with its reason", async () => {
    const s = spec({ ...resnet, optimizer: { type: 'kfac-g', lr: 0.01 } }, 3);
    const data = await loadDataset(s.data);
    const features = data.inputShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(data.train.x.subarray(0, 7 * features), [7, ...data.inputShape]);
    const attempt = async (rows: number, kill: boolean, expected: RegExp) => {
      const state = createTrainingState(s, data);
      const parallel = state.dataParallel!;
      const noise = curvatureNoise('gaussNewton', rows, data.numClasses, 1);
      try {
        if (kill)
          await (
            parallel as unknown as { workers: import('node:worker_threads').Worker[] }
          ).workers[1].terminate();
        await assert.rejects(parallel.statistics(state.model, x, 'gaussNewton', noise), expected);
      } finally {
        noise.dispose();
        releaseTrainingState(state);
        state.model.dispose();
      }
    };
    // Noise for 6 of the 7 examples: the last shard (examples 5-6) gets one row of noise for two images and
    // cannot build its batch; the training thread, waiting at a BN all-reduce, is woken with its error.
    await attempt(6, false, /shape|size/i);
    // A worker thread that has died (killed, out of memory).
    await attempt(7, true, /gradient worker 2 exited/);
    // The training thread's own shard failing: its error, not that of the workers it woke at a barrier.
    const state = createTrainingState(s, data);
    const noise = curvatureNoise('gaussNewton', 7, data.numClasses, 1);
    const broken = Object.create(state.model, {
      forward: {
        value: () => {
          throw new Error("the training thread's shard broke");
        },
      },
    });
    try {
      await assert.rejects(state.dataParallel!.statistics(broken, x, 'gaussNewton', noise), /shard broke/);
    } finally {
      noise.dispose();
      releaseTrainingState(state);
      state.model.dispose();
    }
    x.dispose();
  });
});
