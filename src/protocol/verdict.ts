// The mechanism verdict: for runs that differ only in the regularizer (weight decay against none or L2,
// seeds aside), which of the paper's three mechanisms shows its signature in the records, measured with
// numbers, beside what the paper expects for that optimizer × architecture (docs/science.md sections 3-5 and
// 9; the paper's §4). It states what was measured and how it compares with the thresholds below; it never
// names a cause it did not measure. Pure: the CLI (`wdlab explain`, `wdlab run`), the report and the VS
// Code panel (webview/ui/verdict.ts) all call `explainRuns`.
import { formatAccuracy } from './metrics';
import type { LayerInfo, MetricRecord } from './records';
import type { RunFacts, RunView } from './runs';

// ---- thresholds -------------------------------------------------------------------------------------

/**
 * Every threshold of the verdict. A signature "shows" when the weight-decay arm differs from the baseline
 * arm in the direction the paper predicts by more than a factor of 1.5 — WD / baseline ≥ 1.5 for what weight
 * decay should raise, ≤ 1/1.5 for what it should lower — and, for Mechanism 1, the measured angular update
 * also sits near its equilibrium prediction. Ratios, because they read the same whatever a quantity's scale.
 * 1.5 lies between what the bundled examples give at full length (effective LR ×3-6, Jacobian and GN norms
 * ×0.15-0.35, effective damping ×0.2) and what a weight decay too weak to act gives (×1.0).
 */
export const VERDICT_THRESHOLDS = {
  /** Mechanism 1: effective LR (effectiveLr/* SGD, effectiveLrAdam/* Adam), WD / baseline, median over layers ≥ this. */
  effectiveLrRatio: 1.5,
  /** Mechanism 1: angular update / theory/angularUpdate in the WD arm, median over layers, within [low, high]. */
  equilibriumLow: 0.5,
  equilibriumHigh: 2,
  /** Mechanism 2: jacobianNorm and gnNorm, WD / baseline ≤ this; and the generalization gap no larger with WD. */
  normRatio: 1 / 1.5,
  /** Mechanism 3: effectiveDamping/* of the scale-invariant layers, WD / baseline, median over layers ≤ this. */
  dampingRatio: 1 / 1.5,
  /**
   * "End of run": the mean over the last 10% of a run's records that hold the metric (at least the last
   * one), so that one noisy step (the angular update is per step) does not decide. Arms with several runs
   * (seeds) take the geometric mean of their runs' values (the arithmetic mean for the gap and accuracy).
   */
  endFraction: 0.1,
  /**
   * Test accuracy: the difference of the arms' mean final test accuracies is "within seed noise" when its
   * size is at most this many times the seed spread, the largest range (max − min) of final test accuracy
   * over the runs (seeds) of one arm. With one run per arm the spread is unknown, and the verdict says so.
   */
  noiseMultiple: 1,
} as const;

// ---- shapes -----------------------------------------------------------------------------------------

export type MechanismId = 1 | 2 | 3;

/** The four verdicts on a mechanism's signature. */
export type VerdictKind = 'shows' | 'does not show' | 'not measured' | 'cannot apply';

/** One number behind a verdict: a WD / baseline ratio or a WD − baseline difference. */
export interface Measurement {
  /** What it is, e.g. "effective LR" or "angular update / equilibrium". */
  label: string;
  /** The metric key stem it comes from (`effectiveLr`, `jacobianNorm`, ...). */
  metric: string;
  /** ratio: WD / baseline (or measured / predicted); difference: WD − baseline. */
  kind: 'ratio' | 'difference';
  /** For per-layer metrics the median over layers. */
  value: number;
  /** Per-layer metrics: the range over layers and how many layers. */
  min?: number;
  max?: number;
  layers?: number;
  /** The arms' end-of-run values, for scalar metrics. */
  wd?: number;
  baseline?: number;
  /** The predicted direction and threshold, e.g. "≥ 1.5". */
  threshold: string;
  /** Whether `value` meets `threshold`. */
  meets: boolean;
}

