// 2-D convolution for the models' linear layers (NHWC, square strides), with a gradient that works on
// every backend. The wasm backend has no `Conv2DBackpropFilter` kernel (conv training throws there) and
// its `Conv2DBackpropInput` is a naive loop several times slower than a forward conv (docs/engines.md,
// Gotchas), so where the filter gradient is missing both gradients are re-expressed as forward convs,
// which wasm runs through XNNPACK.
//
// Measured on wasm (tfjs 4.22, XNNPACK + SIMD, 1 thread, 2-core dev machine), median of 5 calls, ms:
//
//                                                [128,32,32,16]->16 3x3 s1   [128,16,16,32]->64 3x3 s2
//   forward conv (for scale)                                 18.6                         7.0
//   dW: per-tap matMul sum (9 x [C,M]x[M,Co])               227.3                       280.0
//   dW: im2col concat + one matMul                          273.9                       280.1
//   dW: forward conv, batch<->channels, dilation s  (used)   36.4                        18.7
//   dX: tf.conv2dTranspose (Conv2DBackpropInput)            170.5                        73.1
//   dX: forward conv of zero-dilated dy, flipped W  (used)   15.2                        32.4
//
// The matMul forms lose because their GEMM is [C, N*H*W] x [N*H*W, Co]: a huge inner dimension with tiny
// outer ones, a shape XNNPACK handles badly; the conv forms keep the reduction inside one XNNPACK conv.
// Whole BN training steps with this gradient on the same machine: ResNet20 width 1, batch 64: 48 img/s
// (Conv2D ~48% of kernel time, the rest mostly BN reductions and elementwise ops); VGG11 width 0.5,
// batch 64: 77 img/s.
import { tf } from '../tf';
import { biasAdd } from './activation';
import { customOp } from './customOp';

export type ConvPadding = 'same' | 'valid';

/** The output geometry and padding tfjs itself uses for this conv (never re-derived by hand). */
function convInfo(
  xShape: readonly number[],
  kernelShape: readonly number[],
  strides: number,
  padding: ConvPadding,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    kernelShape as [number, number, number, number],
    strides,
    1,
    padding,
  );
}

/**
 * dy with (stride - 1) zeros inserted between neighbouring rows and columns: [N, (Ho-1)s+1, (Wo-1)s+1, C].
 * Built from reshape + pad + slice (all fast on wasm).
 */
function dilateSpatially(dy: tf.Tensor4D, strides: number): tf.Tensor4D {
  if (strides === 1) return dy;
  const [n, ho, wo, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n * ho, 1, wo, 1, c]), [
    [0, 0],
    [0, strides - 1],
    [0, 0],
    [0, strides - 1],
    [0, 0],
  ]);
  const grid = tf.reshape(spread, [n, ho * strides, wo * strides, c]);
  return tf.slice(grid, [0, 0, 0, 0], [n, (ho - 1) * strides + 1, (wo - 1) * strides + 1, c]) as tf.Tensor4D;
}

/**
 * dL/dx as a forward conv: dX[j] = sum_a dy_dilated[j + top - a] W[a], i.e. a stride-1 'valid' conv of the
 * zero-dilated dy, padded by (k - 1 - padTop) before and whatever completes the input size after, with the
 * spatially flipped kernel whose in/out channels are swapped.
 */
export function inputGradientByForwardConv(
  dy: tf.Tensor4D,
  kernel: tf.Tensor4D,
  xShape: readonly number[],
  strides: number,
  padding: ConvPadding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(xShape, kernel.shape, strides, padding);
    const [kh, kw] = kernel.shape;
    const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]);
    const spread = dilateSpatially(dy, strides);
    // before = k - 1 - padTop >= 0 and after = H - (Ho - 1)s - 1 + padTop >= 0 for tfjs's geometry
    // ((Ho - 1)s < H for 'same'; (Ho - 1)s + k <= H for 'valid'), so explicit padding always suffices.
    const before = [kh - 1 - info.padInfo.top, kw - 1 - info.padInfo.left];
    const after = [
      info.inHeight + kh - 1 - spread.shape[1] - before[0],
      info.inWidth + kw - 1 - spread.shape[2] - before[1],
    ];
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [before[0], after[0]],
      [before[1], after[1]],
      [0, 0],
    ];
    return tf.conv2d(spread, flipped, 1, pad);
  });
}

