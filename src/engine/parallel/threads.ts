// How many threads compute a step's gradient (spec: training.threads). tfjs runs its wasm kernels on one
// thread under Node (docs/engines.md, Backends), so the other cores are used by data parallelism
// instead: the batch split into shards, one thread each (parallel/dataParallel.ts).

import { availableParallelism } from 'node:os';
import { backendDescriptor } from '../../spec/backends';
import type { ExperimentSpec } from '../../spec/types';

/** auto never starts more than this many (each thread holds its own network and shard activations). */
export const AUTO_THREADS_MAX = 4;

/**
 * Threads for this spec on this backend (its descriptor's `gradientThreads`): explicit values on wasm/cpu
 * (at most one per example); auto = one per core, at most AUTO_THREADS_MAX, for VGG/ResNet on wasm, else 1
 * (an MLP step takes milliseconds, less than passing weights and gradients between threads). GPU and
 * native backends: always 1.
 */
export function resolveThreads(
  spec: ExperimentSpec,
  backend: string,
  cores = availableParallelism(),
): number {
  const { gradientThreads } = backendDescriptor(backend).capabilities;
  if (gradientThreads === 'none') return 1;
  const { threads, batchSize } = spec.training;
  if (threads !== 'auto') return Math.max(1, Math.min(threads, batchSize));
  if (gradientThreads !== 'auto' || spec.model.arch === 'mlp') return 1;
  return Math.max(1, Math.min(cores, AUTO_THREADS_MAX, batchSize));
}

/** Shard sizes of a batch of n over p threads: as even as possible, the larger ones first. */
export function shardSizes(n: number, p: number): number[] {
  const base = Math.floor(n / p);
  return Array.from({ length: p }, (_, i) => base + (i < n % p ? 1 : 0));
}
