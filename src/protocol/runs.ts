// A run as every reader sees it (docs/architecture.md, The run store): its status and the view of it that
// the results UI needs. The run store (src/runner/runStore.ts) writes run.json; src/runner/runView.ts
// turns it into a RunView.
import type { LayerInfo, TrainingProgress } from './records';

/**
 * Where a run stands. `interrupted`: its owning process died while it was queued or running (resumable);
 * `damaged`: a run folder whose run.json cannot be read, listed but never written to disk.
 */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'interrupted'
  | 'damaged';

/** Where a trial sits in the paper's Table 1 grid (src/spec/setup.ts computes it). */
export interface PaperSetup {
  dataset: string;
  network: string;
  setting: string;
  optimizer: string;
  /** The optimizer's place in the tables' column order (the optimizer registry's order; older runs lack it). */
  optimizerRank?: number;
  variant: string;
}

/** What the charts need to know about one run (a trial of a sweep). */
export interface RunView {
  /** The run directory's name (unique within a runs directory). */
  id: string;
  /** Spec name. */
  name: string;
  /** Sweep group id shared by the trials of one sweep. */
  group: string;
  /** The trial's sweep values by dotted path, e.g. {"regularization.type": "weightDecay", "training.seed": 1}. */
  values: Record<string, unknown>;
  /** Short human label, e.g. "regularization.type=weightDecay, training.seed=1" (or the run id). */
  label: string;
  status: RunStatus;
  /** Failure reason, when failed. */
  error?: string;
  backend?: string;
  progress?: TrainingProgress;
  /** The run's cell in the paper's Table 1 grid: dataset, network, setting, optimizer, variant. */
  setup?: PaperSetup;
  /**
   * run.json `layers` (known once the trainer started): the results UI's layer picker reads which
   * layers are scale-invariant from it.
   */
  layers?: LayerInfo[];
  /** What the mechanism verdict (verdict.ts) compares runs by; absent when spec.json is unreadable. */
  facts?: RunFacts;
}

/**
 * A run's resolved spec as the mechanism verdict (verdict.ts) needs it: two runs whose
 * `config` is equal differ at most in the regularizer (type, coefficient, scope) and the seed.
 * src/runner/runFacts.ts builds it from spec.json.
 */
export interface RunFacts {
  /** `optimizer.type`: sgd, adam, kfac-f, kfac-g, ... */
  optimizer: string;
  /** Its display name (SGD, K-FAC-F, E-KFAC-G, ...), from the optimizer's descriptor. */
  optimizerName: string;
  /** The paper's optimizer whose expectations apply: itself, or the one it derives from (E-KFAC: K-FAC). */
  paperOptimizer: 'sgd' | 'adam' | 'kfac-f' | 'kfac-g';
  /** Whether the paper itself trained this optimizer. */
  inPaper: boolean;
  /** The metric its Mechanism 1 effective LR is logged under; absent where none is defined (K-FAC). */
  effectiveLr?: 'effectiveLr' | 'effectiveLrAdam';
  /** `model.batchNorm`. */
  batchNorm: boolean;
  /** `regularization.type`: none, l2, weightDecay. */
  regularization: string;
  coefficient: number;
  /** `regularization.apply`: all, conv, fc. */
  apply: string;
  seed: number;
  /** The resolved spec without the regularizer's type, coefficient and scope, the seed, names and where it ran. */
  config: string;
}
