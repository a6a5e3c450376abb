// The sampled backward pass that feeds K-FAC's factors (science.md section 6).
//   K-FAC-F (true Fisher): y ~ softmax(f(x)) from the MODEL; the per-example gradient of -log p(y|x) at the
//     logits is softmax(f) - onehot(y).
//   K-FAC-G (Gauss-Newton): the official code samples y ~ N(f, 0.5 I) and backpropagates the Gaussian NLL
//     (y - f)^2, whose gradient at the logits is -2 (y - f) ~ N(0, 2 I). We draw that vector directly,
//     sqrt(2) * N(0, I), and KEEP the official factor 2: E[S-side curvature] = 2 E[J^T J], so the paper's
//     damping values (paper-configs.tsv) mean what they meant there.
// The training loss stays softmax cross-entropy; this pass only measures curvature.
// Pre-activation gradients: a first forward (no tape) gives the logits, the layer inputs and the
// pre-activation shapes; the second adds a zero "probe" to every pre-activation through the model's tap
// and takes tf.grads with respect to the probes, seeded with the per-example logit gradients above (sum
// over the batch = the mean loss's gradient times N: the batch-scaling convention of factors.ts).
import type { LinearLayer, Model } from '../../models/model';
import type { LinearTap } from '../../models/network';
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

/** The logit-side vector whose backpropagation gives the sampled curvature (one row per example). */
export function logitGradients(logits: tf.Tensor2D, kind: CurvatureKind, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (kind === 'gaussNewton') return tf.randomNormal(logits.shape, 0, Math.SQRT2, 'float32', seed);
    const y = tf.reshape(tf.multinomial(logits, 1, seed), [-1]) as tf.Tensor1D;
    return tf.sub(tf.softmax(logits), tf.oneHot(y, logits.shape[1])) as tf.Tensor2D;
  });
}

/**
 * Inputs and sampled pre-activation gradients of every linear layer for the batch `x`, in training mode
 * (BN with batch statistics, as the step's own forward). The caller owns (and disposes) the tensors.
 * `logitGrad` overrides the sampled logit gradients (tests: exact per-class backprop).
 */
export function sampleLayers(
  model: Model,
  x: tf.Tensor,
  kind: CurvatureKind,
  seed: number,
  logitGrad?: (logits: tf.Tensor2D) => tf.Tensor2D,
): LayerSample[] {
  const tappable = model as TappableModel;
  const seen: { layer: LinearLayer; input: tf.Tensor; shape: number[] }[] = [];
  const dy = tf.tidy(() => {
    const logits = tappable.forward(x, true, (layer, input, pre) => {
      seen.push({ layer, input: tf.keep(tf.clone(input)), shape: pre.shape });
      return pre;
    });
    return logitGrad ? logitGrad(logits) : logitGradients(logits, kind, seed);
  });
  if (seen.length !== model.layers.length) {
    tf.dispose([dy, ...seen.map((s) => s.input)]);
    throw new Error('K-FAC needs a model whose forward calls the per-layer tap for every linear layer');
  }
  const probes = seen.map((s) => tf.zeros(s.shape));
  const grads = tf.grads((...ps: tf.Tensor[]) => {
    let i = 0;
    return tappable.forward(x, true, (_layer, _input, pre) => tf.add(pre, ps[i++]));
  })(probes, dy);
  tf.dispose([dy, ...probes]);
  return seen.map((s, i) => ({ layer: s.layer, input: s.input, grad: grads[i] }));
}
