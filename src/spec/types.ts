// The experiment spec, fully resolved (every default filled in). The JSON Schema in
// schemas/experiment.schema.json is the single source of truth for what a user may write; these
// types mirror it for the code. Field names follow the paper (docs/science.md).

export type DatasetName =
  | 'synthetic-images'
  | 'synthetic-vectors'
  | 'cifar10'
  | 'cifar100'
  | 'mnist'
  | 'fashion-mnist';

export interface DataSpec {
  dataset: DatasetName;
  /** Number of training examples to use (a subset for CPU-scale runs). */
  trainSize: number;
  /** Number of test examples to use. */
  testSize: number;
  /** Random crop with 4-pixel zero padding + horizontal flip (images only). */
  augment: boolean;
  /** Folder holding a real dataset's files (docs/spec.md, Datasets). */
  path?: string;
}

export type Arch = 'mlp' | 'vgg' | 'resnet';

export interface ModelSpec {
  arch: Arch;
  /** vgg: 11/13/16/19; resnet: 20/32/44/56; unused for mlp. */
  depth: number;
  /** Channel multiplier (vgg: 64..512 x width; resnet: [16,32,64] x width). */
  width: number;
  /** BN without gamma/beta after every conv/hidden layer except the last (docs/science.md section 1). */
  batchNorm: boolean;
  /** BN moving-average momentum: moving <- m * moving + (1 - m) * batch (the official code: 0.99). */
  batchNormMomentum: number;
  /** Hidden layer sizes of an MLP. */
  hidden: number[];
}

export interface SgdSpec {
  type: 'sgd';
  lr: number;
  momentum: number;
  nesterov: boolean;
}

export interface AdamSpec {
  type: 'adam';
  lr: number;
  betas: [number, number];
  eps: number;
}

export interface KfacSpec {
  type: 'kfac-f' | 'kfac-g';
  lr: number;
  momentum: number;
  /** Tikhonov damping lambda_d (docs/science.md section 6). */
  damping: number;
  /** EMA weight of the old factor: cov <- statDecay * cov + (1 - statDecay) * new (0.95). */
  statDecay: number;
  /** Factor statistics every T_cov steps (10). */
  statsEvery: number;
  /** Eigendecompositions of the factors every T_inv steps (100). */
  inverseEvery: number;
  /** KL clip of the preconditioned step; absent = no clipping. */
  klClip?: number;
  /** factored = the official pi-adjusted Tikhonov; eigen = exact Tikhonov in the Kronecker eigenbasis. */
  dampingScheme: 'factored' | 'eigen';
  /**
   * How the damped factors are inverted every T_inv steps: eigendecomposition (float64, CPU worker threads) or
   * newtonSchulz (float32 matmuls on the training backend; factored scheme only). auto = newtonSchulz on a GPU
   * or native TensorFlow backend with the factored scheme, else eigendecomposition.
   */
  inverseMethod: KfacInverseMethod | 'auto';
  /**
   * When new inverses take effect: synchronous (official: at the T_inv-th step, from that step on) or
   * asynchronous (eigendecompositions in worker threads, swapped in T_inv steps later).
   */
  inverseSchedule: 'synchronous' | 'asynchronous';
  /** Factors initialised by averaging over this many training batches before the first step (0: first stats batch). */
  initStatsBatches: number;
}

export type KfacInverseMethod = 'eigendecomposition' | 'newtonSchulz';

/**
 * E-KFAC (docs/science.md section 8): K-FAC's fields less those about inverting the factors — the eigenbasis
 * is always an eigendecomposition, on the official synchronous schedule, and the damping is Tikhonov on the
 * corrected eigenvalues (s + lambda).
 */
export interface EkfacSpec {
  type: 'ekfac-f' | 'ekfac-g';
  lr: number;
  momentum: number;
  damping: number;
  statDecay: number;
  statsEvery: number;
  inverseEvery: number;
  klClip?: number;
  initStatsBatches: number;
}

export type OptimizerSpec = SgdSpec | AdamSpec | KfacSpec | EkfacSpec;
export type OptimizerType = OptimizerSpec['type'];

export type RegularizationType = 'none' | 'l2' | 'weightDecay';
/** all = every kernel and bias (wd-all); conv = all but the last layer (wd-conv); fc = last layer (wd-fc). */
export type DecayScope = 'all' | 'conv' | 'fc';

