// Metric families (issue 3): the charts are organised by the paper's three mechanisms. Families and
// charts are discovered from the keys present in the records — nothing is configured per run — so a
// metric added by a later issue lands in the right section by its name, or in "Other".

export type FamilyId = 'accuracyLoss' | 'lr' | 'mechanism1' | 'mechanism2' | 'mechanism3' | 'other';

export interface Family {
  id: FamilyId;
  title: string;
}

export const FAMILIES: readonly Family[] = [
  { id: 'accuracyLoss', title: 'Accuracy & loss' },
  { id: 'lr', title: 'Learning rate' },
  { id: 'mechanism1', title: 'Mechanism 1 · effective learning rate' },
  { id: 'mechanism2', title: 'Mechanism 2 · Jacobian norm' },
  { id: 'mechanism3', title: 'Mechanism 3 · effective damping' },
  { id: 'other', title: 'Other' },
];

/** One chart: a main metric key, plus overlays drawn dashed beside it (theory predictions). */
export interface ChartSpec {
  /** The main metric key; also the chart's id (state such as log toggles is stored by it). */
  id: string;
  family: FamilyId;
  title: string;
  /** Theory overlays (`theory/<key>`), drawn dashed in the run's colour. */
  overlays: string[];
  /** One line: what the chart shows, with its formula. */
  help: string;
  /** Norms and learning rates span decades: Mechanism 1 charts open on a log y axis. */
  logYByDefault: boolean;
}

export interface FamilyCharts {
  family: Family;
  charts: ChartSpec[];
}

/** Record fields that are coordinates, not metrics. */
export const AXIS_KEYS: ReadonlySet<string> = new Set(['step', 'epoch', 'time']);

const THEORY_PREFIX = 'theory/';

// trainEval/*: the training set evaluated like the test set (BN in inference mode), for the gap.
const ACCURACY_LOSS = [
  'train/loss',
  'trainEval/loss',
  'test/loss',
  'train/accuracy',
  'trainEval/accuracy',
  'test/accuracy',
];
const MECHANISM1 = ['weightNorm', 'effectiveLr', 'effectiveLrAdam', 'angularUpdate'];
const MECHANISM2 = ['jacobianNorm', 'gnNorm', 'kfacGnNorm', 'generalizationGap'];
const MECHANISM3 = ['effectiveDamping', 'curvatureScale', 'kfac'];

/** `weightNorm/conv1` -> `weightNorm`; `jacobianNorm` -> `jacobianNorm`. */
const stem = (key: string): string => key.split('/')[0];
/** `weightNorm/conv1` -> `conv1`; keys without a layer -> ''. */
const layerOf = (key: string): string => key.slice(stem(key).length + 1);

export function familyOf(key: string): FamilyId {
  const base = key.startsWith(THEORY_PREFIX) ? key.slice(THEORY_PREFIX.length) : key;
  if (ACCURACY_LOSS.includes(base)) return 'accuracyLoss';
  if (base === 'lr') return 'lr';
  if (MECHANISM1.includes(stem(base))) return 'mechanism1';
  if (MECHANISM2.includes(stem(base))) return 'mechanism2';
  if (MECHANISM3.includes(stem(base))) return 'mechanism3';
  return 'other';
}

