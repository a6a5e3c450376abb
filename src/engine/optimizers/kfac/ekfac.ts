// E-KFAC, eigenvalue-corrected K-FAC (George et al., NeurIPS 2018; docs/science.md section 8), F and G.
// K-FAC's block T·A ⊗ S has the eigenbasis Q_A ⊗ Q_S and the eigenvalues T a_i s_j. E-KFAC keeps the
// basis and replaces the eigenvalues by what the curvature really has along each basis direction: the
// second moment of the per-example gradient projected into it,
//   s_ij = E_n[(Q_Aᵀ g_n Q_S)_ij²],   g_n = Σ_t a_{n,t} ds_{n,t}ᵀ  [d_A, d_S]   (T locations; dense T = 1),
// with the same sampled ds as K-FAC-F / K-FAC-G (curvature.ts). On one dense layer s is exactly the diagonal
// of the sampled Fisher (or Gauss-Newton) in the K-FAC eigenbasis (test/unit/engine/ekfac.test.ts).
// Step: U = Q_A [(Q_Aᵀ G Q_S) ./ (s + λ_d)] Q_Sᵀ, then KL clip, momentum, L2 and weight decay exactly as
// K-FAC (kfac.ts; docs/science.md section 2).
// Schedule: the factors A, S as K-FAC's (every statsEvery steps, running averages); the eigenbasis every
// inverseEvery steps, synchronously; s a running average (statDecay) re-estimated at every statistics
// step in the basis in use. Second moments in one basis mean nothing in another, so a new basis starts s
// afresh from the batch it was computed on (a step that changes the basis always samples one).
// The statistics run on the training thread (per-example gradients are needed), with or without
// data-parallel gradient threads.
import { metricKey } from '../../../protocol/metrics';
import type { EkfacSpec } from '../../../spec/types';
import type { Model } from '../../models/model';
import { tf } from '../../tf';
import type { OptimizerContext } from '../optimizer';
import { curvatureNoise, type LayerSample, logitGradients, sampleLayers } from './curvature';
import { inputRows, outputRows } from './factors';
import { type Block, KfacOptimizer } from './kfac';
import { type StatisticsPass, sumsOfSamples } from './statistics';

/** Examples per batched matmul of the conv projection (bounds its [chunk, d_A, d_S] temporary). */
const PROJECTION_CHUNK = 16;

/**
 * s = E_n[(Q_Aᵀ g_n Q_S)²] of one layer's samples, [d_A, d_S]: projected rows ã = a Q_A, s̃ = ds Q_S; dense
 * (T = 1) the square factors, (ã²)ᵀ(s̃²)/N; conv the per-example sum over locations first, Σ_t ã_t s̃_tᵀ.
 */
export function correctedEigenvalues(sample: LayerSample, qA: tf.Tensor2D, qS: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const a = tf.matMul(inputRows(sample.layer, sample.input), qA);
    const ds = tf.matMul(outputRows(sample.grad), qS);
    const n = sample.input.shape[0];
    const rows = a.shape[0];
    if (rows === n) return tf.div(tf.matMul(tf.square(a), tf.square(ds), true, false), n) as tf.Tensor2D;
    const T = rows / n;
    const a3 = tf.reshape(a, [n, T, qA.shape[0]]);
    const ds3 = tf.reshape(ds, [n, T, qS.shape[0]]);
    let sum: tf.Tensor = tf.zeros([qA.shape[0], qS.shape[0]]);
    for (let start = 0; start < n; start += PROJECTION_CHUNK) {
      const size = Math.min(PROJECTION_CHUNK, n - start);
      const g = tf.matMul(
        tf.slice(a3, [start, 0, 0], [size, T, -1]),
        tf.slice(ds3, [start, 0, 0], [size, T, -1]),
        true,
        false,
      );
      const next = tf.add(sum, tf.sum(tf.square(g), 0));
      sum.dispose();
      sum = tf.keep(next);
    }
    return tf.div(sum, n) as tf.Tensor2D;
  });
}

export class EkfacOptimizer extends KfacOptimizer {
  /** Per layer: the corrected eigenvalues s [d_A, d_S] in the basis in use. */
  private readonly scalings = new Map<string, tf.Variable>();
  /** The samples of this step's statistics pass, kept for the projection after the basis update. */
  private readonly kept: { samples?: LayerSample[] };

  constructor(spec: EkfacSpec, ctx: OptimizerContext) {
    const kept: { samples?: LayerSample[] } = {};
    // The factor statistics from the same pass whose samples the correction projects (kept until then).
    const keeping: StatisticsPass = async (model, x, kind, noise) => {
      const samples = sampleLayers(model, x, (logits) => logitGradients(logits, kind, noise));
      disposeSamples(kept.samples);
      kept.samples = samples;
      return sumsOfSamples(samples);
    };
    super(
      {
        ...spec,
        dampingScheme: 'eigen',
        inverseMethod: 'eigendecomposition',
        inverseSchedule: 'synchronous',
      },
      { ...ctx, kfacInverses: undefined, kfacStatistics: keeping },
    );
    this.kept = kept;
  }

  override describeInverses(): string {
    return `eigendecomposition in float64 on the training thread every ${this.spec.inverseEvery} steps (the eigenbasis); eigenvalues corrected every ${this.spec.statsEvery} steps`;
  }