export interface MechanismRow {
  mechanism: MechanismId;
  /** "Mechanism 1 · effective learning rate". */
  title: string;
  verdict: VerdictKind;
  /** The measured numbers in a few words ("effective LR ×4.1 (2.3–6.7); ..."), or the reason there are none. */
  signature: string;
  /** The same as a sentence, with how many layers and why a signature was not measured or cannot apply. */
  evidence: string;
  /** When the verdict is "shows" (the thresholds), for a measured signature. */
  rule?: string;
  measurements: Measurement[];
  /** The paper expects this mechanism for this optimizer × architecture. */
  expected: boolean;
}

export interface ArmSummary {
  /** `weightDecay`, `none` or `l2`. */
  type: string;
  coefficient: number;
  apply: string;
  runIds: string[];
  seeds: number[];
}

export interface AccuracyComparison {
  /** Final test accuracy (fraction) of each run of each arm. */
  wd: number[];
  baseline: number[];
  /** mean(wd) − mean(baseline). */
  difference?: number;
  /** The largest range of final test accuracy over the runs of one arm; absent with one run per arm. */
  spread?: number;
  /** |difference| ≤ spread; absent when the spread is unknown. */
  withinNoise?: boolean;
  /** One line: the two accuracies, the difference, and how it compares with the seed spread. */
  text: string;
}

export interface PaperExpectation {
  /** The mechanism the paper attributes weight decay's effect to here; absent when it names none. */
  mechanism?: MechanismId;
  text: string;
}

/** One weight-decay arm against one baseline arm of the same configuration. */
export interface Contrast {
  /** Spec name(s) of the runs. */
  name: string;
  /** Display name of the optimizer (SGD, Adam, K-FAC-F, ...). */
  optimizer: string;
  batchNorm: boolean;
  /** "quickstart · SGD + BN · weight decay λ = 0.005 vs none". */
  title: string;
  regularized: ArmSummary;
  baseline: ArmSummary;
  /** Mechanisms 1, 2, 3 in order. */
  rows: MechanismRow[];
  accuracy: AccuracyComparison;
  expectation: PaperExpectation;
  /** One line: what shows here, and what the paper expects. */
  summary: string;
}

export interface VerdictReport {
  contrasts: Contrast[];
  /** Why runs were left out (still training, no spec facts), when any were. */
  notes: string[];
}

export type RecordsByRun =
  | ReadonlyMap<string, readonly MetricRecord[]>
  | Readonly<Record<string, readonly MetricRecord[]>>;

// ---- the paper's expectations -----------------------------------------------------------------------

export const MECHANISM_TITLES: Record<MechanismId, string> = {
  1: 'Mechanism 1 · effective learning rate',
  2: 'Mechanism 2 · Jacobian norm',
  3: 'Mechanism 3 · effective damping',
};

type Family = 'sgd' | 'adam' | 'kfac';

/** The optimizer as the verdict sees it: from its descriptor (src/spec/optimizers/), through RunFacts. */
export type OptimizerFacts = Pick<RunFacts, 'optimizer' | 'optimizerName' | 'paperOptimizer' | 'inPaper'>;

/** Which of the paper's optimizer families an optimizer is, or derives from (E-KFAC: K-FAC). */
const familyOf = (o: OptimizerFacts): Family =>
  o.paperOptimizer === 'kfac-f' || o.paperOptimizer === 'kfac-g' ? 'kfac' : o.paperOptimizer;

/**
 * What the paper says weight decay acts through, for an optimizer with or without BN (the paper's §4;
 * docs/science.md sections 3-5 and 9).
 */
