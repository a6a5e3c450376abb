// Messages between the training thread and its gradient workers (parallel/dataParallel.ts,
// parallel/gradientWorker.ts). Weights and gradients travel through shared memory, not messages; K-FAC's
// factor sums, computed every T_cov steps only, are transferred with their reply.
import type { ExperimentSpec } from '../../spec/types';
import type { CurvatureKind } from '../optimizers/kfac/curvature';
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

/** K-FAC's statistics pass on the worker's shard (kfac/statistics.ts), at the weights in shared memory. */
export interface StatisticsMessage {
  type: 'statistics';
  x: Float32Array;
  kind: CurvatureKind;
  /** The shard's rows of the batch's curvature noise (curvature.ts), row-major. */
  noise: Float32Array;
  noiseColumns: number;
}

export type ToGradientWorker = InitMessage | StepMessage | StatisticsMessage;

/** One layer's factor sums over the worker's rows, in the model's layer order (transferred, not copied). */
export interface LayerSums {
  A: Float32Array;
  S: Float32Array;
  rows: number;
}

export type FromGradientWorker =
  | { type: 'ready' }
  | { type: 'done'; loss: number; correct: number; missing: number[] }
  | { type: 'statistics'; layers: LayerSums[] }
  | { type: 'error'; message: string };
