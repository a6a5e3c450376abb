// K-FAC (K-FAC-F and K-FAC-G) as the official code runs it (docs/science.md sections 2, 5 and 6).
// Per linear layer l the curvature block is T_l * A_l (x) S_l (factors.ts, curvature.ts); the gradient of
// kernel and bias together is the matrix G [d_A, d_S] (the bias is the row of the homogeneous coordinate).
// One step with learning rate eta, regularization lambda (docs/science.md section 2, K-FAC row):
//   L2:            G <- G + lambda * theta          (BEFORE preconditioning: it passes through C^-1)
//   precondition:  U = C^-1 G, damped as damping.ts says (factored or eigen)
//   KL clip:       nu = min(1, sqrt(klClip / (eta^2 * sum_l <G_l, U_l>)))   (absent klClip: nu = 1)
//   momentum:      v <- mu v + nu U
//   weight decay:  theta <- theta - eta (v + lambda theta)   (decay NOT in the velocity)
// Schedule (counted in optimizer iterations t, the step about to be taken): factor statistics when
// t % statsEvery == 0 (cov <- decay cov + (1 - decay) new); eigendecompositions (inverse.ts) when
// t % inverseEvery == 0, and whenever the factors were (re)initialised without a fresh inverse. The very first
// statistics (no initStatsBatches) REPLACE the factors instead of averaging into zeros.
// Off the training thread (inverseSchedule "asynchronous"; OptimizerContext.kfacInverses): a round due at
// step k snapshots the factors and posts them to a worker (eigenPool.ts); steps k .. k+D-1 keep the previous
// eigenbases and the new ones are swapped in at the fixed step k + D (beforeStep() awaits the worker there if
// it is late), so a run is bit-reproducible whatever the timing. The first round (and any after
// re-initialised factors) is synchronous. A checkpoint taken with a round in flight stores its factor
// snapshot; resume recomputes it.
// inverseMethod newtonSchulz (factored scheme; auto picks it on GPU and native TensorFlow backends) instead
// inverts the two damped factors of each block on the training backend (newtonSchulz.ts) when the round is
// due: device matmuls, no eigenbasis, no CPU worker to wait for.
import { metricKey } from '../../../protocol/metrics';
import { resolveInverseMethod } from '../../../spec/inverseMethod';
import { optimizerDescriptor } from '../../../spec/optimizers';
import type { EkfacSpec, KfacInverseMethod, KfacSpec, RegularizationSpec } from '../../../spec/types';
import type { LinearLayer, Model } from '../../models/model';
import { matMulT } from '../../ops/matmul';
import { read, readAndDispose } from '../../read';
import { tf } from '../../tf';
import type { Optimizer, OptimizerContext, Param } from '../optimizer';
import { decayCoefficient } from '../regularization';
import { gradientOf, restoreAll, SlotSet } from '../slots';
import { type CurvatureKind, curvatureNoise } from './curvature';
import { eigenDenominators, factoredInverseSpectra, factoredShifts, traceOf } from './damping';
import { EigenPool } from './eigenPool';
import { emaUpdate } from './factors';
import { type SymmetricEigen, symmetricEigen } from './inverse';
import {
  inverseResidual,
  newtonSchulzInverse,
  newtonSchulzIterations,
  spectralUpperBound,
} from './newtonSchulz';
import { type FactorSums, localStatistics, type StatisticsPass } from './statistics';

/**
 * The spec the K-FAC machinery runs: K-FAC's own, or E-KFAC's with the inversion fields fixed (ekfac.ts:
 * eigendecomposition, synchronous, Tikhonov in the eigenbasis).
 */
export type KfacEngineSpec = KfacSpec | (Omit<KfacSpec, 'type'> & { type: EkfacSpec['type'] });

