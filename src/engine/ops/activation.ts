// Element-wise pieces of the models whose tfjs gradients would keep more activations alive than needed
// (a wide ResNet32 at batch 128 must fit wasm's 4 GB: docs/performance.md). A taped op keeps what its gradient reads
// until the backward pass reaches it; these keep only what the next layer keeps anyway.

import { tf } from '../tf';
import { channelSum } from './channels';
import { customOp } from './customOp';

/**
 * x + bias over the last axis. tfjs's Add keeps both inputs (for their shapes), here the conv output
 * before the bias, which nothing else needs; this op keeps nothing: dx = dy, dbias = sum of dy per channel.
 */
export function biasAdd<T extends tf.Tensor>(x: T, bias: tf.Tensor1D): T {
  const op = customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, bs] = args as [tf.Tensor, tf.Tensor1D];
    return { value: tf.add(xs, bs), gradFunc: (dy: tf.Tensor) => [dy, channelSum(dy)] };
  });
  return op(x, bias) as T;
}

/**
 * max(x, 0), keeping its output instead of its input for the gradient (dx = dy where y > 0, which is where
 * x > 0, as tfjs's own Relu gradient): the output is what the next conv keeps, so a residual sum before it
 * is not kept too.
 */
export function relu<T extends tf.Tensor>(x: T): T {
  const op = customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.relu(xs);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.step(saved[0])),
    };
  });
  return op(x) as T;
}