export function paperExpectation(o: OptimizerFacts, batchNorm: boolean): PaperExpectation {
  if (!o.inPaper) {
    const counterpart = paperExpectation(
      { ...o, optimizerName: PAPER_NAMES[o.paperOptimizer], inPaper: true },
      batchNorm,
    );
    return {
      text: `${o.optimizerName} is not in the paper. For ${PAPER_NAMES[o.paperOptimizer]} it expects: ${counterpart.text.replace(/^[^:]*: /, '')}`,
    };
  }
  const family = familyOf(o);
  const name = o.optimizerName;
  if (family === 'sgd' || family === 'adam') {
    return batchNorm
      ? {
          mechanism: 1,
          text: `${name} with BN: Mechanism 1 — weight decay keeps the norms of the scale-invariant layers small, so their effective learning rate stays high (paper §4.1).`,
        }
      : {
          text: `${name} without BN: the paper attributes weight decay's effect to none of its three mechanisms here (Mechanism 1 needs BN; Mechanism 2 is its account of K-FAC-G). What it reports for its Table 1: for Adam, weight decay beats L2 and the baseline; for SGD, L2 and weight decay are the same update.`,
        };
  }
  if (batchNorm)
    return {
      mechanism: 3,
      text: `${name} with BN: Mechanism 3 — the damping acts like λ_d‖W‖² on a scale-invariant layer, and weight decay keeps it from dominating the curvature, so K-FAC stays second-order (paper §4.3).`,
    };
  return o.paperOptimizer === 'kfac-g'
    ? {
        mechanism: 2,
        text: `${name} without BN: Mechanism 2 — weight decay is gradient descent on the Gauss-Newton norm, which bounds the input-output Jacobian norm; a smaller Jacobian norm goes with a smaller generalization gap (paper §4.2, Fig. 5).`,
      }
    : {
        mechanism: 2,
        text: `${name} without BN: approximately Mechanism 2 — the paper's argument is made for the Gauss-Newton (K-FAC-G), and the Fisher approximates it (paper §4.2).`,
      };
}

/** What the paper expects for the paper optimizer `o` derives from, in words. */
function counterpartMechanism(o: OptimizerFacts, batchNorm: boolean): string {
  const m = paperExpectation(
    { ...o, optimizerName: PAPER_NAMES[o.paperOptimizer], inPaper: true },
    batchNorm,
  ).mechanism;
  return m ? `Mechanism ${m}` : 'none of the three';
}

/** The paper's names of its own optimizers. */
const PAPER_NAMES: Record<OptimizerFacts['paperOptimizer'], string> = {
  sgd: 'SGD',
  adam: 'Adam',
  'kfac-f': 'K-FAC-F',
  'kfac-g': 'K-FAC-G',
};

// ---- helpers ----------------------------------------------------------------------------------------

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const geomean = (xs: readonly number[]): number => Math.exp(mean(xs.map(Math.log)));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The mean of the last `endFraction` of the finite values of `key` (at least the last one). */
export function endOfRun(records: readonly MetricRecord[], key: string): number | undefined {
  const values: number[] = [];
  for (const r of records) {
    const v = r[key];
    if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return undefined;
  const n = Math.max(1, Math.ceil(values.length * VERDICT_THRESHOLDS.endFraction));
  return mean(values.slice(-n));
}

function lastValue(records: readonly MetricRecord[], key: string): number | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const v = records[i][key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Two significant digits: 3.1, 0.42, 12, 1.0e-4. */
export function formatFactor(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 0.01 || Math.abs(x) >= 1000)) return x.toExponential(1);
  return x.toPrecision(2);
}

const pct = formatAccuracy;
const points = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)} pts`;
const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${formatFactor(Math.abs(v))}`;

interface Run {
  view: RunView;
  facts: RunFacts;
  records: readonly MetricRecord[];
}

interface Arm {
  type: string;
  coefficient: number;
  apply: string;
  runs: Run[];
}

