// The metric registry (docs/architecture.md, Adding a metric): every key a trainer writes to
// metrics.jsonl, with the chart section it belongs to, what it means and the paper's section. The engine
// builds keys through `metricKey`, so a key that is not here cannot be emitted; the results UI takes its
// sections, order and "?" help from here; the README's metric table is rendered from here
// (`wdlab metrics --markdown`, checked by test/unit/cli/metricTable.test.ts).

/** Chart sections of the results UI, in the paper's order. */
export type MetricFamily = 'accuracyLoss' | 'lr' | 'mechanism1' | 'mechanism2' | 'mechanism3' | 'other';

export const METRIC_FAMILIES: readonly { id: MetricFamily; title: string }[] = [
  { id: 'accuracyLoss', title: 'Accuracy & loss' },
  { id: 'lr', title: 'Learning rate' },
  { id: 'mechanism1', title: 'Mechanism 1 · effective learning rate' },
  { id: 'mechanism2', title: 'Mechanism 2 · Jacobian norm' },
  { id: 'mechanism3', title: 'Mechanism 3 · effective damping' },
  { id: 'other', title: 'Other' },
];

/**
 * An accuracy (a fraction in metrics.jsonl) as every view shows it: percent with one decimal,
 * 0.8734 -> "87.3%" (the Runs view, the CLI's tables, the verdict, the run table).
 */