const HELP: Record<string, string> = {
  'train/loss': 'Cross-entropy on the training batches, averaged since the previous record.',
  'test/loss': 'Cross-entropy on the test set (BN in inference mode), at step 0 and every epoch end.',
  'train/accuracy': 'Accuracy on the training batches, averaged since the previous record.',
  'test/accuracy': 'Accuracy on the test set (BN in inference mode), at step 0 and every epoch end.',
  'trainEval/loss': 'Cross-entropy on the training set evaluated like the test set (BN in inference mode).',
  'trainEval/accuracy': 'Accuracy on the training set evaluated like the test set (BN in inference mode).',
  lr: 'The scheduled learning rate η(t).',
  weightNorm:
    '‖W‖_F of the layer. Without weight decay it grows under BN, with weight decay it levels off (paper §3).',
  effectiveLr:
    'Effective learning rate η/‖W‖² of the direction W/‖W‖ of a scale-invariant (BN) layer under SGD (paper §3).',
  effectiveLrAdam:
    "Adam runs: η/‖W‖ — Adam's step does not scale with the gradient, so the angular step goes like η/‖W‖ (first power; derived, paper §3).",
  angularUpdate:
    'Measured angle between the kernel before and after one step (any optimizer). Dotted: the equilibrium theory √(2ηλ/(1+μ)) for SGD with momentum μ, √(2ηλ(1−β₁)/(1+β₁)) for AdamW.',
  jacobianNorm:
    'Input-output Jacobian norm E‖∂f(x)/∂x‖²_F on held-out inputs; K-FAC-G weight decay penalises it (paper §4).',
  gnNorm:
    'Gauss-Newton norm θᵀGθ = E‖J_θ θ‖² with squared-error GN (H = I, the K-FAC-G convention); for deep linear nets (L+1)²‖J_x‖²_F (paper §4).',
  kfacGnNorm:
    'K-FAC Gauss-Newton norm θᵀ(Σₗ Tₗ Aₗ⊗Sₗ)θ on the held-out batch (BN in inference mode, H = I, as gnNorm): the regulariser weight decay implies under K-FAC-G; for deep linear nets (L+1)‖J_x‖²_F on whitened inputs (paper §4). K-FAC runs only.',
  generalizationGap: 'Test loss − train loss (paper Fig. 5: it tracks the Jacobian norm).',
  effectiveDamping:
    "ρ = λ_d / mean eigenvalue of the layer's K-FAC curvature (T·trA/d_A·trS/d_S); ρ ≫ 1 means K-FAC acts first-order (paper §5).",
  curvatureScale:
    "Mean eigenvalue of the layer's K-FAC curvature block, T·(trA/d_A)·(trS/d_S): the Fisher shrinks as predictions get confident, the GN does not (paper §5).",
  'kfac/factorNorm':
    "θᵀ(Σₗ Tₗ Aₗ⊗Sₗ)θ with the optimizer's own running-average factors (training batches, sampled targets); under K-FAC-G they carry the official output covariance 2I, so this is about twice kfacGnNorm.",
  'kfac/klClip':
    'K-FAC KL-clip coefficient ν = min(1, √(κ / (η² Σ g·C⁻¹g))) applied to the preconditioned step (paper code; no-BN configs).',
  'kfac/inverseResidual':
    'K-FAC with Newton-Schulz inverses: the largest ‖I − (F + shift·I)X‖_F/√n of the float32 factor inverses in use; about κ·1e-7 (κ = condition of the damped factor).',
  'time/train': 'Wall-clock seconds spent training since the previous record.',
  'time/metrics':
    'Wall-clock seconds spent on extra-pass metrics (Jacobian, GN norm, evaluations) since the previous record.',
};

export function helpFor(key: string): string {
  const base = key.startsWith(THEORY_PREFIX) ? key.slice(THEORY_PREFIX.length) : key;
  const text = HELP[base] ?? HELP[stem(base)];
  if (text) return key === base ? text : `Theory prediction of: ${text}`;
  return `The metric "${key}" as logged by the trainer.`;
}

/** Every metric key of the records, in order of first appearance (axis keys excluded). */
export function metricKeys(recordSets: Iterable<readonly Record<string, unknown>[]>): string[] {
  const seen = new Set<string>(AXIS_KEYS);
  const out: string[] = [];
  for (const records of recordSets) {
    for (const r of records) {
      for (const k in r) {
        if (!seen.has(k)) {
          seen.add(k);
          out.push(k);
        }
      }
    }
  }
  return out;
}

/** Position of a key inside its family: the known order first, then by first appearance. */
function rank(key: string, family: FamilyId): number {
  const known =
    family === 'accuracyLoss'
      ? ACCURACY_LOSS.indexOf(key)
      : family === 'mechanism1'
        ? MECHANISM1.indexOf(stem(key))
        : family === 'mechanism2'
          ? MECHANISM2.indexOf(stem(key))
          : family === 'mechanism3'
            ? MECHANISM3.indexOf(stem(key))
            : -1;
  return known < 0 ? Number.MAX_SAFE_INTEGER : known;
}

/**
 * Groups metric keys into families and charts: one chart per key (TensorBoard's choice: lines are runs,
 * so a chart must hold one quantity), with `theory/<key>` attached to `<key>`'s chart as an overlay.
 * Families come in the paper's order; empty families are left out.
 */
export function discoverCharts(keys: readonly string[]): FamilyCharts[] {
  const keySet = new Set(keys);
  const charts: ChartSpec[] = [];
  const byId = new Map<string, ChartSpec>();
  const add = (id: string): ChartSpec => {
    let chart = byId.get(id);
    if (!chart) {
      const family = familyOf(id);
      chart = {
        id,
        family,
        title: id,
        overlays: [],
        help: helpFor(id),
        // Norms, learning rates, damping and curvature span orders of magnitude (the paper plots them on log axes).
        logYByDefault: family === 'mechanism1' || (family === 'mechanism3' && !id.startsWith('kfac/')),
      };
      byId.set(id, chart);
      charts.push(chart);
    }
    return chart;
  };
  for (const key of keys) {
    const theoryOf = key.startsWith(THEORY_PREFIX) ? key.slice(THEORY_PREFIX.length) : null;
    if (theoryOf !== null && keySet.has(theoryOf)) add(theoryOf).overlays.push(key);
    else add(key);
  }
  const order = new Map(charts.map((c, i) => [c.id, i]));
  return FAMILIES.map((family) => ({
    family,
    charts: charts
      .filter((c) => c.family === family.id)
      .sort((a, b) => {
        const byKind = rank(a.id, family.id) - rank(b.id, family.id);
        return byKind !== 0 ? byKind : order.get(a.id)! - order.get(b.id)!;
      }),
  })).filter((f) => f.charts.length > 0);
}

export { layerOf };