/** The arm's end-of-run value of `key` (geometric mean over its runs); undefined unless every run has it. */
function armEnd(arm: Arm, key: string, combine = geomean): number | undefined {
  const values: number[] = [];
  for (const r of arm.runs) {
    const v = endOfRun(r.records, key);
    if (v === undefined || (combine === geomean && !(v > 0))) return undefined;
    values.push(v);
  }
  return combine(values);
}

/** The layers of a run that are scale-invariant (and, with `decayed`, that its regularizer reaches). */
function invariantLayers(run: Run, decayed: boolean): string[] | undefined {
  const layers: readonly LayerInfo[] | undefined = run.view.layers;
  if (!layers) return undefined;
  return layers.filter((l) => l.scaleInvariant && (!decayed || l.decayed)).map((l) => l.name);
}

interface PerLayer {
  ratios: number[];
  layers: string[];
}

/** WD / baseline of `<stem>/<layer>` for each layer both arms measured. */
function layerRatios(wd: Arm, base: Arm, stem: string, layers: readonly string[]): PerLayer {
  const out: PerLayer = { ratios: [], layers: [] };
  for (const layer of layers) {
    const a = armEnd(wd, `${stem}/${layer}`);
    const b = armEnd(base, `${stem}/${layer}`);
    if (a === undefined || b === undefined) continue;
    out.ratios.push(a / b);
    out.layers.push(layer);
  }
  return out;
}

function layerMeasurement(
  label: string,
  metric: string,
  per: PerLayer,
  threshold: string,
  meets: (x: number) => boolean,
): Measurement {
  const value = median(per.ratios);
  return {
    label,
    metric,
    kind: 'ratio',
    value,
    min: Math.min(...per.ratios),
    max: Math.max(...per.ratios),
    layers: per.ratios.length,
    threshold,
    meets: meets(value),
  };
}

/** "2.3–6.7" over layers; empty when one layer or every layer shows the same (to two digits). */
function range(m: Measurement): string {
  if (m.layers === undefined || m.layers < 2) return '';
  const [lo, hi] = [formatFactor(m.min!), formatFactor(m.max!)];
  return lo === hi ? '' : `${lo}–${hi}`;
}

const rangeText = (m: Measurement): string =>
  m.layers === undefined
    ? ''
    : m.layers === 1
      ? ' (1 layer)'
      : ` (median of ${m.layers} layers${range(m) ? `, range ${range(m)}` : ''})`;

const rangeShort = (m: Measurement): string => (range(m) ? ` (${range(m)})` : '');

/** A row of the table. `signature`: the numbers (or the reason) in a few words; `evidence`: in a sentence. */
function row(
  mechanism: MechanismId,
  verdict: VerdictKind,
  text: { signature: string; evidence: string; rule?: string },
  measurements: Measurement[] = [],
): MechanismRow {
  return { mechanism, title: MECHANISM_TITLES[mechanism], verdict, ...text, measurements, expected: false };
}

const hasKeyPrefix = (runs: readonly Run[], prefix: string): boolean =>
  runs.some((r) => r.records.some((rec) => Object.keys(rec).some((k) => k.startsWith(prefix))));

/** Layers named by `<stem>/<layer>` keys in a run's last record. */
const layersInRecords = (run: Run, stem: string): string[] =>
  Object.keys(run.records.at(-1) ?? {})
    .filter((k) => k.startsWith(`${stem}/`))
    .map((k) => k.slice(stem.length + 1));

const NO_BN = {
  signature: 'no BN: no scale-invariant layer',
  evidence:
    'no layer is scale-invariant (the network has no BN), so ‖W‖ does not set an effective learning rate',
};

// ---- the three mechanisms ---------------------------------------------------------------------------