export function formatAccuracy(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/** When a trainer logs a metric. */
export type MetricSchedule = 'every record' | 'extra-pass points' | 'epoch ends';

export interface MetricDef {
  /** The key, or for per-layer metrics the part before `/<layer>`. */
  stem: string;
  family: MetricFamily;
  /** Logged once per linear layer as `<stem>/<layer>` (run.json `layers` names them). */
  perLayer: boolean;
  /** What the number is measured in. */
  unit: string;
  /** The formula or definition, one line (the README table and `wdlab metrics`). */
  formula: string;
  /** The chart's "?" text: what to look for. */
  help: string;
  /** Where it comes from: the paper's section (docs/science.md has the same numbering), or "—". */
  section: string;
  when: MetricSchedule;
  /** Which runs log it, when not every run. */
  only?: string;
  /** A `theory/<key>` prediction exists and is drawn dashed over the measured curve. */
  theory?: boolean;
  /** Spans decades: the chart opens on a log y axis (the paper plots these on log axes). */
  logY?: boolean;
}

// Order within a family = chart order in the results UI.
const DEFS = [
  {
    stem: 'train/loss',
    family: 'accuracyLoss',
    perLayer: false,
    unit: 'nats',
    formula: 'cross-entropy on the training batches since the previous record (BN in training mode)',
    help: 'Cross-entropy on the training batches, averaged since the previous record.',
    section: '§1',
    when: 'every record',
  },
  {
    stem: 'trainEval/loss',
    family: 'accuracyLoss',
    perLayer: false,
    unit: 'nats',
    formula: 'cross-entropy on the first `metrics.trainEvalSize` training examples, BN in inference mode',
    help: 'Cross-entropy on the training set evaluated like the test set (BN in inference mode).',
    section: '§4',
    when: 'extra-pass points',
  },
  {
    stem: 'test/loss',
    family: 'accuracyLoss',
    perLayer: false,
    unit: 'nats',
    formula: 'cross-entropy on the test set, BN in inference mode (moving averages)',
    help: 'Cross-entropy on the test set (BN in inference mode), at step 0 and every epoch end.',
    section: '§1',
    when: 'extra-pass points',
  },
  {
    stem: 'train/accuracy',
    family: 'accuracyLoss',
    perLayer: false,
    unit: 'fraction',
    formula: 'accuracy on the training batches since the previous record',
    help: 'Accuracy on the training batches, averaged since the previous record.',
    section: '§1',
    when: 'every record',
  },
  {
    stem: 'trainEval/accuracy',
    family: 'accuracyLoss',
    perLayer: false,
    unit: 'fraction',
    formula: 'accuracy on the `trainEval` examples, BN in inference mode',
    help: 'Accuracy on the training set evaluated like the test set (BN in inference mode).',
    section: '§4',
    when: 'extra-pass points',
  },
  {
    stem: 'test/accuracy',
    family: 'accuracyLoss',
    perLayer: false,
    unit: 'fraction',
    formula: 'accuracy on the test set, BN in inference mode',
    help: 'Accuracy on the test set (BN in inference mode), at step 0 and every epoch end.',
    section: '§1',
    when: 'extra-pass points',
  },
  {
    stem: 'lr',
    family: 'lr',
    perLayer: false,
    unit: '1',
    formula: 'η after the schedule, of the step that ended at this record',
    help: 'The scheduled learning rate η(t).',
    section: '§1',
    when: 'every record',
  },
  {
    stem: 'weightNorm',
    family: 'mechanism1',
    perLayer: true,
    unit: '1',
    formula: '‖W‖_F of the kernel',
    help: '‖W‖_F of the layer. Without weight decay it grows under BN, with weight decay it levels off (paper §3).',
    section: '§3',
    when: 'every record',
    logY: true,
  },
  {
    stem: 'effectiveLr',
    family: 'mechanism1',
    perLayer: true,
    unit: '1',
    formula: 'η / ‖W‖²',
    help: 'Effective learning rate η/‖W‖² of the direction W/‖W‖ of a scale-invariant (BN) layer under SGD (paper §3).',
    section: '§3',
    when: 'every record',
    only: 'SGD, scale-invariant layers',
    logY: true,
  },
  {
    stem: 'effectiveLrAdam',
    family: 'mechanism1',
    perLayer: true,
    unit: '1',
    formula: "η / ‖W‖ (first power: Adam's step ignores the gradient's scale)",
    help: "Adam runs: η/‖W‖ — Adam's step does not scale with the gradient, so the angular step goes like η/‖W‖ (first power; derived, paper §3).",
    section: '§3',
    when: 'every record',
    only: 'Adam, scale-invariant layers',
    logY: true,
  },
  {
    stem: 'angularUpdate',
    family: 'mechanism1',
    perLayer: true,
    unit: 'rad',
    formula: 'angle between the kernel before and after the step: atan2(‖Δ⊥‖, ‖W‖ + ⟨W, Δ⟩/‖W‖)',
    help: 'Measured angle between the kernel before and after one step (any optimizer). Dotted: the equilibrium theory √(2ηλ/(1+μ)) for SGD with momentum μ, √(2ηλ(1−β₁)/(1+β₁)) for AdamW.',
    section: '§3',
    when: 'every record',
    theory: true,
    logY: true,
  },
  {
    stem: 'jacobianNorm',
    family: 'mechanism2',
    perLayer: false,
    unit: '1',
    formula: 'E_x ‖∂f(x)/∂x‖²_F, f = logits, on `metrics.jacobianBatch` test inputs (exact, or E_v ‖vᵀJ‖²)',
    help: 'Input-output Jacobian norm E‖∂f(x)/∂x‖²_F on held-out inputs; K-FAC-G weight decay penalises it (paper §4).',
    section: '§4',
    when: 'extra-pass points',
  },
  {
    stem: 'gnNorm',
    family: 'mechanism2',
    perLayer: false,
    unit: '1',
    formula: 'θᵀGθ = E_x ‖J_θ θ‖², G the squared-error Gauss-Newton (H = I), all kernels and biases',
    help: 'Gauss-Newton norm θᵀGθ = E‖J_θ θ‖² with squared-error GN (H = I, the K-FAC-G convention); for deep linear nets (L+1)²‖J_x‖²_F (paper §4).',
    section: '§4',
    when: 'extra-pass points',
  },
  {
    stem: 'kfacGnNorm',
    family: 'mechanism2',
    perLayer: false,
    unit: '1',
    formula: 'θᵀ(Σ_l T_l A_l ⊗ S_l)θ with exact factors on gnNorm’s batch (H = I): K-FAC’s view of gnNorm',
    help: 'K-FAC Gauss-Newton norm θᵀ(Σₗ Tₗ Aₗ⊗Sₗ)θ on the held-out batch (BN in inference mode, H = I, as gnNorm): the regulariser weight decay implies under K-FAC-G; for deep linear nets (L+1)‖J_x‖²_F on whitened inputs (paper §4).',
    section: '§4',
    when: 'extra-pass points',
    only: 'K-FAC and E-KFAC',
  },
  {
    stem: 'generalizationGap',
    family: 'mechanism2',
    perLayer: false,
    unit: 'nats',
    formula: '`test/loss` − `trainEval/loss`',
    help: 'Test loss − train loss (paper Fig. 5: it tracks the Jacobian norm).',
    section: '§4',
    when: 'extra-pass points',
  },
  {
    stem: 'effectiveDamping',
    family: 'mechanism3',
    perLayer: true,
    unit: '1',
    formula: 'ρ = λ_d / `curvatureScale`; ρ ≫ 1 is the first-order regime',
    help: "ρ = λ_d / mean eigenvalue of the layer's curvature (K-FAC: T·trA/d_A·trS/d_S; E-KFAC: the mean of its corrected eigenvalues); ρ ≫ 1 means the optimizer acts first-order (paper §5).",
    section: '§5',
    when: 'every record',
    only: 'K-FAC and E-KFAC',
    logY: true,
  },
  {
    stem: 'curvatureScale',
    family: 'mechanism3',
    perLayer: true,
    unit: '1',
    formula:
      'the mean eigenvalue of the layer’s curvature block: K-FAC T (tr A/d_A)(tr S/d_S); E-KFAC mean s',
    help: "Mean eigenvalue of the layer's curvature block, T·(trA/d_A)·(trS/d_S) (E-KFAC: the mean of its corrected eigenvalues): the Fisher shrinks as predictions get confident, the GN does not (paper §5).",
    section: '§5',
    when: 'every record',
    only: 'K-FAC and E-KFAC',
    logY: true,
  },
  {
    stem: 'kfac/factorNorm',
    family: 'mechanism3',
    perLayer: false,
    unit: '1',
    formula: 'θᵀ(Σ_l T_l A_l ⊗ S_l)θ with the optimizer’s own running-average factors',
    help: "θᵀ(Σₗ Tₗ Aₗ⊗Sₗ)θ with the optimizer's own running-average factors (training batches, sampled targets); under K-FAC-G they carry the official output covariance 2I, so this is about twice kfacGnNorm.",
    section: '§6',
    when: 'every record',
    only: 'K-FAC and E-KFAC',
  },
  {
    stem: 'kfac/klClip',
    family: 'mechanism3',
    perLayer: false,
    unit: '1',
    formula: 'ν = min(1, √(κ / (η² Σ gᵀ C⁻¹ g))) of the last step',
    help: 'K-FAC KL-clip coefficient ν = min(1, √(κ / (η² Σ g·C⁻¹g))) applied to the preconditioned step (paper code; no-BN configs).',
    section: '§6',
    when: 'every record',
    only: 'K-FAC and E-KFAC with `klClip`',
  },
  {
    stem: 'kfac/inverseResidual',
    family: 'mechanism3',
    perLayer: false,
    unit: '1',
    formula: 'max over factors of ‖I − MX‖_F/√n of the float32 inverses in use (M the damped factor)',
    help: 'K-FAC with Newton-Schulz inverses: the largest ‖I − (F + shift·I)X‖_F/√n of the float32 factor inverses in use; about κ·1e-7 (κ = condition of the damped factor).',
    section: '§6',
    when: 'every record',
    only: 'K-FAC with `inverseMethod` newtonSchulz',
  },
  {
    stem: 'normTransfer',
    family: 'other',
    perLayer: true,
    unit: '1',
    formula: 'α with which the kernel was rescaled to the reference run’s ‖W‖ at this epoch end',
    help: "Weight-norm transfer (the paper's wn-conv control): the factor each selected kernel was rescaled by to take the reference run's norm.",
    section: '§3',
    when: 'epoch ends',
    only: 'runs with `regularization.normTransfer`',
  },
  {
    stem: 'time/train',
    family: 'other',
    perLayer: false,
    unit: 's',
    formula: 'seconds of optimizer steps since the previous record',
    help: 'Wall-clock seconds spent training since the previous record.',
    section: '—',
    when: 'every record',
  },
  {
    stem: 'time/metrics',
    family: 'other',
    perLayer: false,
    unit: 's',
    formula: 'seconds spent measuring since the previous record (this record’s measurements included)',
    help: 'Wall-clock seconds spent on extra-pass metrics (Jacobian, GN norm, evaluations) since the previous record.',
    section: '—',
    when: 'every record',
  },
] as const satisfies readonly MetricDef[];

export const METRICS: readonly MetricDef[] = DEFS;

/** A registered stem. */
export type MetricStem = (typeof DEFS)[number]['stem'];
type LayerStem = Extract<(typeof DEFS)[number], { perLayer: true }>['stem'];
type ScalarStem = Exclude<MetricStem, LayerStem>;
type TheoryStem = Extract<(typeof DEFS)[number], { theory: true }>['stem'];

/** Prefix of a theory prediction drawn over the metric it predicts (`theory/angularUpdate/conv1`). */
export const THEORY_PREFIX = 'theory/';

/** Record fields that are coordinates, not metrics. */
export const AXIS_KEYS: ReadonlySet<string> = new Set(['step', 'epoch', 'time']);

const BY_STEM = new Map<string, MetricDef>(METRICS.map((d) => [d.stem, d]));

/** The key of a metric: `metricKey('test/loss')`, `metricKey('weightNorm', 'conv1')`. */
export function metricKey(stem: ScalarStem): string;
export function metricKey(stem: LayerStem, layer: string): string;
export function metricKey(stem: MetricStem, layer?: string): string {
  return layer === undefined ? stem : `${stem}/${layer}`;
}

/** The key of a theory prediction of a per-layer metric (`theory/angularUpdate/<layer>`). */
export function theoryKey(stem: TheoryStem, layer: string): string {
  return `${THEORY_PREFIX}${stem}/${layer}`;
}

/** A key split into its registry entry and layer; undefined for a key no entry describes. */
export function parseMetricKey(key: string): { def: MetricDef; layer?: string; theory: boolean } | undefined {
  const theory = key.startsWith(THEORY_PREFIX);
  const base = theory ? key.slice(THEORY_PREFIX.length) : key;
  const scalar = BY_STEM.get(base);
  if (scalar && !scalar.perLayer) return theory ? undefined : { def: scalar, theory };
  const slash = base.indexOf('/');
  if (slash < 0) return undefined;
  // Per-layer stems have no '/' of their own; layer names may (`stage2.block1/conv2` is not used, but allowed).
  const def = BY_STEM.get(base.slice(0, slash));
  if (!def?.perLayer || (theory && !def.theory)) return undefined;
  return { def, layer: base.slice(slash + 1), theory };
}
