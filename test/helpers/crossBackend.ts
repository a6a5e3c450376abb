// The cross-backend step comparison (backends.test.ts, tensorflowBackend.test.ts): the same training step,
// same initial weights, same batch, on the pure-JS `cpu` backend (the reference) and on another backend.
// Compared: the losses and the weight updates (relative L2 error) for an MLP with BN under SGD, a small
// ResNet with BN under SGD (convolutions and their gradients, BN, residual blocks), an MLP under K-FAC-G,
// the ResNet under K-FAC-F and an MLP under AdamW.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { type BackendInfo, initBackend } from '../../src/engine/backend';
import { loadDataset } from '../../src/engine/data/registry';
import { KfacOptimizer } from '../../src/engine/optimizers';
import { read } from '../../src/engine/read';
import { tf } from '../../src/engine/tf';
import { createTrainingState, trainStep } from '../../src/engine/trainer';
import { loadSpecText } from '../../src/spec';
import type { BackendName, ExperimentSpec } from '../../src/spec/types';
import { wasmDir } from './backend';
import { relativeError } from './compare';

function spec(over: object): ExperimentSpec {
  const loaded = loadSpecText(JSON.stringify({ name: 'backends', ...over }));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.spec!;
}

export const cases: { label: string; spec: ExperimentSpec }[] = [
  {
    label: 'MLP 64-[32, 32]-10 with BN, SGD + momentum + weight decay',
    spec: spec({
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 16 },
      model: { arch: 'mlp', hidden: [32, 32], batchNorm: true },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
      regularization: { type: 'weightDecay', coefficient: 5e-4 },
      training: { batchSize: 32 },
    }),
  },
  {
    label: 'ResNet20 width 0.25 with BN, SGD + momentum + L2',
    spec: spec({
      data: { dataset: 'synthetic-images', trainSize: 16, testSize: 8 },
      model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
      regularization: { type: 'l2', coefficient: 1e-3 },
      training: { batchSize: 8, testBatchSize: 8 },
    }),
  },
  {
    // K-FAC-G's sampled logit noise comes from a host-side seeded generator (tf.randomNormal), so the
    // curvature is the same on every backend. cpu and wasm eigendecompose the factors on the host (float64);
    // webgpu inverts them on the device by Newton-Schulz (inverseMethod auto), so this case also checks
    // that method against the eigenbasis, inside the 1e-4 tolerance.
    label: 'MLP 64-[32]-10 with BN, K-FAC-G (statistics and inverses at the step)',
    spec: spec({
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 16 },
      model: { arch: 'mlp', hidden: [32], batchNorm: true },
      optimizer: { type: 'kfac-g', lr: 0.01, damping: 0.01, statsEvery: 1, inverseEvery: 1 },
      regularization: { type: 'weightDecay', coefficient: 1e-3 },
      training: { batchSize: 32 },
    }),
  },
  {
    // K-FAC-F on conv layers: its targets come from one host-side seeded uniform per example (the inverse
    // CDF of the softmax), the conv patches from an identity conv with a fused bias, and the sampled
    // backward pass from one taped forward (kfac/curvature.ts, factors.ts) — all the same on every backend.
    label: 'ResNet20 width 0.25 with BN, K-FAC-F (statistics and inverses at the step)',
    spec: spec({
      data: { dataset: 'synthetic-images', trainSize: 16, testSize: 8 },
      model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
      optimizer: { type: 'kfac-f', lr: 0.01, damping: 0.01, statsEvery: 1, inverseEvery: 1 },
      regularization: { type: 'weightDecay', coefficient: 1e-3 },
      training: { batchSize: 8, testBatchSize: 8 },
    }),
  },
  {
    // No BN here: Adam divides each update by its own gradient scale, so a gradient that is float noise
    // (the bias of a layer followed by BN) becomes a full-size step whose sign no backend can agree on.
    label: 'MLP 64-[32]-10 without BN, AdamW',
    spec: spec({
      data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 16 },
      model: { arch: 'mlp', hidden: [32], batchNorm: false },
      optimizer: { type: 'adam', lr: 1e-3 },
      regularization: { type: 'weightDecay', coefficient: 0.1 },
      training: { batchSize: 32 },
    }),
  },
];