/** C^-1 of a block: in the Kronecker eigenbasis, or as the factored scheme's two damped factor inverses. */
type Inverse =
  | {
      kind: 'eigenbasis';
      qA: tf.Tensor2D;
      qS: tf.Tensor2D;
      /** Damped Kronecker eigenvalues D [d_A, d_S] (damping.ts). */
      denominators: tf.Tensor2D;
    }
  | {
      kind: 'factorInverses';
      /** (A + pi r I)^-1 and (S + r/pi I)^-1 / T (the 1/T folded in). */
      aInv: tf.Tensor2D;
      sInv: tf.Tensor2D;
      /**
       * Newton-Schulz: the larger relative residual ||I - M X||_F / sqrt(n) of the two (newtonSchulz.ts).
       * Absent when built from a float64 eigendecomposition.
       */
      residual?: tf.Scalar;
    };

export interface Block {
  layer: LinearLayer;
  kernel: Param;
  bias: Param;
  dA: number;
  dS: number;
  /** Spatial locations T (1 for dense; conv: learned from the first batch the block sees). */
  locations: number;
  A: tf.Variable;
  S: tf.Variable;
  inverse?: Inverse;
  /** The factors the current inverse was computed from: checkpointed, so a resumed run is exact. */
  inverted?: { A: tf.Tensor2D; S: tf.Tensor2D };
}

/** An inverse round in flight: the factor snapshots it decomposes and the step it is swapped in at. */
interface Round {
  applyAt: number;
  /** Read back to the host (no live tensors while a round is in flight), row-major. */
  snapshots: { b: Block; A: Float32Array; S: Float32Array }[];
  /** Eigenpairs [A_0, S_0, A_1, S_1, ...] once computed. */
  result?: SymmetricEigen[];
  /** Settles (never rejects) when the worker answered or failed. */
  done: Promise<void>;
}

export class KfacOptimizer implements Optimizer {
  readonly type: KfacEngineSpec['type'];
  protected t = 0;
  protected readonly blocks: Block[];
  private readonly regularization: RegularizationSpec;
  private readonly velocity: SlotSet | null;
  protected readonly kind: CurvatureKind;
  protected readonly seed: number;
  /** Where the factor statistics are computed: this thread, or the data-parallel threads (statistics.ts). */
  private readonly statisticsPass: StatisticsPass;
  /** Whether the factors hold statistics (from a stats step, initializeCurvature or a checkpoint). */
  protected initialised = false;
  /** The factors changed since the last eigendecomposition outside the T_inv schedule. */
  protected stale = true;
  /** The last step's KL-clip coefficient nu. */
  private lastClip = 1;
  /**
   * How many statistics passes and eigendecomposition rounds ran (tests count the schedule): `inverses` counts
   * rounds swapped in, `posted` rounds sent off-thread, `waited` times beforeStep had to wait for the worker.
   */
  readonly counts = { statistics: 0, inverses: 0, posted: 0, waited: 0 };
  /** Steps between an off-thread round's snapshot and its swap-in (0: synchronous, as soon as due). */
  private readonly delay: number;
  private readonly pool: EigenPool | null;
  private pending?: Round;
  /** How the factors are inverted (resolveInverseMethod, on the backend the optimizer was built on). */
  readonly inverseMethod: KfacInverseMethod;

