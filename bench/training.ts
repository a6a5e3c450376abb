// Training-step throughput of the paper's networks: the exact architectures of
// bench/torch_anchor_bench.py (a copy of the reference anchor) — MLP 784-256-256-10, VGG16 and the
// 4x-wide ResNet32, with and without BN (no affine) — at batch 128, for SGD, Adam, K-FAC-F and K-FAC-G,
// through the trainer's own step (forward, backward, BN update, optimizer; K-FAC statistics every
// T_cov = 10, inverses every T_inv = 100 in their worker thread). Prints one JSON line per case: images/s (median of timed windows),
// peak memory, backend and device. No pass/fail. PyTorch's figures for the same networks are measured in
// the same run (pytorchAnchor.ts: torch_anchor_bench.py, SGD) where a python with torch is found, and
// printed beside our SGD lines as `pytorch` and `ratio`.
//
//   node out/bench/training.js [--backend auto|tensorflow|webgpu|wasm|cpu] [--threads auto|N] [--cases mlp,vgg16-bn,...]
//                              [--optimizers sgd,adam,kfac-f,kfac-g] [--batch 128] [--steps 10] [--windows 3]
//                              [--memory-steps 1000] [--profile 15] [--pytorch auto|off|PYTHON] [--interleave]
// Every optimizer but SGD also prints step_vs_sgd, its step time over SGD's on the same case (SGD listed first,
// or --interleave, which times the optimizers' windows in turn so that a drifting machine speed cancels).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendInfo, initBackend, withThreads } from '../src/engine/backend';
import type { LoadedDataset } from '../src/engine/data/dataset';
import { setEigenWorkerPath } from '../src/engine/optimizers/kfac/eigenPool';
import { setGradientWorkerPath } from '../src/engine/parallel/dataParallel';
import { tf } from '../src/engine/tf';
import {
  createTrainingState,
  releaseTrainingState,
  type TrainingState,
  trainStep,
} from '../src/engine/trainer';
import { loadSpecText } from '../src/spec';
import { DATASET_INPUT_SHAPES } from '../src/spec/catalog';
import type { BackendName, DatasetName, ExperimentSpec } from '../src/spec/types';
import { median } from './median';
import { type AnchorFigure, findTorchPython, runAnchor } from './pytorchAnchor';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    // training.threads: data-parallel gradient threads on CPU backends (auto, or a number).
    threads: { type: 'string', default: 'auto' },
    cases: { type: 'string', default: 'mlp' },
    optimizers: { type: 'string', default: 'sgd,adam,kfac-f,kfac-g' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '10' },
    windows: { type: 'string', default: '3' },
    // Memory over a long run (no growth over 1000 steps): live tensors and bytes after the warm-up
    // and after this many more steps. 0 = skip.
    'memory-steps': { type: 'string', default: '0' },
    // Where a step's time goes: one more step under tf.profile, its kernels summed by name (top N).
    profile: { type: 'string', default: '0' },
    // The PyTorch anchor in the same run: auto (python3 with torch if there is one), off, or a python.
    pytorch: { type: 'string', default: 'auto' },
    // All optimizers of a case side by side, their timed windows in turn (see main).
    interleave: { type: 'boolean', default: false },
  },
});
const batch = Number(values.batch);

/** The anchor's cases: the spec of each network and the dataset whose input shape it takes. */
const CASES: Record<string, { model: object; dataset: DatasetName }> = {
  mlp: { model: { arch: 'mlp', hidden: [256, 256], batchNorm: false }, dataset: 'mnist' },
  'vgg16-bn': {
    model: { arch: 'vgg', depth: 16, width: 1, batchNorm: true },
    dataset: 'cifar10',
  },
  vgg16: {
    model: { arch: 'vgg', depth: 16, width: 1, batchNorm: false },
    dataset: 'cifar10',
  },
  'resnet32-bn': {
    model: { arch: 'resnet', depth: 32, width: 4, batchNorm: true },
    dataset: 'cifar10',
  },
  resnet32: {
    model: { arch: 'resnet', depth: 32, width: 4, batchNorm: false },
    dataset: 'cifar10',
  },
  // Not the anchor's: a small CNN for quick K-FAC-vs-SGD and memory checks of the whole trainer step.
  'resnet20-small': {
    model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
    dataset: 'cifar10',
  },
};