  override async updateCurvature(model: Model, x: tf.Tensor): Promise<void> {
    const statsDue = this.t % this.spec.statsEvery === 0 || !this.initialised;
    const basisDue =
      this.stale || this.t % this.spec.inverseEvery === 0 || this.blocks.some((b) => !b.inverse);
    if (!statsDue && !basisDue) return;
    try {
      if (statsDue) {
        await this.accumulate(model, [x], this.initialised ? 'ema' : 'replace');
        this.initialised = true;
      } else {
        // A new basis without a statistics step: sample the batch for the correction only.
        const seed = (this.seed * 1_000_003 + this.t * 131 + 65_537) % 2_147_483_647;
        const noise = curvatureNoise(this.kind, x.shape[0], model.numClasses, seed);
        try {
          this.kept.samples = sampleLayers(model, x, (logits) => logitGradients(logits, this.kind, noise));
        } finally {
          noise.dispose();
        }
      }
      const newBasis = basisDue || this.stale;
      if (newBasis) await this.recomputeInverses();
      this.correct(this.kept.samples!, newBasis);
    } finally {
      disposeSamples(this.kept.samples);
      this.kept.samples = undefined;
    }
  }

  override async initializeCurvature(model: Model, batches: readonly tf.Tensor[]): Promise<void> {
    await super.initializeCurvature(model, batches);
    // Only the factors: the correction is estimated at the first step, in the basis computed there.
    disposeSamples(this.kept.samples);
    this.kept.samples = undefined;
  }

  /** The corrected eigenvalues of `layer` (a copy, owned by the caller): tests and metrics. */
  correctedEigenvaluesOf(layer: string): tf.Tensor2D {
    const s = this.scalings.get(layer);
    if (!s) throw new Error(`E-KFAC: no corrected eigenvalues for layer "${layer}" yet`);
    return tf.clone(s) as tf.Tensor2D;
  }

  /** The K-FAC eigenbasis of `layer` in use (copies, owned by the caller). */
  eigenbasisOf(layer: string): { qA: tf.Tensor2D; qS: tf.Tensor2D } {
    const inv = this.block(layer).inverse;
    if (inv?.kind !== 'eigenbasis') throw new Error(`E-KFAC: no eigenbasis for layer "${layer}" yet`);
    return { qA: tf.clone(inv.qA) as tf.Tensor2D, qS: tf.clone(inv.qS) as tf.Tensor2D };
  }

  /** curvatureScale and effectiveDamping from the corrected eigenvalues: their mean, and λ_d over it. */
  override async metrics(): Promise<Record<string, number>> {
    const out = await super.metrics();
    if (this.scalings.size === 0) return out;
    const means = tf.tidy(() => tf.stack(this.blocks.map((b) => tf.mean(this.scalings.get(b.layer.name)!))));
    const v = await means.data();
    means.dispose();
    this.blocks.forEach((b, i) => {
      out[metricKey('curvatureScale', b.layer.name)] = v[i];
      if (v[i] > 0) out[metricKey('effectiveDamping', b.layer.name)] = this.spec.damping / v[i];
      else delete out[metricKey('effectiveDamping', b.layer.name)];
    });
    return out;
  }

  override getState(): Map<string, tf.Tensor> {
    const state = super.getState();
    for (const [layer, s] of this.scalings) state.set(`${layer}/ekfacEigenvalues`, tf.clone(s));
    return state;
  }

  override setState(state: Map<string, tf.Tensor>, iterations: number): void {
    const rest = new Map(state);
    const saved = new Map<string, tf.Tensor>();
    for (const b of this.blocks) {
      const key = `${b.layer.name}/ekfacEigenvalues`;
      const s = rest.get(key);
      if (s) saved.set(b.layer.name, s);
      rest.delete(key);
    }
    super.setState(rest, iterations);
    this.disposeScalings();
    for (const [layer, s] of saved) this.scalings.set(layer, tf.variable(tf.clone(s), false));
    for (const b of this.blocks) this.useScalings(b);
  }

  override dispose(): void {
    disposeSamples(this.kept.samples);
    this.disposeScalings();
    super.dispose();
  }

  /** Folds the batch's corrected eigenvalues in (afresh in a new basis) and damps the block with them. */
  private correct(samples: readonly LayerSample[], newBasis: boolean): void {
    for (const sample of samples) {
      const b = this.block(sample.layer.name);
      const inv = b.inverse;
      if (inv?.kind !== 'eigenbasis') throw new Error('E-KFAC: the block has no eigenbasis');
      const fresh = correctedEigenvalues(sample, inv.qA, inv.qS);
      const prev = this.scalings.get(b.layer.name);
      if (!prev || newBasis) {
        prev?.dispose();
        this.scalings.set(b.layer.name, tf.variable(fresh, false));
      } else {
        const decay = this.spec.statDecay;
        tf.tidy(() => prev.assign(tf.add(tf.mul(decay, prev), tf.mul(1 - decay, fresh))));
      }
      // The variable holds its own reference to the data.
      fresh.dispose();
      this.useScalings(b);
    }
  }

  /** The block's denominators become s + λ_d (Tikhonov on the corrected eigenvalues). */
  private useScalings(b: Block): void {
    const s = this.scalings.get(b.layer.name);
    const inv = b.inverse;
    if (!s || inv?.kind !== 'eigenbasis') return;
    inv.denominators.dispose();
    inv.denominators = tf.tidy(() => tf.add(s, this.spec.damping) as tf.Tensor2D);
  }

  private disposeScalings(): void {
    for (const s of this.scalings.values()) s.dispose();
    this.scalings.clear();
  }
}

function disposeSamples(samples: readonly LayerSample[] | undefined): void {
  if (samples) tf.dispose(samples.flatMap((s) => [s.input, s.grad]));
}