  constructor(
    protected readonly spec: KfacEngineSpec,
    ctx: OptimizerContext,
  ) {
    if (!ctx.layers) throw new Error('K-FAC needs the model layers (OptimizerContext.layers)');
    this.type = spec.type;
    this.kind = optimizerDescriptor(spec.type).secondOrder!.curvature;
    this.seed = ctx.seed ?? 0;
    this.statisticsPass = ctx.kfacStatistics ?? localStatistics;
    this.regularization = ctx.regularization;
    const byName = new Map(ctx.params.map((p) => [p.name, p]));
    this.blocks = ctx.layers.map((layer) => {
      const kernel = byName.get(`${layer.name}/kernel`);
      const bias = byName.get(`${layer.name}/bias`);
      if (!kernel || !bias) throw new Error(`K-FAC: no kernel/bias parameters for layer "${layer.name}"`);
      const k = layer.kernel.shape;
      const dS = k[k.length - 1];
      const dA = k.slice(0, -1).reduce((a, b) => a * b, 1) + 1;
      const A = tf.tidy(() => tf.variable(tf.zeros([dA, dA]), false));
      const S = tf.tidy(() => tf.variable(tf.zeros([dS, dS]), false));
      return { layer, kernel, bias, dA, dS, locations: 1, A, S };
    });
    this.velocity = spec.momentum > 0 ? new SlotSet(ctx.params, 'momentum') : null;
    const inv = ctx.kfacInverses;
    // tfjs's backend ids are the spec's backend names (webgpu, tensorflow, wasm, cpu).
    this.inverseMethod = resolveInverseMethod(spec, tf.getBackend());
    if (this.inverseMethod === 'newtonSchulz' && spec.dampingScheme !== 'factored') {
      throw new Error(
        'K-FAC: inverseMethod "newtonSchulz" inverts the factors, so it needs dampingScheme "factored"',
      );
    }
    // Newton-Schulz runs on the training backend when due: no worker, no delayed swap-in.
    this.delay =
      this.inverseMethod === 'newtonSchulz'
        ? 0
        : Math.max(0, Math.min(Math.floor(inv?.delay ?? 0), spec.inverseEvery));
    this.synchronous = inv?.synchronous ?? false;
    this.gate = inv?.gate;
    this.pool = this.delay > 0 && !this.synchronous ? new EigenPool() : null;
  }

  private readonly synchronous: boolean;
  private readonly gate?: SharedArrayBuffer;

  /** The round in flight, if any: when it is swapped in and whether its eigenpairs are there yet. */
  get pendingInverse(): { applyAt: number; ready: boolean } | undefined {
    return this.pending && { applyAt: this.pending.applyAt, ready: this.pending.result !== undefined };
  }

  /** Whether off-thread rounds really run in a worker thread (false: in-thread fallback or delay 0). */
  get threaded(): boolean {
    return this.pool?.threaded ?? false;
  }

  /** One line for the run's log: how and where the factors are inverted. */
  describeInverses(): string {
    if (this.inverseMethod === 'newtonSchulz')
      return `Newton-Schulz in float32 on the ${tf.getBackend()} backend, every ${this.spec.inverseEvery} steps`;
    const where =
      this.delay === 0
        ? 'on the training thread, used from the step they are due (the official schedule)'
        : `${this.threaded ? 'in worker threads' : 'on the training thread'}, swapped in ${this.delay} steps after their factors were taken (asynchronous: ${this.delay} steps later than the official schedule)`;
    return `eigendecomposition in float64 ${where}, every ${this.spec.inverseEvery} steps`;
  }

  /** Waits for the worker when this step swaps in a round that is not computed yet. */
  async beforeStep(): Promise<void> {
    const p = this.pending;
    if (p && !p.result && this.t >= p.applyAt) {
      this.counts.waited += 1;
      await p.done;
    }
  }

  get iterations(): number {
    return this.t;
  }

  /** Called by the trainer before every step with the step's batch; does what the schedule says is due. */
  async updateCurvature(model: Model, x: tf.Tensor): Promise<void> {
    const statsDue = this.t % this.spec.statsEvery === 0;
    if (statsDue || !this.initialised) {
      await this.accumulate(model, [x], this.initialised ? 'ema' : 'replace');
      this.initialised = true;
    }
    if (this.pending && this.t >= this.pending.applyAt) this.swapIn();
    const due = this.t % this.spec.inverseEvery === 0;
    if (this.stale || (due && this.delay === 0)) await this.recomputeInverses();
    else if (due) await this.startRound(this.t + this.delay);
  }

  /** The official "roger init": factors = the plain average of the statistics over `batches`. */
  async initializeCurvature(model: Model, batches: readonly tf.Tensor[]): Promise<void> {
    if (batches.length === 0) return;
    await this.accumulate(model, batches, 'replace');
    this.initialised = true;
    this.stale = true;
  }

