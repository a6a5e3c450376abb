// What a training run reports, shared by every layer (docs/architecture.md, Contracts): the engine
// produces these shapes, the runner stores them, the CLI, the extension and the webview read them.
// Nothing here imports anything: this folder is the bottom of the import order.

/** One line of metrics.jsonl: numeric step, epoch and time plus flat metric keys (metrics.ts names them). */
export interface MetricRecord {
  /** Optimizer steps completed. */
  step: number;
  /** Epochs completed, fractional (step / stepsPerEpoch). */
  epoch: number;
  /** Wall-clock seconds of training so far (summed across resumes). */
  time: number;
  [metric: string]: number;
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
  /** Followed by BN without affine: effective LR and angular-update theory apply (docs/science.md section 3). */
  scaleInvariant: boolean;
  /** The regularizer is on (type not none, coefficient > 0) and `apply` selects this layer. */
  decayed: boolean;
  /** Kernel and bias scalars. */
  parameters: number;
}

/** Which engine ran a trial and why the faster ones were skipped (run.json `backend`). */
export interface BackendReport {
  /** The backend that runs: a spec backend name other than `auto` (tensorflow, webgpu, wasm, cpu, ...). */
  name: string;
  /** tfjs's own backend id (`tensorflow`, `wasm`, `cpu`, ...). */
  tfjsBackend: string;
  /** A human description of the device, e.g. "WebAssembly (SIMD, 1 thread)". */
  device: string;
  /** Backends tried first and why they were skipped. */
  skipped: { name: string; reason: string }[];
  versions: Record<string, string>;
  /** Where a faster engine than the one running exists for this machine but is not installed: how to get it. */
  hint?: string;
}