export interface RegularizationSpec {
  type: RegularizationType;
  /** lambda in docs/science.md section 2. */
  coefficient: number;
  apply: DecayScope;
  /**
   * The paper's wn-conv (docs/science.md section 3): after every epoch, rescale each selected layer's kernel to
   * the norm `weightNorm/<layer>` the reference run recorded at that epoch's end. Absent: off.
   */
  normTransfer?: NormTransferSpec;
}

export interface NormTransferSpec {
  /** The reference run's folder; relative to the spec file's folder. */
  referenceRun: string;
  apply: DecayScope;
}

export type ScheduleSpec =
  | { type: 'constant' }
  /** Staircase: lr * factor^floor(t / every); exactly one of everyEpochs / everySteps. */
  | { type: 'step'; factor: number; everyEpochs?: number; everySteps?: number }
  | { type: 'multiStep'; factor: number; milestones: number[] }
  | { type: 'cosine'; minLr: number };

export type BackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  testBatchSize: number;
  seed: number;
  backend: BackendName;
  /**
   * Threads computing each step's gradient on wasm/cpu (data parallel, BN statistics summed across shards:
   * engine/parallel/). auto: engine/parallel/threads.ts.
   */
  threads: 'auto' | number;
  /** Train metrics (loss, accuracy, lr, weight norms, effective LR) every N steps. */
  logEverySteps: number;
  /** Write a checkpoint every N epochs (and always at the end and on cancel). */
  checkpointEveryEpochs: number;
}

/** How the input-output Jacobian norm is measured (docs/science.md section 4). */
export type JacobianMode = 'exact' | 'projection' | 'off';

/**
 * What the trainer measures besides loss and accuracy (docs/science.md sections 3 and 4). Mechanism-1 metrics
 * (weight norms, effective LR, angular update) come with every record; the extra-pass ones below run at
 * epoch ends, and every `everySteps` steps when that is > 0.
 */
export interface MetricsSpec {
  /** Extra-pass metrics every N steps besides epoch ends; 0 = epoch ends only. */
  everySteps: number;
  jacobian: JacobianMode;
  /** Draws of v ~ N(0, I_C) for jacobian = projection. */
  jacobianProjections: number;
  /** The first N test examples: the fixed held-out batch of jacobianNorm and gnNorm. */
  jacobianBatch: number;
  /** theta^T G theta with the squared-error Gauss-Newton G = E[J_theta^T J_theta]. */
  gaussNewton: boolean;
  /** The first N training examples, evaluated in inference mode; 0 = off. */
  trainEvalSize: number;
}

/** Dotted spec path -> list of values; the cartesian product is the set of trials. */
export type SweepSpec = Record<string, unknown[]>;

export interface ExperimentSpec {
  name: string;
  description: string;
  data: DataSpec;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  regularization: RegularizationSpec;
  schedule: ScheduleSpec;
  training: TrainingSpec;
  metrics: MetricsSpec;
  sweep: SweepSpec;
}

/** One concrete run of a sweep: a full spec with the sweep values applied (and `sweep` emptied). */
export interface Trial {
  index: number;
  count: number;
  /** The sweep values of this trial, by dotted path, in sweep-key order (a case's paths in its key order). */
  values: Record<string, unknown>;
  /** The entry of `sweep.cases` this trial applied, if the sweep has cases. */
  case?: TrialCase;
  spec: ExperimentSpec;
}

/** Which case of `sweep.cases` a trial applied: its position, its label, and the paths it set. */
export interface TrialCase {
  index: number;
  label?: string;
  paths: string[];
}

// ---- Diagnostics: every problem in a spec carries where and why. ----

export type Severity = 'error' | 'warning';

export interface SpecDiagnostic {
  severity: Severity;
  message: string;
  /** JSON path in dotted/bracket form, e.g. `optimizer.momentum` or `sweep["training.seed"][1]`. */
  path: string;
  /** 1-based line and column of the start of the offending node (or key). */
  line: number;
  column: number;
  /** 0-based character offset and length of the node, for editors. */
  offset: number;
  length: number;
  /**
   * What the message's "did you mean" proposes instead of the key or string value at offset/length (its
   * text without quotes): an editor's quick fix writes it there.
   */
  suggestion?: string;
}