/** Mechanism 1 (docs/science.md section 3): WD holds the effective LR of the BN layers up, at its equilibrium. */
function mechanism1(wd: Arm, base: Arm, family: Family, batchNorm: boolean, o: OptimizerFacts): MechanismRow {
  const T = VERDICT_THRESHOLDS;
  const invariant = invariantLayers(wd.runs[0], false);
  if (!batchNorm || (invariant && invariant.length === 0)) return row(1, 'cannot apply', NO_BN);
  if (family === 'kfac')
    return row(1, 'cannot apply', {
      signature: 'K-FAC: ‖W‖ acts through the damping',
      evidence:
        "K-FAC's step on a scale-invariant layer depends on ‖W‖ only through its damping, which is Mechanism 3 (docs/science.md section 5)",
    });
  const decayed = invariantLayers(wd.runs[0], true);
  if (decayed && decayed.length === 0)
    return row(1, 'cannot apply', {
      signature: `WD reaches no BN layer (apply: ${wd.apply})`,
      evidence: `weight decay reaches no scale-invariant layer (regularization.apply: ${wd.apply}), as in the paper's wd-fc`,
    });
  const stem = wd.runs[0].facts.effectiveLr;
  if (!stem)
    return row(1, 'not measured', {
      signature: `no effective LR for ${o.optimizerName}`,
      evidence: 'the effective learning rate is recorded for SGD and Adam runs only',
    });
  // Layers: the decayed scale-invariant ones from run.json, else those the records name.
  const eff = layerRatios(wd, base, stem, decayed ?? layersInRecords(wd.runs[0], stem));
  if (eff.ratios.length === 0)
    return row(1, 'not measured', {
      signature: `no ${stem}/* in both arms`,
      evidence: `the records of the two arms do not both hold ${stem}/* for the scale-invariant layers`,
    });
  const effM = layerMeasurement(
    'effective LR, WD / baseline',
    stem,
    eff,
    `≥ ${T.effectiveLrRatio}`,
    (x) => x >= T.effectiveLrRatio,
  );
  const measurements = [effM];
  // The angular update against its equilibrium prediction, in the weight-decay arm.
  const eq: PerLayer = { ratios: [], layers: [] };
  for (const layer of eff.layers) {
    const perRun: number[] = [];
    for (const r of wd.runs) {
      const measured = endOfRun(r.records, `angularUpdate/${layer}`);
      const theory = endOfRun(r.records, `theory/angularUpdate/${layer}`);
      if (measured === undefined || theory === undefined || !(theory > 0) || !(measured > 0)) break;
      perRun.push(measured / theory);
    }
    if (perRun.length < wd.runs.length) continue;
    eq.ratios.push(geomean(perRun));
    eq.layers.push(layer);
  }
  let signature = `effective LR ×${formatFactor(effM.value)}${rangeShort(effM)}`;
  let evidence = `with weight decay the effective LR is ×${formatFactor(effM.value)} the baseline's${rangeText(effM)}`;
  let ok = effM.meets;
  if (eq.ratios.length > 0) {
    const eqM = layerMeasurement(
      'angular update / its equilibrium prediction (WD arm)',
      'angularUpdate',
      eq,
      `in [${T.equilibriumLow}, ${T.equilibriumHigh}]`,
      (x) => x >= T.equilibriumLow && x <= T.equilibriumHigh,
    );
    measurements.push(eqM);
    signature += `; angular update ${formatFactor(eqM.value)}× equilibrium${rangeShort(eqM)}`;
    evidence += `, and its angular update per step is ${formatFactor(eqM.value)}× the equilibrium prediction${rangeText(eqM)}`;
    ok &&= eqM.meets;
  } else {
    evidence += '; these runs record no equilibrium prediction for the angular update';
  }
  const rule = `effective LR ratio ≥ ${T.effectiveLrRatio}${eq.ratios.length > 0 ? ` and angular update within [${T.equilibriumLow}, ${T.equilibriumHigh}]× its equilibrium` : ''}`;
  return row(1, ok ? 'shows' : 'does not show', { signature, evidence, rule }, measurements);
}