/**
 * The zero-padded input cut to exactly the rows/columns the conv reads: [N, (Ho-1)s + kh, (Wo-1)s + kw, C].
 */
function paddedInputWindow(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, left } = info.padInfo;
  const rows = (info.outHeight - 1) * info.strideHeight + info.filterHeight;
  const cols = (info.outWidth - 1) * info.strideWidth + info.filterWidth;
  const bottom = Math.max(0, rows - top - info.inHeight);
  const right = Math.max(0, cols - left - info.inWidth);
  const padded =
    top + bottom + left + right > 0
      ? tf.pad(x, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ])
      : x;
  const [n, h, w, c] = padded.shape;
  return h === rows && w === cols ? padded : tf.slice(padded, [0, 0, 0, 0], [n, rows, cols, c]);
}

/**
 * dL/dW as a forward conv (docs/engines.md): the padded input with batch and channels swapped, [C, H, W, N],
 * convolved ('valid', dilation = stride) with dy as the filter, [Ho, Wo, N, Co]; gives [C, kh, kw, Co].
 */
export function filterGradientByForwardConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernelShape: readonly number[],
  strides: number,
  padding: ConvPadding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = convInfo(x.shape, kernelShape, strides, padding);
    const window = paddedInputWindow(x, info);
    const swapped = tf.transpose(window, [3, 1, 2, 0]);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    const out = tf.conv2d(swapped, filter, 1, 'valid', 'NHWC', strides);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/** Set while only input gradients are wanted (see inputGradientsOnly). */
let skipFilterGradient = false;

/**
 * Runs `f` with the custom conv gradient returning zeros for the filter: for metrics that differentiate
 * with respect to the input only (the Jacobian norm, docs/science.md section 4). tf.customGrad computes every
 * gradient it returns, and the filter gradient is the costlier half of the backward conv; kernel
 * gradients of tfjs's own ops are computed only where needed anyway. Never use it around a training step.
 */
export function inputGradientsOnly<T>(f: () => T): T {
  const previous = skipFilterGradient;
  skipFilterGradient = true;
  try {
    return f();
  } finally {
    skipFilterGradient = previous;
  }
}

/**
 * conv2d (no bias) whose gradients are computed by the forward-conv formulations above instead of the
 * backend's backprop kernels. Exported so tests can force it on any backend.
 */
export function conv2dCustomGradient(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: number,
  padding: ConvPadding,
): tf.Tensor4D {
  // customOp (tf.customGrad) passes the inputs and then the save function in one rest array.
  const op = customOp((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: tf.conv2d(xs, ws, strides, padding),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as tf.Tensor4D[];
        return [
          inputGradientByForwardConv(dy, sw, sx.shape, strides, padding),
          skipFilterGradient
            ? tf.zerosLike(sw)
            : filterGradientByForwardConv(sx, dy, sw.shape, strides, padding),
        ];
      },
    };
  });
  return op(x, kernel) as tf.Tensor4D;
}

/** True where the active backend registers Conv2DBackpropFilter, so tf.conv2d's own gradient works. */
export function backendHasConvFilterGradient(backend: string = tf.getBackend()): boolean {
  // A registry lookup (cheap); not cached, so a kernel registered later is picked up.
  return tf.getKernel('Conv2DBackpropFilter', backend) !== undefined;
}

/**
 * The linear conv of a model layer: conv2d(x, kernel) + bias. Uses tf.conv2d's own gradient where the
 * backend has a filter-gradient kernel (cpu, webgpu, tensorflow), the custom gradient elsewhere (wasm).
 */
export function conv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
  strides: number,
  padding: ConvPadding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const y = backendHasConvFilterGradient()
      ? tf.conv2d(x, kernel, strides, padding)
      : conv2dCustomGradient(x, kernel, strides, padding);
    return biasAdd(y, bias);
  });
}
