// Matrix products with transposed operands. tfjs-backend-wasm 4.22 takes a slow path when a MatMul has
// transposeA or transposeB set: measured on the 2-core development machine (1 thread), median of 20:
//
//   [128,784]^T x [128,256]   (a dense layer's dW)     flag 21.8 ms   explicit transpose 2.3 ms
//   [128,256] x [784,256]^T   (a dense layer's dX)     flag 20.4 ms   explicit transpose 2.5 ms
//   [65536,37]^T x [65536,37] (a conv K-FAC factor)    flag 72.6 ms   explicit transpose 15.1 ms
//   [577,577]^T x [577,64]    (K-FAC's eigenbasis)     flag 17.6 ms   explicit transpose 1.7 ms
//
// so on wasm the operand is transposed explicitly (one cheap copy; its descriptor's `explicitTranspose`);
// other backends keep the flags, which their kernels handle natively.
import { activeBackend } from '../activeBackend';
import { tf } from '../tf';

export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (!activeBackend().workarounds.explicitTranspose || (!transposeA && !transposeB))
    return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b));
}