  /**
   * Sets the factors directly (tests with exact statistics; T given for conv blocks) and recomputes the
   * inverses. `A` is [d_A, d_A] with the homogeneous coordinate last; `S` is [d_S, d_S].
   */
  async setFactors(layer: string, A: tf.Tensor, S: tf.Tensor, locations = 1): Promise<void> {
    const b = this.block(layer);
    b.A.assign(A);
    b.S.assign(S);
    b.locations = locations;
    this.initialised = true;
    await this.recomputeInverses();
  }

  /** Copies of the current factors of a layer (owned by the caller). */
  factors(layer: string): { A: tf.Tensor2D; S: tf.Tensor2D; locations: number } {
    const b = this.block(layer);
    return { A: tf.clone(b.A) as tf.Tensor2D, S: tf.clone(b.S) as tf.Tensor2D, locations: b.locations };
  }

  /** C^-1 G for one layer's gradient matrix G [d_A, d_S] (damping.ts), with the current inverse. */
  precondition(layer: string, G: tf.Tensor2D): tf.Tensor2D {
    const inv = this.block(layer).inverse;
    if (!inv) throw new Error(`K-FAC: no inverse for layer "${layer}" yet (updateCurvature first)`);
    if (inv.kind === 'factorInverses') return tf.tidy(() => tf.matMul(tf.matMul(inv.aInv, G), inv.sInv));
    return tf.tidy(() => {
      const inBasis = tf.matMul(matMulT(inv.qA, G, true, false), inv.qS);
      return matMulT(
        tf.matMul(inv.qA, tf.div(inBasis, inv.denominators)) as tf.Tensor2D,
        inv.qS,
        false,
        true,
      );
    });
  }

  async step(grads: Map<string, tf.Tensor>, lr: number): Promise<void> {
    const mu = this.spec.momentum;
    const reg = this.regularization;
    // Two phases around the KL clip's read-back (asynchronous: engine/read.ts): precondition, then update.
    const updates: { b: Block; U: tf.Tensor2D; wdK: number; wdB: number }[] = [];
    const dot = tf.tidy(() => {
      let dot: tf.Scalar = tf.scalar(0);
      for (const b of this.blocks) {
        const gK = gradientOf(grads, b.kernel);
        const gB = gradientOf(grads, b.bias);
        if (!gK && !gB) continue;
        const lamK = decayCoefficient(b.kernel, reg);
        const lamB = decayCoefficient(b.bias, reg);
        const l2 = reg.type === 'l2';
        // docs/science.md section 2: L2 joins the gradient before the preconditioner.
        const withL2 = (g: tf.Tensor | undefined, p: Param, lam: number): tf.Tensor => {
          const base = g ?? tf.zerosLike(p.variable);
          return l2 && lam > 0 ? tf.add(base, tf.mul(lam, p.variable)) : base;
        };
        const G = tf.concat(
          [
            tf.reshape(withL2(gK, b.kernel, lamK), [b.dA - 1, b.dS]),
            tf.reshape(withL2(gB, b.bias, lamB), [1, b.dS]),
          ],
          0,
        ) as tf.Tensor2D;
        const U = tf.keep(this.precondition(b.layer.name, G));
        dot = tf.add(dot, tf.sum(tf.mul(G, U)));
        updates.push({ b, U, wdK: l2 ? 0 : lamK, wdB: l2 ? 0 : lamB });
      }
      return dot;
    });
    // KL clip on the preconditioned gradient, before momentum (docs/science.md section 6).
    let nu = 1;
    if (this.spec.klClip !== undefined) {
      const [sq] = await read(dot);
      nu = sq > 0 ? Math.min(1, Math.sqrt(this.spec.klClip / (lr * lr * sq))) : 1;
    }
    dot.dispose();
    this.lastClip = nu;
    tf.tidy(() => {
      for (const { b, U, wdK, wdB } of updates) {
        const uK = tf.reshape(tf.slice(U, [0, 0], [b.dA - 1, b.dS]), b.kernel.variable.shape);
        const uB = tf.reshape(tf.slice(U, [b.dA - 1, 0], [1, b.dS]), b.bias.variable.shape);
        for (const [p, u, wd] of [
          [b.kernel, uK, wdK],
          [b.bias, uB, wdB],
        ] as const) {
          let direction = nu === 1 ? u : tf.mul(nu, u);
          if (this.velocity) {
            const v = this.velocity.get(p.name);
            v.assign(tf.add(tf.mul(mu, v), direction));
            direction = v;
          }
          // Weight decay after momentum: step = v + lambda theta (docs/science.md section 2).
          const stepDir = wd > 0 ? tf.add(direction, tf.mul(wd, p.variable)) : direction;
          p.variable.assign(tf.sub(p.variable, tf.mul(lr, stepDir)));
        }
      }
    });
    tf.dispose(updates.map((u) => u.U));
    this.t += 1;
  }

