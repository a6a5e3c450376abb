// Minibatch order, gathering and augmentation, as pure typed-array code (no tf): the trainer uploads the
// result to whichever backend runs. Every random choice is a function of (seed, epoch[, batch]), so a run
// resumed from a checkpoint replays exactly the order and augmentation it would have seen.
import type { DataSplit } from './dataset';
import { createRng } from './random';

/**
 * Padding of the random crop (the paper's CIFAR recipe: 32x32 crops of the image padded by 4 pixels). The
 * official pipeline pads the raw image with black and normalises after; the images here are normalised at
 * load, so the pad value is what black normalises to (LoadedDataset.padValue), not 0 (the channel mean).
 */
export const CROP_PADDING = 4;

/** A seeded Fisher-Yates permutation of 0..n-1, derived from (seed, epoch) alone. */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const rng = createRng(`${seed}/permutation/${epoch}`);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/** Copies the examples `indices` of a split into one contiguous batch. */
export function gatherBatch(
  split: DataSplit,
  indices: ArrayLike<number>,
  inputShape: readonly number[],
): { x: Float32Array; y: Int32Array } {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const n = indices.length;
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    if (!(k >= 0 && k < split.n)) throw new Error(`example index ${k} out of range [0, ${split.n})`);
    x.set(split.x.subarray(k * size, (k + 1) * size), i * size);
    y[i] = split.y[k];
  }
  return { x, y };
}

/**
 * One HWC image cropped at offset (dx, dy) from the padded original, then mirrored if `flip`:
 * out[r][c] = in[r + dy][c' + dx] with c' = (flip ? w-1-c : c), and pad[channel] (default 0) where that
 * falls outside the image. (dx, dy) in [-pad, pad]; (0, 0) without flip is the identity.
 */
export function cropAndFlip(
  img: Float32Array,
  shape: readonly [number, number, number],
  dx: number,
  dy: number,
  flip: boolean,
  pad?: readonly number[],
): Float32Array {
  const out = new Float32Array(img.length);
  cropAndFlipInto(img, 0, out, 0, shape, dx, dy, flip, pad);
  return out;
}

/** cropAndFlip between offsets of larger buffers (one image of a batch); `dst` must not alias `src`. */
export function cropAndFlipInto(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  [h, w, c]: readonly [number, number, number],
  dx: number,
  dy: number,
  flip: boolean,
  pad?: readonly number[],
): void {
  for (let r = 0; r < h; r++) {
    const sr = r + dy;
    for (let col = 0; col < w; col++) {
      const sc = (flip ? w - 1 - col : col) + dx;
      const d = dstOffset + (r * w + col) * c;
      if (sr < 0 || sr >= h || sc < 0 || sc >= w) {
        if (pad) for (let ch = 0; ch < c; ch++) dst[d + ch] = pad[ch];
        else dst.fill(0, d, d + c);
        continue;
      }
      const s = srcOffset + (sr * w + sc) * c;
      for (let ch = 0; ch < c; ch++) dst[d + ch] = src[s + ch];
    }
  }
}

/**
 * Random crop with CROP_PADDING pixels of `pad` (per channel; the dataset's black), then random horizontal
 * flip, for each of the n HWC images of a batch; seeded by (seed, epoch, batchIndex). Returns a new array.
 */
export function augmentBatch(
  x: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  seed: number,
  epoch: number,
  batchIndex: number,
  pad?: readonly number[],
): Float32Array {
  const size = shape[0] * shape[1] * shape[2];
  if (x.length !== n * size) throw new Error(`batch has ${x.length} values, expected ${n} x ${size}`);
  const rng = createRng(`${seed}/augment/${epoch}/${batchIndex}`);
  const out = new Float32Array(x.length);
  const span = 2 * CROP_PADDING + 1;
  for (let i = 0; i < n; i++) {
    const dx = rng.int(span) - CROP_PADDING;
    const dy = rng.int(span) - CROP_PADDING;
    const flip = rng.uniform() < 0.5;
    cropAndFlipInto(x, i * size, out, i * size, shape, dx, dy, flip, pad);
  }
  return out;
}