interface Outcome {
  losses: number[];
  /** Parameter updates (after - before) by name. */
  updates: Map<string, Float32Array>;
  /** K-FAC cases: how the factors were inverted on this backend. */
  inverseMethod?: string;
}

/** One step on the current backend from the given initial weights (or the model's own, returned for the others). */
async function oneStep(
  c: (typeof cases)[number],
  initial?: Map<string, Float32Array>,
): Promise<Outcome & { initial: Map<string, Float32Array> }> {
  const data = await loadDataset(c.spec.data);
  const state = createTrainingState(c.spec, data);
  try {
    if (initial)
      for (const p of state.params) p.variable.assign(tf.tensor(initial.get(p.name)!, p.variable.shape));
    const start = new Map<string, Float32Array>();
    for (const p of state.params) start.set(p.name, Float32Array.from(await read(p.variable)));
    // The first `batch` training examples (the spec's batch size).
    const batch = c.spec.training.batchSize;
    const features = data.inputShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(data.train.x.subarray(0, batch * features), [batch, ...data.inputShape]);
    const y = tf.tensor1d(data.train.y.subarray(0, batch), 'int32');
    const [loss] = await trainStep(state, x, y, data.numClasses, c.spec.optimizer.lr);
    tf.dispose([x, y]);
    const losses = [loss];
    const updates = new Map<string, Float32Array>();
    for (const p of state.params) {
      const after = await read(p.variable);
      updates.set(
        p.name,
        Float32Array.from(after, (v, i) => v - start.get(p.name)![i]),
      );
    }
    const inverseMethod =
      state.optimizer instanceof KfacOptimizer ? state.optimizer.inverseMethod : undefined;
    return { losses, updates, initial: start, inverseMethod };
  } finally {
    state.model.dispose();
    state.optimizer.dispose();
  }
}

/**
 * Runs case `c` on cpu and on `other`, and asserts that the updates agree within `tolerance` and the losses
 * within 1e-3 relative. `unavailable(reason)` decides what happens when `other` does not start here.
 */
export async function compareWithCpu(
  t: TestContext,
  c: (typeof cases)[number],
  other: Exclude<BackendName, 'auto' | 'cpu'>,
  tolerance: number,
  unavailable: (reason: string) => void,
): Promise<void> {
  await initBackend('cpu');
  const reference = await oneStep(c);
  let info: BackendInfo;
  try {
    info = await initBackend(other, { wasmDir: wasmDir() });
  } catch (e) {
    unavailable((e as Error).message);
    return;
  }
  try {
    const got = await oneStep(c, reference.initial);
    if (reference.inverseMethod) {
      assert.equal(reference.inverseMethod, 'eigendecomposition');
      // auto: Newton-Schulz on the device for webgpu and tensorflow (spec/inverseMethod.ts).
      const expected = other === 'wasm' ? 'eigendecomposition' : 'newtonSchulz';
      assert.equal(got.inverseMethod, expected, 'inverseMethod auto');
    }
    // Per kernel, and over all parameters together: the biases of layers followed by BN have no true
    // gradient (BN subtracts them), so alone their updates are float noise and have no relative error.
    const kernels = [...reference.updates].filter(([name]) => name.endsWith('/kernel'));
    const concat = (m: Map<string, Float32Array>) =>
      Float32Array.from([...m.values()].flatMap((a) => [...a]));
    const worst = Math.max(
      relativeError(concat(got.updates), concat(reference.updates)),
      ...kernels.map(([name, ref]) => relativeError(got.updates.get(name)!, ref)),
    );
    t.diagnostic(`${info.device}: worst relative update error ${worst.toExponential(2)}`);
    assert.ok(worst < tolerance, `worst relative error of an update ${worst} (tolerance ${tolerance})`);
    for (const [i, l] of got.losses.entries()) {
      assert.ok(
        Math.abs(l - reference.losses[i]) < 1e-3 * Math.abs(reference.losses[i]),
        `loss ${i}: ${l} vs ${reference.losses[i]}`,
      );
    }
  } finally {
    await initBackend('cpu');
  }
}
