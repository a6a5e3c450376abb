import { tf } from '../tf';
import { customOp } from './customOp';
import { matMulT } from './matmul';

/**
 * The linear map of a fully connected layer: x [N, in] times kernel [in, out], plus bias [out]. Its gradient
 * is written out (dX = dy W^T, dW = x^T dy, db = sum_n dy) so that the transposed products go through
 * matMulT, which avoids wasm's slow transposed MatMul (ops/matmul.ts); the values are tfjs's own.
 */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  // customOp (tf.customGrad) passes the inputs and then the save function in one rest array.
  const op = customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, bs, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: tf.add(tf.matMul(xs, ws), bs) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as tf.Tensor2D[];
        return [matMulT(dy, sw, false, true), matMulT(sx, dy, true, false), tf.sum(dy, 0)];
      },
    };
  });
  return op(x, kernel, bias) as tf.Tensor2D;
}