/** Mechanism 2 (docs/science.md section 4): a smaller Jacobian / Gauss-Newton norm and generalization gap with WD. */
function mechanism2(wd: Arm, base: Arm): MechanismRow {
  const T = VERDICT_THRESHOLDS;
  const measurements: Measurement[] = [];
  const parts: string[] = [];
  for (const [metric, label] of [
    ['jacobianNorm', 'Jacobian norm'],
    ['gnNorm', 'GN norm'],
  ] as const) {
    const a = armEnd(wd, metric);
    const b = armEnd(base, metric);
    if (a === undefined || b === undefined) continue;
    const value = a / b;
    measurements.push({
      label: `${label}, WD / baseline`,
      metric,
      kind: 'ratio',
      value,
      wd: a,
      baseline: b,
      threshold: `≤ ${formatFactor(T.normRatio)}`,
      meets: value <= T.normRatio,
    });
    parts.push(`${label} ×${formatFactor(value)}`);
  }
  if (measurements.length === 0)
    return row(2, 'not measured', {
      signature: 'jacobianNorm, gnNorm not recorded',
      evidence:
        'the records of the two arms do not both hold jacobianNorm or gnNorm (metrics.jacobian "off", metrics.gaussNewton false)',
    });
  const a = armEnd(wd, 'generalizationGap', mean);
  const b = armEnd(base, 'generalizationGap', mean);
  if (a !== undefined && b !== undefined) {
    measurements.push({
      label: 'generalization gap, WD − baseline',
      metric: 'generalizationGap',
      kind: 'difference',
      value: a - b,
      wd: a,
      baseline: b,
      threshold: '≤ 0',
      meets: a - b <= 0,
    });
    parts.push(`gap ${signed(a - b)} nats`);
  }
  const ok = measurements.every((m) => m.meets);
  const gap = measurements.find((m) => m.kind === 'difference');
  const evidence = `with weight decay: ${parts.slice(0, gap ? -1 : undefined).join(', ')} the baseline's${gap ? `; generalization gap ${formatFactor(gap.wd!)} vs ${formatFactor(gap.baseline!)} nats` : ''}`;
  const rule = `each norm ratio ≤ ${formatFactor(T.normRatio)}${gap ? ' and the gap no larger' : ''}`;
  return row(
    2,
    ok ? 'shows' : 'does not show',
    { signature: parts.join(', '), evidence, rule },
    measurements,
  );
}

/** Mechanism 3 (docs/science.md section 5): WD keeps K-FAC's effective damping of the BN layers down. */
function mechanism3(wd: Arm, base: Arm, family: Family, batchNorm: boolean, o: OptimizerFacts): MechanismRow {
  const T = VERDICT_THRESHOLDS;
  const invariant = invariantLayers(wd.runs[0], false);
  if (!batchNorm || (invariant && invariant.length === 0)) return row(3, 'cannot apply', NO_BN);
  const recorded = hasKeyPrefix([...wd.runs, ...base.runs], 'effectiveDamping/');
  if (family !== 'kfac' && !recorded)
    return row(3, 'cannot apply', {
      signature: `${o.optimizerName} has no damping (K-FAC's)`,
      evidence: `effective damping is a property of K-FAC's damped curvature; ${o.optimizerName} has none`,
    });
  const decayed = invariantLayers(wd.runs[0], true);
  if (decayed && decayed.length === 0)
    return row(3, 'cannot apply', {
      signature: `WD reaches no BN layer (apply: ${wd.apply})`,
      evidence: `weight decay reaches no scale-invariant layer (regularization.apply: ${wd.apply})`,
    });
  const per = layerRatios(
    wd,
    base,
    'effectiveDamping',
    decayed ?? layersInRecords(wd.runs[0], 'effectiveDamping'),
  );
  if (per.ratios.length === 0)
    return row(3, 'not measured', {
      signature: 'effectiveDamping/* not recorded',
      evidence:
        'the records of the two arms do not both hold effectiveDamping/* for the scale-invariant layers',
    });
  const m = layerMeasurement(
    'effective damping, WD / baseline',
    'effectiveDamping',
    per,
    `≤ ${formatFactor(T.dampingRatio)}`,
    (x) => x <= T.dampingRatio,
  );
  return row(
    3,
    m.meets ? 'shows' : 'does not show',
    {
      signature: `effective damping ×${formatFactor(m.value)}${rangeShort(m)}`,
      evidence: `with weight decay the effective damping is ×${formatFactor(m.value)} the baseline's${rangeText(m)}`,
      rule: `effective damping ratio ≤ ${formatFactor(T.dampingRatio)}`,
    },
    [m],
  );
}

