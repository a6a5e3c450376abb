import { tf } from '../tf';

/** The linear map of a fully connected layer: x [N, in] times kernel [in, out], plus bias [out]. */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(x, kernel), bias));
}
