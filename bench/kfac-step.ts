// K-FAC step time against the SGD step on the same model and batch. Per model and
// backend: the SGD step; K-FAC's plain step (precondition + update), its statistics pass (every T_cov) and
// its eigendecompositions (every T_inv), and the amortised step = plain + stats/T_cov + inverse/T_inv
// (T_cov 10, T_inv 100, the official schedule). Prints one JSON line per configuration.
// Usage: node scripts/build.mjs (bundles it to out/bench/kfac-step.js, with dist/wasm), then
//        node out/bench/kfac-step.js [cpu|wasm|tensorflow|webgpu] [--cases mlp,resnet20-small,vgg16-bn,resnet32-bn]
//                                    [--batch N] [--inverse auto|eigendecomposition|newtonSchulz]
// The default cases are the two small ones; vgg16-bn and resnet32-bn are the paper's networks at batch 128
// (the target, K-FAC's amortised step <= 1.5x SGD's, is a GPU job there: one inverse round of VGG16's
// 4609-wide factors is minutes of CPU time). The inverse method defaults to the spec's auto:
// eigendecomposition on cpu/wasm, Newton-Schulz on webgpu/tensorflow.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend';
import { crossEntropy } from '../src/engine/evaluate';
import { buildModel } from '../src/engine/models/build';
import { createOptimizer, type KfacOptimizer } from '../src/engine/optimizers';
import { read, readAndDispose } from '../src/engine/read';
import { tf } from '../src/engine/tf';
import type { KfacInverseMethod, ModelSpec, OptimizerSpec } from '../src/spec/types';
import { median } from './median';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: 'string', default: 'mlp,resnet20-small' },
    batch: { type: 'string' },
    inverse: { type: 'string', default: 'auto' },
  },
});
const backend = (positionals[0] ?? 'wasm') as 'cpu' | 'wasm' | 'tensorflow' | 'webgpu';

interface Case {
  name: string;
  model: ModelSpec;
  input: number[];
  batch: number;
}

const CASES: Record<string, Case> = {
  mlp: {
    name: 'mlp 64-[128,128]-10 BN',
    model: { arch: 'mlp', depth: 3, width: 1, batchNorm: true, batchNormMomentum: 0.99, hidden: [128, 128] },
    input: [64],
    batch: 128,
  },
  'resnet20-small': {
    name: 'resnet20 width 0.25 BN (small CNN)',
    model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true, batchNormMomentum: 0.99, hidden: [] },
    input: [32, 32, 3],
    batch: 64,
  },
  // The networks of torch_anchor_bench.py (bench/training.ts has the same).
  'vgg16-bn': {
    name: 'vgg16 BN',
    model: { arch: 'vgg', depth: 16, width: 1, batchNorm: true, batchNormMomentum: 0.99, hidden: [] },
    input: [32, 32, 3],
    batch: 128,
  },
  'resnet32-bn': {
    name: 'resnet32 width 4 BN',
    model: { arch: 'resnet', depth: 32, width: 4, batchNorm: true, batchNormMomentum: 0.99, hidden: [] },
    input: [32, 32, 3],
    batch: 128,
  },
};

if (!['auto', 'eigendecomposition', 'newtonSchulz'].includes(values.inverse))
  throw new Error(`--inverse ${values.inverse}: expected auto, eigendecomposition or newtonSchulz`);