  /**
   * Per layer (docs/science.md sections 4 and 5): curvatureScale = T (tr A/d_A)(tr S/d_S), the mean eigenvalue of
   * the block; effectiveDamping = damping / curvatureScale (omitted while the scale is 0); kfac/factorNorm =
   * sum_l T_l tr(S_l W_l^T A_l W_l) with W_l = [kernel; bias] [d_A, d_S] and the optimizer's own running
   * factors (training batches, sampled targets; K-FAC-G's carry the output covariance 2I, so this is twice
   * the H = I norm in expectation: the comparable kfacGnNorm is metrics/kfacGaussNewton.ts); kfac/klClip = nu when clipping;
   * kfac/inverseResidual = the largest relative residual of the Newton-Schulz inverses in use.
   */
  async metrics(): Promise<Record<string, number>> {
    if (!this.initialised) return {};
    const values = tf.tidy(() => {
      const rows: tf.Scalar[] = [];
      for (const b of this.blocks) {
        const W = tf.concat(
          [tf.reshape(b.kernel.variable, [b.dA - 1, b.dS]), tf.reshape(b.bias.variable, [1, b.dS])],
          0,
        );
        rows.push(tf.sum(tf.mul(tf.eye(b.dA), b.A)), tf.sum(tf.mul(tf.eye(b.dS), b.S)));
        rows.push(tf.sum(tf.mul(tf.matMul(b.A, W), tf.matMul(W, b.S))));
      }
      for (const b of this.blocks)
        if (b.inverse?.kind === 'factorInverses' && b.inverse.residual) rows.push(b.inverse.residual);
      return tf.stack(rows);
    });
    const v = await readAndDispose(values);
    const out: Record<string, number> = {};
    let gn = 0;
    this.blocks.forEach((b, i) => {
      const [trA, trS, quad] = [v[3 * i], v[3 * i + 1], v[3 * i + 2]];
      const scale = b.locations * (trA / b.dA) * (trS / b.dS);
      out[metricKey('curvatureScale', b.layer.name)] = scale;
      if (scale > 0) out[metricKey('effectiveDamping', b.layer.name)] = this.spec.damping / scale;
      gn += b.locations * quad;
    });
    out[metricKey('kfac/factorNorm')] = gn;
    const residuals = Array.from(v.subarray(3 * this.blocks.length));
    if (residuals.length > 0) out[metricKey('kfac/inverseResidual')] = Math.max(...residuals);
    if (this.spec.klClip !== undefined) out[metricKey('kfac/klClip')] = this.lastClip;
    return out;
  }

  getState(): Map<string, tf.Tensor> {
    const state = new Map<string, tf.Tensor>();
    this.velocity?.copyInto(state);
    for (const b of this.blocks) {
      state.set(`${b.layer.name}/kfacA`, tf.clone(b.A));
      state.set(`${b.layer.name}/kfacS`, tf.clone(b.S));
      if (b.inverted) {
        state.set(`${b.layer.name}/kfacAInverted`, tf.clone(b.inverted.A));
        state.set(`${b.layer.name}/kfacSInverted`, tf.clone(b.inverted.S));
        state.set(`${b.layer.name}/kfacLocations`, tf.tensor1d([b.locations]));
      }
    }
    // A round in flight: its snapshot (its swap-in step follows from the iteration count, see setState).
    for (const s of this.pending?.snapshots ?? []) {
      state.set(`${s.b.layer.name}/kfacAPending`, tf.tensor2d(s.A, [s.b.dA, s.b.dA]));
      state.set(`${s.b.layer.name}/kfacSPending`, tf.tensor2d(s.S, [s.b.dS, s.b.dS]));
    }
    return state;
  }

