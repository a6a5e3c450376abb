// The typed message protocol between the runner (parent: CLI or extension host) and the trainer child
// process (architecture.md: one protocol module per boundary; discriminated unions on `type`). Both
// sides import these types; nothing here imports tfjs.
import type { ExperimentSpec } from '../spec/types';

/** One line of metrics.jsonl: numeric step and epoch plus flat metric keys (`train/loss`, `lr`, ...). */
export interface MetricRecord {
  /** Optimizer steps completed. */
  step: number;
  /** Epochs completed, fractional (step / stepsPerEpoch). */
  epoch: number;
  /** Wall-clock seconds of training so far (summed across resumes). */
  time: number;
  [metric: string]: number;
}

export interface BackendReport {
  name: string;
  tfjsBackend: string;
  device: string;
  skipped: { name: string; reason: string }[];
  versions: Record<string, string>;
  /** How to get a faster engine for this machine, where one exists but is not installed. */
  hint?: string;
}

export interface TrainingProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
}

/** One linear layer of the trained model, as the metrics see it (run.json `layers`). */
export interface LayerInfo {
  /** The name in metric keys (`weightNorm/<name>`, ...). */
  name: string;
  kind: string;
  /** Followed by BN without affine: effective LR and angular-update theory apply (science.md section 3). */
  scaleInvariant: boolean;
  /** The regularizer is on (type not none, coefficient > 0) and `apply` selects this layer. */
  decayed: boolean;
  /** Kernel and bias scalars. */
  parameters: number;
}

// ---- parent -> trainer ----

export interface StartMessage {
  type: 'start';
  spec: ExperimentSpec;
  runDir: string;
  /** Continue from runDir/checkpoint instead of starting fresh. */
  resume: boolean;
}

/** Finish the current step, write a checkpoint, report `done` with status cancelled, exit. */
export interface StopMessage {
  type: 'stop';
}

export type ToTrainer = StartMessage | StopMessage;

// ---- trainer -> parent ----

export interface ReadyMessage {
  type: 'ready';
  backend: BackendReport;
  parameterCount: number;
  /** The step training starts from (0, or the checkpoint's step on resume). */
  startStep: number;
  totalSteps: number;
  /** The model's linear layers in forward order (absent from trainers older than the field). */
  layers?: LayerInfo[];
  /** K-FAC: how and when its factors are inverted (schedule and lag), for run.json. */
  kfacInverses?: string;
}

export interface MetricsMessage {
  type: 'metrics';
  record: MetricRecord;
}

export interface ProgressMessage {
  type: 'progress';
  progress: TrainingProgress;
}

export interface CheckpointMessage {
  type: 'checkpoint';
  step: number;
}

export interface DoneMessage {
  type: 'done';
  status: 'completed' | 'cancelled' | 'failed';
  /** Why it failed (e.g. "diverged at step 17"); absent otherwise. */
  reason?: string;
  stack?: string;
  progress: TrainingProgress;
}

export type FromTrainer = ReadyMessage | MetricsMessage | ProgressMessage | CheckpointMessage | DoneMessage;

export function isFromTrainer(m: unknown): m is FromTrainer {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
