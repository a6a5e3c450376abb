// The sampled backward pass that feeds K-FAC's factors (docs/science.md section 6).
//   K-FAC-F (true Fisher): y ~ softmax(f(x)) from the MODEL; the per-example gradient of -log p(y|x) at the
//     logits is softmax(f) - onehot(y).
//   K-FAC-G (Gauss-Newton): the official code samples y ~ N(f, 0.5 I) and backpropagates the Gaussian NLL
//     (y - f)^2, whose gradient at the logits is -2 (y - f) ~ N(0, 2 I). We draw that vector directly,
//     sqrt(2) * N(0, I), and KEEP the official factor 2: E[S-side curvature] = 2 E[J^T J], so the paper's
//     damping values (paper-configs.tsv) mean what they meant there.
// The training loss stays softmax cross-entropy; this pass only measures curvature.
// The randomness is drawn for the whole batch up front (curvatureNoise): one uniform per example (K-FAC-F
// samples y by inverting the CDF of softmax(f)) or one N(0, 2 I) vector (K-FAC-G). A data-parallel step
// hands each thread the rows of its shard, so the statistics do not depend on the thread count.
// Pre-activation gradients: one taped forward passes every pre-activation through an identity op (the
// model's tap) whose gradient function keeps the gradient arriving there; the backward pass is seeded with
// the per-example logit gradients above (sum over the batch = the mean loss's gradient times N: the
// batch-scaling convention of factors.ts).
import type { LinearLayer, Model } from '../../models/model';
import type { LinearTap } from '../../models/network';
import { inputGradientsOnly } from '../../ops/conv';
import { customOp } from '../../ops/customOp';
import { tf } from '../../tf';

export type CurvatureKind = 'fisher' | 'gaussNewton';

/** A model whose forward accepts the per-layer tap (every Network does). */
export type TappableModel = Model & {
  forward(x: tf.Tensor, training: boolean, tap?: LinearTap): tf.Tensor2D;
};

export interface LayerSample {
  layer: LinearLayer;
  /** The layer's input as the forward saw it. */
  input: tf.Tensor;
  /** Per-example gradient of the sampled loss with respect to the pre-activation (same shape). */
  grad: tf.Tensor;
}

/**
 * The sampling noise for a batch of `n` examples and `classes` logits: K-FAC-F one uniform on [0, 1) per
 * example ([n, 1]); K-FAC-G the logit-side gradient itself, sqrt(2) * N(0, I) ([n, classes]).
 */
export function curvatureNoise(kind: CurvatureKind, n: number, classes: number, seed: number): tf.Tensor2D {
  return kind === 'gaussNewton'
    ? tf.randomNormal([n, classes], 0, Math.SQRT2, 'float32', seed)
    : tf.randomUniform([n, 1], 0, 1, 'float32', seed);
}

/**
 * The logit-side vector whose backpropagation gives the sampled curvature (one row per example), from the
 * rows of curvatureNoise. K-FAC-F: y = the first class whose cumulative softmax exceeds the example's
 * uniform u (so P(y = c) = p_c), and the vector is softmax(f) - onehot(y).
 */
export function logitGradients(logits: tf.Tensor2D, kind: CurvatureKind, noise: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    if (kind === 'gaussNewton') return tf.clone(noise);
    const classes = logits.shape[1];
    const p = tf.softmax(logits);
    const below = tf.cast(tf.less(tf.cumsum(p, 1), noise), 'int32');
    // u beyond the float sum of p (rounding) would give y = classes: the last class.
    const y = tf.minimum(tf.sum(below, 1), tf.scalar(classes - 1, 'int32')) as tf.Tensor1D;
    return tf.sub(p, tf.oneHot(y, classes)) as tf.Tensor2D;
  });
}

/**
 * Inputs and pre-activation gradients of every linear layer for the batch `x`, in training mode (BN with
 * batch statistics, as the step's own forward) unless `training` is false (BN with its moving averages, as
 * the metrics measure), backpropagated from `logitGrad(logits)`: the sampled logitGradients, or an exact
 * per-class vector (metrics/kfacGaussNewton.ts). The caller owns (and disposes) the tensors.
 */
export function sampleLayers(
  model: Model,
  x: tf.Tensor,
  logitGrad: (logits: tf.Tensor2D) => tf.Tensor2D,
  training = true,
): LayerSample[] {
  const tappable = model as TappableModel;
  const seen: { layer: LinearLayer; input: tf.Tensor }[] = [];
  const grads: tf.Tensor[] = [];
  /** The identity on a pre-activation that keeps the gradient passing through it. */
  const capture = (i: number) =>
    customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => {
        grads[i] = tf.keep(tf.clone(dy));
        return dy;
      },
    }));
  // One taped forward; the sampled loss sum_i <g_i, f(x_i)> with g = logitGrad(f) held constant, so that
  // backpropagating it seeds the logits with g. Only the gradients at the captures are wanted: the custom
  // conv gradient skips its filter half (ops/conv.ts), and the input gradient of x is dropped.
  const release = () => tf.dispose([...grads.filter((g) => g !== undefined), ...seen.map((s) => s.input)]);
  try {
    const dx = inputGradientsOnly(() =>
      tf.grad((xs: tf.Tensor) => {
        const logits = tappable.forward(xs, training, (layer, input, pre) => {
          seen.push({ layer, input: tf.keep(tf.clone(input)) });
          return capture(seen.length - 1)(pre);
        });
        return tf.sum(tf.mul(logits, heldConstant(logitGrad)(logits)));
      })(x),
    );
    dx.dispose();
  } catch (e) {
    // A failed pass (another data-parallel shard failed at a BN all-reduce) keeps nothing alive.
    release();
    throw e;
  }
  if (seen.length !== model.layers.length || seen.some((_, i) => grads[i] === undefined)) {
    release();
    throw new Error('K-FAC needs a model whose forward calls the per-layer tap for every linear layer');
  }
  return seen.map((s, i) => ({ layer: s.layer, input: s.input, grad: grads[i] }));
}

/**
 * `g(logits)` held constant under differentiation (tfjs has no stop_gradient): computed inside a custom op,
 * whose own ops are not taped (so sampling ops without a gradient, such as Less, are allowed), with a zero
 * gradient.
 */
function heldConstant(g: (logits: tf.Tensor2D) => tf.Tensor2D): (logits: tf.Tensor2D) => tf.Tensor2D {
  return customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: g(args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor2D) => tf.zerosLike(dy),
  }));
}