  setState(state: Map<string, tf.Tensor>, iterations: number): void {
    const rest = new Map(state);
    for (const b of this.blocks) {
      for (const [suffix, v] of [
        ['kfacA', b.A],
        ['kfacS', b.S],
      ] as const) {
        const key = `${b.layer.name}/${suffix}`;
        const saved = rest.get(key);
        if (!saved) throw new Error(`optimizer state has no "${key}"`);
        if (!tf.util.arraysEqual(saved.shape, v.shape))
          throw new Error(`optimizer state "${key}" has shape [${saved.shape}], expected [${v.shape}]`);
        v.assign(saved);
        rest.delete(key);
      }
      // The inverse in use when the checkpoint was written, rebuilt from the same factors (bit-exact resume).
      const name = b.layer.name;
      const [iA, iS, loc] = ['kfacAInverted', 'kfacSInverted', 'kfacLocations'].map((k) =>
        rest.get(`${name}/${k}`),
      );
      for (const k of ['kfacAInverted', 'kfacSInverted', 'kfacLocations']) rest.delete(`${name}/${k}`);
      this.disposeInverse(b);
      if (iA && iS && loc) {
        // Restored from host data, so their values are on the host on every backend (webgpu included).
        b.locations = loc.dataSync()[0];
        this.invertHost(b, Float32Array.from(iA.dataSync()), Float32Array.from(iS.dataSync()));
      }
    }
    this.discardPending();
    const snapshots = this.blocks.map((b) => {
      const [A, S] = ['kfacAPending', 'kfacSPending'].map((k) => rest.get(`${b.layer.name}/${k}`));
      rest.delete(`${b.layer.name}/kfacAPending`);
      rest.delete(`${b.layer.name}/kfacSPending`);
      return A && S
        ? { b, A: Float32Array.from(A.dataSync()), S: Float32Array.from(S.dataSync()) }
        : undefined;
    });
    restoreAll(this.velocity ? [this.velocity] : [], rest);
    if (snapshots.every((x) => x !== undefined) && iterations > 0 && this.delay > 0) {
      // Posted at the last scheduled round k <= iterations - 1, swapped in at k + D (D <= T_inv).
      const every = this.spec.inverseEvery;
      this.launch(snapshots, Math.floor((iterations - 1) / every) * every + this.delay);
    }
    this.t = iterations;
    this.initialised = iterations > 0;
    this.stale = this.blocks.some((b) => !b.inverse);
  }

  dispose(): void {
    this.pool?.dispose();
    this.discardPending();
    this.velocity?.dispose();
    for (const b of this.blocks) {
      this.disposeInverse(b);
      b.A.dispose();
      b.S.dispose();
    }
  }

  protected block(layer: string): Block {
    const b = this.blocks.find((x) => x.layer.name === layer);
    if (!b) throw new Error(`K-FAC has no layer "${layer}"`);
    return b;
  }