function specFor(name: string, optimizer: string): ExperimentSpec {
  const c = CASES[name];
  const optimizers: Record<string, object> = {
    sgd: { type: 'sgd', lr: 0.01, momentum: 0.9 },
    adam: { type: 'adam', lr: 1e-3 },
    'kfac-f': { type: 'kfac-f', lr: 1e-3, statsEvery: 10, inverseEvery: 100 },
    'kfac-g': { type: 'kfac-g', lr: 1e-3, statsEvery: 10, inverseEvery: 100 },
  };
  const loaded = loadSpecText(
    JSON.stringify({
      name: `bench-${name}`,
      data: { dataset: c.dataset, trainSize: batch, testSize: batch },
      model: c.model,
      optimizer: optimizers[optimizer],
      regularization: { type: 'weightDecay', coefficient: 5e-4 },
      training: {
        batchSize: batch,
        backend: values.backend,
        threads: values.threads === 'auto' ? 'auto' : Number(values.threads),
      },
    }),
  );
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.spec || errors.length > 0) throw new Error(errors.map((d) => d.message).join('; '));
  return loaded.spec;
}

/** Random data of the case's shape (throughput does not depend on the values). */
function randomData(input: number[], classes: number): LoadedDataset {
  const size = input.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: batch * size }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const y = Int32Array.from({ length: batch }, (_, i) => i % classes);
  const split = { x, y, n: batch };
  return {
    name: 'random',
    inputShape: input,
    numClasses: classes,
    isImage: input.length === 3,
    train: split,
    test: split,
  };
}

/** One optimizer's training state on one case, its timed windows, and its peaks. */
interface Run {
  name: string;
  optimizer: string;
  state: TrainingState;
  x: tf.Tensor;
  y: tf.Tensor1D;
  /** One trainer step (K-FAC's swap-in wait included), then a memory sample. */
  step: () => Promise<void>;
  rates: number[];
  rssPeak: number;
  tfPeak: number;
  error?: string;
}

/** The run's state, warmed up: kernel compilation, K-FAC's first (synchronous) statistics and inverses. */
async function prepare(name: string, optimizer: string): Promise<Run> {
  const spec = specFor(name, optimizer);
  const data = randomData([...DATASET_INPUT_SHAPES[CASES[name].dataset]], 10);
  const state = createTrainingState(spec, data);
  const run: Run = {
    name,
    optimizer,
    state,
    x: tf.tensor(data.train.x, [batch, ...data.inputShape]),
    y: tf.tensor1d(data.train.y, 'int32'),
    step: async () => {
      await state.optimizer.beforeStep?.();
      await trainStep(state, run.x, run.y, 10, spec.optimizer.lr);
      run.rssPeak = Math.max(run.rssPeak, process.memoryUsage().rss);
      run.tfPeak = Math.max(run.tfPeak, tf.memory().numBytes);
    },
    rates: [],
    rssPeak: 0,
    tfPeak: 0,
  };
  await guarded(run, async () => {
    for (let i = 0; i < 2; i++) await run.step();
  });
  return run;
}

/** Runs `f`, recording the first error on the run instead of throwing (the other cases go on). */
async function guarded(run: Run, f: () => Promise<void>): Promise<void> {
  if (run.error) return;
  try {
    await f();
  } catch (e) {
    run.error = (e as Error).message.split('\n')[0];
  }
}

/** One timed window of `--steps` steps: its images/s. */
async function timeWindow(run: Run): Promise<void> {
  await guarded(run, async () => {
    const t0 = performance.now();
    for (let i = 0; i < Number(values.steps); i++) await run.step();
    run.rates.push((batch * Number(values.steps)) / ((performance.now() - t0) / 1000));
  });
}

/**
 * The run's JSON line (after its memory check and kernel profile, if asked for), then its state freed.
 * `sgd`: the same case's SGD images/s, for the step-time ratio of the other optimizers.
 */
async function finish(run: Run, info: BackendInfo, anchor?: AnchorFigure, sgd?: number): Promise<number> {
  const { state } = run;
  const imagesPerSecond = run.rates.length > 0 ? median(run.rates) : Number.NaN;
  let memory: Record<string, number> = {};
  let profile: Record<string, unknown> = {};
  await guarded(run, async () => {
    const memorySteps = Number(values['memory-steps']);
    if (memorySteps > 0) {
      const before = tf.memory();
      const rssBefore = process.memoryUsage().rss;
      for (let i = 0; i < memorySteps; i++) await run.step();
      const after = tf.memory();
      memory = {
        memory_steps: memorySteps,
        tensors_before: before.numTensors,
        tensors_after: after.numTensors,
        tensor_bytes_growth: after.numBytes - before.numBytes,
        rss_growth_mb: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20),
      };
    }
    if (Number(values.profile) > 0) profile = await kernelProfile(run.step, Number(values.profile));
  });
  const base = { case: run.name, optimizer: run.optimizer, batch, backend: info.name };
  if (run.error) console.log(JSON.stringify({ ...base, error: run.error }));
  else
    console.log(
      JSON.stringify({
        ...base,
        images_per_s: +imagesPerSecond.toFixed(1),
        // How much longer this optimizer's step is than SGD's on the same case (K-FAC's target: <= 1.5).
        ...(sgd && run.optimizer !== 'sgd' ? { step_vs_sgd: +(sgd / imagesPerSecond).toFixed(2) } : {}),
        device: withThreads(info, state.dataParallel?.size ?? 1).device,
        threads: state.dataParallel?.size ?? 1,
        peak_rss_mb: Math.round(run.rssPeak / 2 ** 20),
        peak_tensor_mb: Math.round(run.tfPeak / 2 ** 20),
        parameters: state.model.parameterCount(),
        ...memory,
        ...profile,
        ...(anchor ? { pytorch: anchor, ratio: +(imagesPerSecond / anchor.images_per_s).toFixed(2) } : {}),
      }),
    );
  try {
    tf.dispose([run.x, run.y]);
    releaseTrainingState(state);
    state.model.dispose();
  } catch {
    // A backend that failed mid-step (wasm out of memory) may not free cleanly; the next case starts anew.
  }
  return imagesPerSecond;
}

