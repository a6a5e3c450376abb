// Per-channel standardisation with constants from the training split (the CIFAR recipe of docs/science.md
// section 1, with the constants measured instead of published).

export interface ChannelNormalization {
  mean: number[];
  std: number[];
}

/** Per-channel mean and (population) standard deviation of row-major ...xC data. */
export function channelStats(x: Float32Array, channels: number): ChannelNormalization {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) sum[i % channels] += x[i];
  const count = x.length / channels;
  const mean = Array.from(sum, (s) => s / count);
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mean[i % channels];
    sumSq[i % channels] += d * d;
  }
  const std = Array.from(sumSq, (s) => Math.sqrt(s / count) || 1);
  return { mean, std };
}

/**
 * Per channel, what a black pixel (raw 0) becomes after normalisation: -mean_c / std_c, about -2 sigma for
 * CIFAR. The crop's padding, so that a shifted image shows black at its border as the official pipeline's
 * does (it pads with 0 before normalising), not the channel mean.
 */
export const blackAfter = (norm: ChannelNormalization): number[] => norm.mean.map((m, c) => -m / norm.std[c]);

/** In place: x <- (x - mean_c) / std_c. */
export function applyNormalization(x: Float32Array, norm: ChannelNormalization): void {
  const c = norm.mean.length;
  const inv = norm.std.map((s) => 1 / s);
  for (let i = 0; i < x.length; i++) {
    const ch = i % c;
    x[i] = (x[i] - norm.mean[ch]) * inv[ch];
  }
}

/**
 * lut[c * 256 + p] = (p / 255 - mean_c) / std_c for 8-bit pixels of each channel: the official constants of
 * the real datasets (docs/science.md section 1), computed in float64 and stored once as float32.
 */
export function pixelTable(norm: ChannelNormalization): Float32Array {
  const channels = norm.mean.length;
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < 256; p++) lut[c * 256 + p] = (p / 255 - norm.mean[c]) / norm.std[c];
  }
  return lut;
}