function accuracy(wd: Arm, base: Arm, baseName: string): AccuracyComparison {
  const of = (arm: Arm) =>
    arm.runs.map((r) => lastValue(r.records, 'test/accuracy')).filter((v): v is number => v !== undefined);
  const a = of(wd);
  const b = of(base);
  if (a.length === 0 || b.length === 0)
    return { wd: a, baseline: b, text: 'no final test accuracy in both arms' };
  const difference = mean(a) - mean(b);
  const range = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  const spreads = [a, b].filter((xs) => xs.length > 1).map(range);
  const arms = `weight decay ${pct(mean(a))}${a.length > 1 ? ` (mean of ${a.length})` : ''} vs ${baseName} ${pct(mean(b))}${b.length > 1 ? ` (mean of ${b.length})` : ''}: ${points(difference)}`;
  if (spreads.length === 0)
    return {
      wd: a,
      baseline: b,
      difference,
      text: `${arms}; one run per arm, so the seed-to-seed spread is unknown (add training.seed to the sweep)`,
    };
  const spread = Math.max(...spreads);
  const withinNoise = Math.abs(difference) <= VERDICT_THRESHOLDS.noiseMultiple * spread;
  return {
    wd: a,
    baseline: b,
    difference,
    spread,
    withinNoise,
    text: `${arms}, ${withinNoise ? 'within seed noise' : 'beyond the seed spread'} (seed range up to ${Math.abs(100 * spread).toFixed(1)} pts)`,
  };
}

// ---- contrasts --------------------------------------------------------------------------------------

/** none, or any regularizer with coefficient 0: the baseline arm. */
const armType = (f: RunFacts): string =>
  f.regularization === 'none' || !(f.coefficient > 0) ? 'none' : f.regularization;

function recordsOf(records: RecordsByRun, id: string): readonly MetricRecord[] {
  const r =
    records instanceof Map ? records.get(id) : (records as Record<string, readonly MetricRecord[]>)[id];
  return r ?? [];
}

const armSummary = (arm: Arm): ArmSummary => ({
  type: arm.type,
  coefficient: arm.coefficient,
  apply: arm.apply,
  runIds: arm.runs.map((r) => r.view.id),
  seeds: [...new Set(arm.runs.map((r) => r.facts.seed))],
});