const cases = values.cases.split(',').map((name) => {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case "${name}" (expected ${Object.keys(CASES).join(', ')})`);
  return values.batch ? { ...c, batch: Number(values.batch) } : c;
});

async function main() {
  await initBackend(backend, { wasmDir: join(__dirname, '..', '..', 'dist', 'wasm') });
  for (const c of cases) {
    const model = buildModel(c.model, c.input, 10, 1);
    const params = model.layers.flatMap((l) =>
      (['kernel', 'bias'] as const).map((part) => ({
        name: `${l.name}/${part}`,
        variable: l[part],
        decay: true,
      })),
    );
    const x = tf.randomNormal([c.batch, ...c.input], 0, 1, 'float32', 2);
    const y = tf.tensor1d(
      Array.from({ length: c.batch }, (_, i) => i % 10),
      'int32',
    );
    const grads = () => {
      const byVar = new Map(params.map((p) => [p.variable.name, p.name]));
      const { value, grads: g } = tf.variableGrads(
        () => crossEntropy(model.forward(x, true), y, 10),
        params.map((p) => p.variable),
      );
      value.dispose();
      return new Map(Object.entries(g).map(([k, t]) => [byVar.get(k)!, t]));
    };
    const regularization = { type: 'weightDecay' as const, coefficient: 1e-3, apply: 'all' as const };
    // A GPU backend only queues the work: each timed call ends with a read-back, which waits for it all.
    const sync = () => readAndDispose(tf.tidy(() => tf.sum(params[params.length - 1].variable)));
    const time = async (f: () => unknown, n: number) => {
      await f();
      await sync();
      const ts: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await f();
        await sync();
        ts.push(performance.now() - t0);
      }
      return median(ts);
    };
    const sgd = createOptimizer(
      { type: 'sgd', lr: 0, momentum: 0.9, nesterov: false },
      { params, regularization },
    );
    const sgdMs = await time(() => {
      const g = grads();
      sgd.step(g, 0);
      tf.dispose([...g.values()]);
    }, 10);
    const spec: OptimizerSpec = {
      type: 'kfac-f',
      lr: 0,
      momentum: 0.9,
      damping: 1e-3,
      statDecay: 0.95,
      statsEvery: 10,
      inverseEvery: 100,
      dampingScheme: 'factored',
      inverseMethod: values.inverse as KfacInverseMethod | 'auto',
      inverseSchedule: 'synchronous',
      initStatsBatches: 0,
    };
    const kfac = createOptimizer(spec, {
      params,
      regularization,
      layers: model.layers,
      seed: 1,
    }) as KfacOptimizer;
    await kfac.updateCurvature(model, x); // t = 0: statistics + inverses
    const plainMs = await time(async () => {
      const g = grads();
      await kfac.step(g, 0);
      tf.dispose([...g.values()]);
    }, 10);
    // The statistics pass alone (sampled backward + factor second moments).
    const statsMs = await time(() => kfac.initializeCurvature(model, [x]), 5);
    // The inverses: a checkpoint restore rebuilds every inverse from its saved factors. The metrics'
    // read-back (which includes the Newton-Schulz residuals) waits for device work a GPU only queued.
    // The state as a checkpoint holds it: host arrays (a restore builds its tensors from file data).
    const saved = kfac.getState();
    const host = await Promise.all(
      [...saved].map(async ([k, t]) => [k, Float32Array.from(await read(t)), t.shape] as const),
    );
    tf.dispose([...saved.values()]);
    const invMs = await time(async () => {
      const state = new Map(host.map(([k, data, shape]) => [k, tf.tensor(data, shape)]));
      kfac.setState(state, 1);
      tf.dispose([...state.values()]);
      await kfac.metrics();
    }, 3);
    const amortised = plainMs + statsMs / 10 + invMs / 100;
    console.log(
      JSON.stringify({
        backend: tf.getBackend(),
        inverseMethod: kfac.inverseMethod,
        inverseSchedule: 'synchronous',
        model: c.name,
        batch: c.batch,
        sgdStepMs: +sgdMs.toFixed(2),
        kfacPlainStepMs: +plainMs.toFixed(2),
        kfacStatsMs: +statsMs.toFixed(2),
        kfacInverseMs: +invMs.toFixed(2),
        kfacAmortisedMs: +amortised.toFixed(2),
        ratio: +(amortised / sgdMs).toFixed(2),
      }),
    );
    sgd.dispose();
    kfac.dispose();
    tf.dispose([x, y]);
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
