// The typed message protocol between the runner (parent: CLI or extension host) and the trainer child
// process (docs/architecture.md: one protocol module per boundary; discriminated unions on `type`). Both
// sides import these types; nothing here imports tfjs. The shapes inside the messages are the shared
// contracts of src/protocol/.
import type { BackendReport, LayerInfo, MetricRecord, TrainingProgress } from '../protocol/records';
import type { ExperimentSpec } from '../spec/types';

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
