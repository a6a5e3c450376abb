// The benches' summary of repeated timings: the median (the upper one of an even count), robust to the
// occasional slow repetition that a shared machine adds.
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
