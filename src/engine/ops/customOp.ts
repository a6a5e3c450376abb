// tf.customGrad with the gradient function run in a scope of its own. tfjs 4.22 calls a custom gradient
// outside any tidy (engine.customGrad's backwardsFunc), so every temporary it creates would stay alive until
// the whole backward pass ends: for BN, several activation-sized tensors per layer (memory: docs/performance.md).
import { tf } from '../tf';

type Inputs = (tf.Tensor | tf.GradSaveFunc)[];

/** `f` gets the inputs and then the save function; `dy` has the value's shape. */
export function customOp<Y extends tf.Tensor>(
  f: (...args: Inputs) => { value: Y; gradFunc: (dy: Y, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] },
): (...inputs: tf.Tensor[]) => Y {
  return tf.customGrad((...args: Inputs) => {
    const { value, gradFunc } = f(...args);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy as Y, saved)),
    };
  }) as (...inputs: tf.Tensor[]) => Y;
}
