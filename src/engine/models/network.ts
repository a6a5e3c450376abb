// What the three architectures share: linear layers that own their variables, BN without affine, the
// forward-pass context (training flag, batch-statistics collection, an optional per-layer tap), and the
// Model bookkeeping (variables, BN state, parameter count, disposal).
import { glorotUniform, layerSeed } from '../init';
import { BatchNorm, type BatchStatistics, BN_MOMENTUM } from '../ops/batchNorm';
import { type ConvPadding, conv2d } from '../ops/conv';
import { dense } from '../ops/dense';
import { tf } from '../tf';
import type { LinearLayer, Model } from './model';

export interface LinearOptions {
  name: string;
  kind: 'dense' | 'conv';
  /** dense: [in, out]; conv: [kh, kw, in, out]. */
  kernelShape: number[];
  /** The model seed and this layer's index in forward order (init.ts derives the layer's own seed). */
  modelSeed: number;
  index: number;
  scaleInvariant: boolean;
  isLast: boolean;
  strides?: number;
  padding?: ConvPadding;
}

/** A dense or conv layer: Glorot-uniform kernel and zero bias (docs/science.md section 1). */
export class Linear implements LinearLayer {
  readonly name: string;
  readonly kind: 'dense' | 'conv';
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly scaleInvariant: boolean;
  readonly isLast: boolean;
  readonly strides?: number;
  readonly padding?: ConvPadding;

  constructor(options: LinearOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.scaleInvariant = options.scaleInvariant;
    this.isLast = options.isLast;
    if (options.kind === 'conv') {
      this.strides = options.strides ?? 1;
      this.padding = options.padding ?? 'same';
    }
    const outputs = options.kernelShape[options.kernelShape.length - 1];
    // tf.variable(init) keeps `init` alive unless disposed (docs/engines.md): the tidy disposes it.
    this.kernel = tf.tidy(() =>
      tf.variable(glorotUniform(options.kernelShape, layerSeed(options.modelSeed, options.index))),
    );
    this.bias = tf.tidy(() => tf.variable(tf.zeros([outputs])));
  }

  /** The pre-activation: x W + b (dense, x [N, in]) or conv(x, W) + b (conv, x NHWC). */
  apply(x: tf.Tensor): tf.Tensor {
    if (this.kind === 'dense') {
      return dense(x as tf.Tensor2D, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D);
    }
    return conv2d(
      x as tf.Tensor4D,
      this.kernel as tf.Tensor4D,
      this.bias as tf.Tensor1D,
      this.strides ?? 1,
      this.padding ?? 'same',
    );
  }

  get parameterCount(): number {
    return this.kernel.size + this.bias.size;
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}

/**
 * Sees each linear layer's input and pre-activation (before BN) during a forward pass and returns the
 * pre-activation to use downstream. K-FAC uses it to read the layer inputs (factor A) and to add a zero
 * "probe" whose gradient is the pre-activation gradient (factor S) (docs/architecture.md, Engine).
 */
export type LinearTap = (layer: LinearLayer, input: tf.Tensor, preActivation: tf.Tensor) => tf.Tensor;

/** A linear layer and the BN that follows it (absent without batchNorm and on the classifier). */
export interface Unit {
  linear: Linear;
  norm?: BatchNorm;
}

/** One forward pass: the mode, where batch statistics go, and the optional tap. */
export class ForwardPass {
  constructor(
    readonly training: boolean,
    private readonly tap?: LinearTap,
    /** Filled with each BN layer's batch statistics in training mode. */
    readonly statistics = new Map<BatchNorm, BatchStatistics>(),
  ) {}