  /**
   * Fresh statistics averaged over `batches`, then folded in (EMA) or written (replace). Each batch's
   * sampling noise is drawn here for the whole batch, so the statistics pass may split it across threads.
   */
  protected async accumulate(
    model: Model,
    batches: readonly tf.Tensor[],
    mode: 'ema' | 'replace',
  ): Promise<void> {
    const means = new Map<Block, { A: tf.Tensor; S: tf.Tensor }>();
    try {
      for (const [i, x] of batches.entries()) {
        // A distinct, reproducible sampling seed per statistics pass.
        const seed = (this.seed * 1_000_003 + this.t * 131 + i) % 2_147_483_647;
        const noise = curvatureNoise(this.kind, x.shape[0], model.numClasses, seed);
        let sums: FactorSums[];
        try {
          sums = await this.statisticsPass(model, x, this.kind, noise);
        } finally {
          noise.dispose();
        }
        for (const s of sums) {
          const b = this.blocks.find((x) => x.layer.name === s.layer);
          const prev = b && means.get(b);
          if (b) {
            b.locations = s.locations;
            means.set(
              b,
              tf.tidy(() => {
                const A = tf.div(s.A, s.rows);
                const S = tf.div(s.S, s.rows);
                return prev ? { A: tf.add(prev.A, A), S: tf.add(prev.S, S) } : { A, S };
              }),
            );
          }
          tf.dispose([s.A, s.S, ...(prev ? [prev.A, prev.S] : [])]);
        }
      }
      for (const [b, sum] of means) {
        tf.tidy(() => {
          const A = tf.div(sum.A, batches.length);
          const S = tf.div(sum.S, batches.length);
          if (mode === 'replace') {
            b.A.assign(A);
            b.S.assign(S);
          } else {
            emaUpdate(b.A, A, this.spec.statDecay);
            emaUpdate(b.S, S, this.spec.statDecay);
          }
        });
      }
    } finally {
      tf.dispose([...means.values()].flatMap((m) => [m.A, m.S]));
    }
    if (mode === 'replace') this.stale = true;
    this.counts.statistics += 1;
  }

  protected async recomputeInverses(): Promise<void> {
    this.discardPending();
    const factors = await this.hostFactors();
    for (const { b, A, S } of factors) {
      this.disposeInverse(b);
      this.invertHost(b, A, S);
    }
    this.stale = false;
    this.counts.inverses += 1;
  }

  /** Snapshots the factors for a round swapped in at `applyAt`, and starts computing it. */
  private async startRound(applyAt: number): Promise<void> {
    this.launch(await this.hostFactors(), applyAt);
  }

  /** Every block's factors, read back (asynchronously) as float32 copies. */
  private hostFactors(): Promise<{ b: Block; A: Float32Array; S: Float32Array }[]> {
    return Promise.all(
      this.blocks.map(async (b) => ({
        b,
        A: Float32Array.from(await read(b.A)),
        S: Float32Array.from(await read(b.S)),
      })),
    );
  }

  /**
   * The block's inverse from host copies of its factors: eigendecomposed here (float64), or, for Newton-Schulz,
   * uploaded and inverted on the device with shifts and bounds taken from the same host copies (so a resumed
   * run, which restores these copies, computes the identical inverse).
   */
  private invertHost(b: Block, A: Float32Array, S: Float32Array): void {
    if (this.inverseMethod === 'newtonSchulz') {
      const tA = tf.tensor2d(A, [b.dA, b.dA]);
      const tS = tf.tensor2d(S, [b.dS, b.dS]);
      const T = b.locations;
      const { shiftA, shiftS } = factoredShifts(
        traceOf(A, b.dA) / b.dA,
        traceOf(S, b.dS) / b.dS,
        this.spec.damping,
        T,
      );
      const inverse = (f: tf.Tensor2D, host: Float32Array, n: number, shift: number) => {
        const upper = spectralUpperBound(host, n, shift);
        return newtonSchulzInverse(f, shift, upper, newtonSchulzIterations(shift, upper));
      };
      const aInv = inverse(tA, A, b.dA, shiftA);
      const sRaw = inverse(tS, S, b.dS, shiftS);
      const residual = tf.tidy(() =>
        tf.maximum(inverseResidual(tA, shiftA, aInv), inverseResidual(tS, shiftS, sRaw)),
      ) as tf.Scalar;
      const sInv = tf.tidy(() => tf.div(sRaw, T)) as tf.Tensor2D;
      sRaw.dispose();
      b.inverse = { kind: 'factorInverses', aInv, sInv, residual };
      b.inverted = { A: tA, S: tS };
      return;
    }
    this.invert(
      b,
      tf.tensor2d(A, [b.dA, b.dA]),
      tf.tensor2d(S, [b.dS, b.dS]),
      symmetricEigen(A, b.dA),
      symmetricEigen(S, b.dS),
    );
  }

