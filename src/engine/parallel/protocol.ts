// Messages between the training thread and its gradient workers (parallel/dataParallel.ts,
// parallel/gradientWorker.ts). Weights and gradients travel through shared memory, not messages.
import type { ExperimentSpec } from '../../spec/types';
import type { ShardGroupLayout } from './shardGroup';

export interface InitMessage {
  type: 'init';
  spec: ExperimentSpec;
  inputShape: number[];
  numClasses: number;
  /** tfjs backend the training thread runs (wasm or cpu). */
  backend: 'wasm' | 'cpu';
  group: ShardGroupLayout;
  rank: number;
  /** Float32 weights of every variable, in the model's order, written by the training thread each step. */
  weights: SharedArrayBuffer;
  /** This worker's gradients, same layout. */
  gradients: SharedArrayBuffer;
}

export interface StepMessage {
  type: 'step';
  x: Float32Array;
  y: Int32Array;
  /** Examples in the whole batch (all shards). */
  batchSize: number;
}

export type ToGradientWorker = InitMessage | StepMessage;

export type FromGradientWorker =
  | { type: 'ready' }
  | { type: 'done'; loss: number; correct: number; missing: number[] }
  | { type: 'error'; message: string };