  /**
   * linear -> (BN); no activation. In a scope of its own, so that the pre-activation is freed as soon as
   * BN has read it (the backward pass keeps only what each op saved; memory: docs/performance.md).
   */
  unit(unit: Unit, x: tf.Tensor): tf.Tensor {
    const { norm } = unit;
    const [y, mean, variance] = tf.tidy((): tf.Tensor[] => {
      const s = unit.linear.apply(x);
      const pre = this.tap ? this.tap(unit.linear, x, s) : s;
      if (!norm) return [pre];
      if (!this.training) return [norm.normalizeWithMovingStatistics(pre)];
      const { y, statistics } = norm.normalizeWithBatchStatistics(pre);
      return [y, statistics.mean, statistics.variance];
    });
    if (norm && mean) {
      this.statistics.set(norm, {
        mean: tf.keep(mean as tf.Tensor1D),
        variance: tf.keep(variance as tf.Tensor1D),
      });
    }
    return y;
  }

  /**
   * Frees the batch statistics this pass kept (tf.keep: past any scope a model opens inside its forward
   * pass, a residual block's).
   */
  release(): void {
    for (const s of this.statistics.values()) tf.dispose([s.mean, s.variance]);
    this.statistics.clear();
  }
}

/** Builds units in forward order, numbering them for their init seeds and adding BN where asked. */
export class UnitFactory {
  readonly units: Unit[] = [];

  constructor(
    private readonly modelSeed: number,
    private readonly batchNorm: boolean,
    private readonly batchNormMomentum = BN_MOMENTUM,
  ) {}

  /** A hidden layer: followed by BN (and so scale-invariant) when the model uses batch norm. */
  hidden(options: Omit<LinearOptions, 'modelSeed' | 'index' | 'scaleInvariant' | 'isLast'>): Unit {
    return this.add(options, this.batchNorm, false);
  }

  /** The classifier: never followed by BN, never scale-invariant (docs/science.md section 1). */
  classifier(inputs: number, classes: number): Unit {
    return this.add({ name: 'fc', kind: 'dense', kernelShape: [inputs, classes] }, false, true);
  }

  private add(
    options: Omit<LinearOptions, 'modelSeed' | 'index' | 'scaleInvariant' | 'isLast'>,
    normalized: boolean,
    isLast: boolean,
  ): Unit {
    const linear = new Linear({
      ...options,
      modelSeed: this.modelSeed,
      index: this.units.length,
      scaleInvariant: normalized,
      isLast,
    });
    const outputs = options.kernelShape[options.kernelShape.length - 1];
    const unit: Unit = normalized
      ? { linear, norm: new BatchNorm(`${options.name}.bn`, outputs, this.batchNormMomentum) }
      : { linear };
    this.units.push(unit);
    return unit;
  }
}

/** Batch statistics kept from a training-mode forward, valid while the input and the weights are unchanged. */
interface PendingStatistics {
  inputId: number;
  weights: object[];
  statistics: Map<BatchNorm, BatchStatistics>;
}

/**
 * Model bookkeeping shared by MLP, VGG and ResNet. Subclasses build their units with a UnitFactory and
 * implement `run` (the forward pass proper).
 */
export abstract class Network implements Model {
  abstract readonly arch: Model['arch'];
  readonly layers: LinearLayer[];
  private readonly linears: Linear[];
  private readonly norms: BatchNorm[];
  private pending?: PendingStatistics;

  constructor(
    readonly inputShape: number[],
    readonly numClasses: number,
    units: Unit[],
  ) {
    this.linears = units.map((u) => u.linear);
    this.layers = this.linears;
    this.norms = units.flatMap((u) => (u.norm ? [u.norm] : []));
  }

  /** The forward pass proper: logits [N, classes]. Runs inside forward's tidy. */
  protected abstract run(x: tf.Tensor, pass: ForwardPass): tf.Tensor2D;

  /**
   * Logits. `tap` (not part of the Model interface) sees every linear layer's input and pre-activation.
   * A training-mode pass without a tap (the gradient's forward) also remembers its batch statistics
   * (clones, a few floats per channel) so that updateBatchNormStats on the same input with unchanged
   * weights needs no second forward; tapped passes (K-FAC's curvature) leave them alone.
   */
  forward(x: tf.Tensor, training: boolean, tap?: LinearTap): tf.Tensor2D {
    this.checkInput(x);
    const pass = new ForwardPass(training, tap);
    try {
      return tf.tidy(() => {
        const logits = this.run(x, pass);
        if (training && !tap && this.norms.length > 0) this.remember(x, pass.statistics);
        return logits;
      });
    } finally {
      pass.release();
    }
  }