function contrast(wd: Arm, base: Arm): Contrast {
  const first = wd.runs[0];
  const { batchNorm } = first.facts;
  const o = first.facts;
  const family = familyOf(o);
  const optimizerName = o.optimizerName;
  const expectation = paperExpectation(o, batchNorm);
  const baseName = base.type === 'none' ? 'none' : `L2 λ = ${base.coefficient}`;
  const rows = [
    mechanism1(wd, base, family, batchNorm, o),
    mechanism2(wd, base),
    mechanism3(wd, base, family, batchNorm, o),
  ].map((r) => ({ ...r, expected: r.mechanism === expectation.mechanism }));
  if (family === 'sgd' && base.type === 'l2')
    expectation.text +=
      ' For SGD, L2 and weight decay are the same update (docs/science.md section 2): no difference is expected.';
  const names = [...new Set([...wd.runs, ...base.runs].map((r) => r.view.name))].join(', ');
  const title = `${names} · ${optimizerName}${batchNorm ? ' + BN' : ' without BN'} · weight decay λ = ${wd.coefficient}${wd.apply !== 'all' ? ` (apply: ${wd.apply})` : ''} vs ${baseName}`;
  const shows = rows.filter((r) => r.verdict === 'shows').map((r) => r.mechanism);
  const summary = `Measured: ${
    shows.length === 0
      ? 'no mechanism shows its signature'
      : shows.length === 1
        ? `the signature of Mechanism ${shows[0]} shows`
        : `the signatures of Mechanisms ${shows.slice(0, -1).join(', ')} and ${shows.at(-1)} show`
  }. ${
    o.inPaper
      ? `The paper expects ${expectation.mechanism ? `Mechanism ${expectation.mechanism}` : 'none of the three'} for ${optimizerName}${batchNorm ? ' with' : ' without'} BN.`
      : `${optimizerName} is not in the paper; for ${PAPER_NAMES[o.paperOptimizer]}${batchNorm ? ' with' : ' without'} BN it expects ${counterpartMechanism(o, batchNorm)}.`
  }`;
  return {
    name: names,
    optimizer: optimizerName,
    batchNorm,
    title,
    regularized: armSummary(wd),
    baseline: armSummary(base),
    rows,
    accuracy: accuracy(wd, base, baseName),
    expectation,
    summary,
  };
}

/**
 * The contrasts among `runs`: completed runs are grouped by `facts.config` (the same configuration but
 * for the regularizer and the seed); in each group every weight-decay arm (one coefficient and scope,
 * any seeds) is set against the `none` arm and against an `l2` arm of the same coefficient and scope.
 */
export function explainRuns(runs: readonly RunView[], records: RecordsByRun): VerdictReport {
  const notes: string[] = [];
  const usable: Run[] = [];
  let training = 0;
  let noFacts = 0;
  for (const view of runs) {
    if (view.status === 'queued' || view.status === 'running') training++;
    if (view.status !== 'completed') continue;
    if (!view.facts) {
      noFacts++;
      continue;
    }
    usable.push({ view, facts: view.facts, records: recordsOf(records, view.id) });
  }
  const groups = new Map<string, Map<string, Arm>>();
  for (const run of usable) {
    const type = armType(run.facts);
    const key = type === 'none' ? 'none' : `${type}|${run.facts.coefficient}|${run.facts.apply}`;
    let arms = groups.get(run.facts.config);
    if (!arms) {
      arms = new Map();
      groups.set(run.facts.config, arms);
    }
    let arm = arms.get(key);
    if (!arm) {
      arm = {
        type,
        coefficient: type === 'none' ? 0 : run.facts.coefficient,
        apply: run.facts.apply,
        runs: [],
      };
      arms.set(key, arm);
    }
    arm.runs.push(run);
  }
  const contrasts: Contrast[] = [];
  for (const arms of groups.values()) {
    for (const wd of arms.values()) {
      if (wd.type !== 'weightDecay') continue;
      const none = arms.get('none');
      if (none) contrasts.push(contrast(wd, none));
      const l2 = arms.get(`l2|${wd.coefficient}|${wd.apply}`);
      if (l2) contrasts.push(contrast(wd, l2));
    }
  }
  if (training > 0)
    notes.push(
      `${training} run${training === 1 ? ' is' : 's are'} still training; the verdict counts completed runs only.`,
    );
  if (noFacts > 0)
    notes.push(
      `${noFacts} completed run${noFacts === 1 ? '' : 's'} without a readable spec.json ${noFacts === 1 ? 'is' : 'are'} left out.`,
    );
  return { contrasts, notes };
}

/** The verdict's one-word label for tables: "shows", "does not show", "not measured", "cannot apply here". */
export const verdictLabel = (v: VerdictKind): string => (v === 'cannot apply' ? 'cannot apply here' : v);
