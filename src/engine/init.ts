// Parameter initialization as the official code: Glorot uniform (fan_avg) kernels, zero biases
// (docs/science.md section 1). Every layer draws from its own seed, derived from the model seed and the layer's
// index, so a model is reproducible from (spec, seed) alone and adding a layer never reshuffles the others.
import { tf } from './tf';

/** fan_in / fan_out of a dense [in, out] or conv [kh, kw, in, out] kernel (Keras's convention). */
export function kernelFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length === 4) {
    const receptiveField = shape[0] * shape[1];
    return { fanIn: shape[2] * receptiveField, fanOut: shape[3] * receptiveField };
  }
  throw new Error(`kernel shape [${shape.join(', ')}] is neither dense [in, out] nor conv [kh, kw, in, out]`);
}

/** U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)). */
export function glorotUniform(shape: number[], seed: number): tf.Tensor {
  const { fanIn, fanOut } = kernelFans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed);
}

/**
 * A well-mixed 32-bit seed for layer `layerIndex` of a model seeded with `modelSeed` (murmur3's finalizer
 * over both; deterministic, and distinct seeds give unrelated streams).
 */
export function layerSeed(modelSeed: number, layerIndex: number): number {
  let h = (Math.imul(modelSeed | 0, 0x9e3779b1) ^ Math.imul(layerIndex + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