async function main(): Promise<void> {
  const info = await initBackend(values.backend as BackendName, {
    wasmDir: join(__dirname, '..', '..', 'dist', 'wasm'),
  });
  setEigenWorkerPath(join(__dirname, '..', '..', 'dist', 'kfacWorker.js'));
  setGradientWorkerPath(join(__dirname, '..', '..', 'dist', 'gradientWorker.js'));
  const cases = values.cases.split(',');
  for (const name of cases) {
    if (!CASES[name]) throw new Error(`unknown case "${name}" (expected ${Object.keys(CASES).join(', ')})`);
  }
  const optimizers = values.optimizers.split(',');
  const anchors = optimizers.includes('sgd') ? pytorchFigures(info, cases) : new Map<string, AnchorFigure>();
  const windows = Number(values.windows);
  for (const name of cases) {
    let sgd: number | undefined;
    const done = async (run: Run) => {
      const rate = await finish(run, info, run.optimizer === 'sgd' ? anchors.get(name) : undefined, sgd);
      if (run.optimizer === 'sgd' && !run.error) sgd = rate;
    };
    if (values.interleave) {
      // Every optimizer's state at once, their windows taken in turn: a machine whose speed drifts (a shared
      // VM) then slows all of them alike, and the ratios between them hold. SGD's line is printed first.
      const runs: Run[] = [];
      for (const optimizer of optimizers) runs.push(await prepare(name, optimizer));
      for (let w = 0; w < windows; w++) for (const run of runs) await timeWindow(run);
      const order = [...runs].sort((a, b) => Number(b.optimizer === 'sgd') - Number(a.optimizer === 'sgd'));
      for (const run of order) await done(run);
    } else {
      for (const optimizer of optimizers) {
        const run = await prepare(name, optimizer);
        for (let w = 0; w < windows; w++) await timeWindow(run);
        await done(run);
      }
    }
  }
}

/**
 * PyTorch's SGD figures for `cases` on the matching device (CUDA beside a GPU backend), measured now;
 * none, with one JSON line saying why, where no python with torch is found or the anchor fails.
 */
function pytorchFigures(info: BackendInfo, cases: string[]): Map<string, AnchorFigure> {
  if (values.pytorch === 'off') return new Map();
  const python = findTorchPython(values.pytorch === 'auto' ? undefined : values.pytorch);
  if (!python) {
    console.log(
      JSON.stringify({
        pytorch:
          'not run: no python with torch found (Debian: apt-get install python3-torch; or --pytorch PYTHON)',
      }),
    );
    return new Map();
  }
  const gpu = info.name === 'webgpu' || (info.name === 'tensorflow' && /gpu/i.test(info.device));
  try {
    return runAnchor(python, gpu ? 'cuda' : 'cpu', cases);
  } catch (e) {
    console.log(JSON.stringify({ pytorch: `not run: ${(e as Error).message}` }));
    return new Map();
  }
}

/**
 * One step under tf.profile: per kernel name, its total time (ms) and call count, the top `n` by time, and
 * the step's total kernel time (on wasm and cpu the kernels run synchronously, so this is their wall time;
 * webgpu reports GPU timestamps where the adapter allows).
 */
async function kernelProfile(step: () => Promise<void>, n: number): Promise<Record<string, unknown>> {
  const info = await tf.profile(step);
  const byName = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byName.set(k.name, entry);
    total += ms;
  }
  const top = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, n);
  return {
    profile_kernel_ms: Math.round(total),
    profile_top: Object.fromEntries(top.map(([name, e]) => [name, `${Math.round(e.ms)} ms / ${e.calls}`])),
  };
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
