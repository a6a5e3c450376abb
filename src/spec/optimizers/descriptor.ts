// What an optimizer is, declared in one place (docs/architecture.md, Adding an optimizer): its spec name
// and schema fields, whether it is second-order, and the Mechanism 1 formulas that hold for it. The
// validator, the defaults, the schema, the memory estimate, the paper-grid names and the metrics read these
// descriptors; the engine's registry (src/engine/optimizers/registry.ts) maps each name to its update rule.
import type { MetricStem } from '../../protocol/metrics';
import type { OptimizerSpec, RegularizationSpec } from '../types';

/** The curvature a second-order optimizer preconditions with (docs/science.md section 6). */
export type CurvatureKind = 'fisher' | 'gaussNewton';

export interface SecondOrder {
  curvature: CurvatureKind;
  /**
   * `kronecker`: K-FAC's T·A ⊗ S per layer, inverted in the factors' eigenbasis or by Newton-Schulz.
   * `eigenvalueCorrected`: E-KFAC, the same eigenbasis with per-coordinate second moments of the
   * projected per-example gradients in place of the Kronecker eigenvalues (docs/science.md section 8).
   */
  form: 'kronecker' | 'eigenvalueCorrected';
}

export interface OptimizerDescriptor<S extends OptimizerSpec = OptimizerSpec> {
  /** The spec's `optimizer.type`. */
  type: S['type'];
  /** The name in the paper's tables and the UI (`K-FAC-G`). */
  displayName: string;
  /** "a" or "an" before the display name in messages ("an SGD parameter"). */
  article: 'a' | 'an';
  /** The schema's enumDescription: what it is and which fields it takes. */
  summary: string;
  /** Spec fields it takes besides `type` (the schema's variant); their definitions are in the schema. */
  fields: readonly string[];
  /** The schema default of `lr` for this optimizer. */
  lrDefault: number;
  /**
   * Where it stands in the paper (its Table 1 and section 4): `inPaper`, and the paper's optimizer whose
   * expectations carry over (itself, or for E-KFAC the K-FAC it corrects) — the mechanism verdict reads it.
   */
  paper: { counterpart: 'sgd' | 'adam' | 'kfac-f' | 'kfac-g'; inPaper: boolean };
  /** Absent: a first-order method. */
  secondOrder?: SecondOrder;
  /**
   * Mechanism 1 (docs/science.md section 3): the effective learning rate of a scale-invariant layer, as the
   * metric it is logged under and its formula. Absent: not defined for this optimizer, nothing is logged.
   */
  effectiveLr?: {
    stem: Extract<MetricStem, 'effectiveLr' | 'effectiveLrAdam'>;
    of(lr: number, weightNorm: number): number;
  };
  /**
   * The predicted equilibrium angular update per step of a scale-invariant, decayed layer (docs/science.md
   * section 3), or undefined where there is no closed form. Absent: never predicted.
   */
  equilibriumAngle?(
    spec: S,
    regularization: Pick<RegularizationSpec, 'type' | 'coefficient'>,
    lr: number,
  ): number | undefined;
  /** Float32 values of optimizer state for P parameters and the layers' K-FAC factor sizes (spec/memory.ts). */
  stateFloats(spec: S, parameters: number, factors: readonly { dA: number; dS: number }[]): number;
}
