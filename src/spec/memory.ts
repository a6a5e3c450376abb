// How much memory one training step of a spec needs, from the spec alone (layout.ts), so that the validator
// can warn before a trainer grows past what the machine or the backend can hold. An estimate, in float32:
//
//   weights      P x 4 bytes, and as much again for their gradients
//   optimizer    what each optimizer's descriptor declares (spec/optimizers/): SGD with momentum one slot
//                per weight, Adam two, K-FAC momentum and per layer its factors, their running averages and
//                their inverses (3 x (d_A² + d_S²)), E-KFAC that and its corrected eigenvalues
//   activations  batch x (input + every layer's output) x 4 bytes x ACTIVATION_COPIES: what the backward
//                pass keeps (the layer's output, BN's normalised output, the ReLU's output), the gradient
//                flowing through it and the temporaries beside it
import { backendDescriptor } from './backends';
import { networkLayout } from './layout';
import { optimizerDescriptor } from './optimizers';
import type { ExperimentSpec } from './types';

/**
 * Float32 copies of each layer's output alive at the peak of a step (saved activations and gradients).
 * Calibrated on the wasm heap's high-water mark of ResNet32-BN x4 at batch 128, 3.6 GB (docs/performance.md):
 * 5 copies estimate 3.3 GB there, and reach wasm's 4 GiB near batch 165.
 */
export const ACTIVATION_COPIES = 5;

/** The most the wasm backend can address: 32-bit WebAssembly memory. */
export const WASM_MEMORY_BYTES = backendDescriptor('wasm').capabilities.memoryLimitBytes!;

export interface StepMemory {
  parameters: number;
  weights: number;
  optimizer: number;
  activations: number;
  total: number;
}

export function estimateStepMemory(
  spec: Pick<ExperimentSpec, 'data' | 'model' | 'regularization' | 'optimizer' | 'training'>,
): StepMemory {
  const layout = networkLayout(spec);
  const P = layout.parameters;
  const weights = 2 * 4 * P;
  const opt = spec.optimizer;
  const slots = optimizerDescriptor(opt.type).stateFloats(
    opt,
    P,
    layout.layers.map((l) => l.kfac),
  );
  const optimizer = 4 * slots;
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const perExample = size(layout.inputShape) + layout.layers.reduce((s, l) => s + size(l.outputShape), 0);
  const activations = 4 * ACTIVATION_COPIES * spec.training.batchSize * perExample;
  return { parameters: P, weights, optimizer, activations, total: weights + optimizer + activations };
}

/** `1.2 GB`, `350 MB`. */
export const formatBytes = (bytes: number): string =>
  bytes >= 1e9 ? `${(bytes / 1e9).toPrecision(3)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