  /** Takes ownership of the snapshots; computes them in the worker, or now (synchronous / no worker). */
  private launch(snapshots: Round['snapshots'], applyAt: number): void {
    this.discardPending();
    const round: Round = { applyAt, snapshots, done: Promise.resolve() };
    const matrices = snapshots.flatMap(({ b, A, S }) => [
      { data: A, n: b.dA },
      { data: S, n: b.dS },
    ]);
    if (this.pool?.threaded) {
      this.counts.posted += 1;
      round.done = this.pool.submit(matrices, this.gate).then(
        (r) => {
          round.result = r;
        },
        // A failed worker: the swap-in computes the round in-thread (swapIn).
        () => {},
      );
    } else round.result = matrices.map((m) => symmetricEigen(m.data, m.n));
    this.pending = round;
  }

  /** Swaps the pending round's eigenbases in (computing them here if the worker has not answered). */
  private swapIn(): void {
    const round = this.pending!;
    this.pending = undefined;
    const r =
      round.result ??
      round.snapshots.flatMap(({ b, A, S }) => [symmetricEigen(A, b.dA), symmetricEigen(S, b.dS)]);
    round.snapshots.forEach(({ b, A, S }, i) => {
      this.disposeInverse(b);
      const tA = tf.tensor2d(A, [b.dA, b.dA]);
      const tS = tf.tensor2d(S, [b.dS, b.dS]);
      this.invert(b, tA, tS, r[2 * i], r[2 * i + 1]);
    });
    this.counts.inverses += 1;
  }

  private discardPending(): void {
    this.pending = undefined;
  }

  /**
   * The block's inverse from the eigenpairs of its factors A, S (taking ownership of them). The factored
   * scheme becomes the two damped factor inverses, Q diag(1 / (eigenvalue + shift)) Q^T each (damping.ts),
   * built once per round so that each step's preconditioning is two matmuls; the eigen scheme's Kronecker
   * denominators do not factor, so it keeps the eigenbasis (four matmuls per step).
   */
  private invert(b: Block, A: tf.Tensor2D, S: tf.Tensor2D, eA: SymmetricEigen, eS: SymmetricEigen): void {
    b.inverted = { A, S };
    if (this.spec.dampingScheme === 'factored') {
      const spectra = factoredInverseSpectra(eA.values, eS.values, this.spec.damping, b.locations);
      const fromEigen = (e: SymmetricEigen, inverse: Float64Array, n: number) =>
        tf.tidy(() => {
          const q = tf.tensor2d(Float32Array.from(e.vectors), [n, n]);
          return matMulT(tf.mul(q, tf.tensor1d(Float32Array.from(inverse))) as tf.Tensor2D, q, false, true);
        });
      b.inverse = {
        kind: 'factorInverses',
        aInv: fromEigen(eA, spectra.a, b.dA),
        sInv: fromEigen(eS, spectra.s, b.dS),
      };
      return;
    }
    const denominators = eigenDenominators(eA.values, eS.values, this.spec.damping, b.locations);
    b.inverse = {
      kind: 'eigenbasis',
      qA: tf.tensor2d(Float32Array.from(eA.vectors), [b.dA, b.dA]),
      qS: tf.tensor2d(Float32Array.from(eS.vectors), [b.dS, b.dS]),
      denominators: tf.tensor2d(Float32Array.from(denominators), [b.dA, b.dS]),
    };
  }

  private disposeInverse(b: Block): void {
    const inv = b.inverse;
    if (inv?.kind === 'eigenbasis') tf.dispose([inv.qA, inv.qS, inv.denominators]);
    if (inv?.kind === 'factorInverses')
      tf.dispose([inv.aInv, inv.sInv, ...(inv.residual ? [inv.residual] : [])]);
    if (b.inverted) tf.dispose([b.inverted.A, b.inverted.S]);
    b.inverse = undefined;
    b.inverted = undefined;
  }
}