  /**
   * Folds this batch's statistics into the BN moving averages (momentum 0.99, docs/science.md section 1).
   * Reuses the statistics of the last training-mode forward when it saw this very tensor with the current
   * weights (the trainer's order: gradients, then this, then the optimizer step — as TF's update ops run on
   * the step's own forward); otherwise runs a training-mode forward first.
   */
  updateBatchNormStats(x: tf.Tensor): void {
    if (this.norms.length === 0) return;
    const pending = this.pending && this.isCurrent(this.pending, x) ? this.pending : undefined;
    if (pending) {
      for (const [norm, s] of pending.statistics) norm.foldIntoMovingStatistics(s);
    } else {
      this.checkInput(x);
      const pass = new ForwardPass(true);
      try {
        tf.tidy(() => {
          this.run(x, pass);
        });
        for (const [norm, s] of pass.statistics) norm.foldIntoMovingStatistics(s);
      } finally {
        pass.release();
      }
    }
    this.forget();
  }

  trainableVariables(): tf.Variable[] {
    return this.linears.flatMap((l) => [l.kernel, l.bias]);
  }

  stateVariables(): Map<string, tf.Variable> {
    const state = new Map<string, tf.Variable>();
    for (const norm of this.norms) {
      state.set(`${norm.name}.movingMean`, norm.movingMean);
      state.set(`${norm.name}.movingVariance`, norm.movingVariance);
    }
    return state;
  }

  parameterCount(): number {
    return this.linears.reduce((sum, l) => sum + l.parameterCount, 0);
  }

  dispose(): void {
    this.forget();
    for (const l of this.linears) l.dispose();
    for (const n of this.norms) n.dispose();
  }

  private checkInput(x: tf.Tensor): void {
    const shape = x.shape.slice(1);
    const flat = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
    // An MLP accepts any input with the right number of features (an image is flattened).
    const ok =
      this.arch === 'mlp'
        ? flat(shape) === flat(this.inputShape)
        : shape.length === this.inputShape.length && shape.every((d, i) => d === this.inputShape[i]);
    if (!ok) {
      throw new Error(
        `${this.arch} built for inputs [N, ${this.inputShape.join(', ')}] got [${x.shape.join(', ')}]`,
      );
    }
  }

  private weightIds(): object[] {
    return this.trainableVariables().map((v) => v.dataId);
  }

  /** Still valid: same input tensor, and no variable reassigned since (assign replaces the dataId). */
  private isCurrent(pending: PendingStatistics, x: tf.Tensor): boolean {
    if (pending.inputId !== x.id) return false;
    const now = this.weightIds();
    return now.length === pending.weights.length && now.every((id, i) => id === pending.weights[i]);
  }

  private remember(x: tf.Tensor, statistics: Map<BatchNorm, BatchStatistics>): void {
    this.forget();
    const kept = new Map<BatchNorm, BatchStatistics>();
    // Clones, so that disposing them later never frees a tensor a gradient tape still holds.
    for (const [norm, s] of statistics) {
      kept.set(norm, { mean: tf.keep(tf.clone(s.mean)), variance: tf.keep(tf.clone(s.variance)) });
    }
    this.pending = { inputId: x.id, weights: this.weightIds(), statistics: kept };
  }

  private forget(): void {
    if (!this.pending) return;
    for (const s of this.pending.statistics.values()) tf.dispose([s.mean, s.variance]);
    this.pending = undefined;
  }
}

/** round(channels * width), at least 1: the spec's channel multiplier, as the layer table computes it. */
export { scaledChannels } from '../../spec/layout';
