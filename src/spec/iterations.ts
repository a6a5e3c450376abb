// The iteration arithmetic specs are written in (docs/science.md section 7 item 8: batch 128 -> 391 iterations
// per epoch), shared by the engine's schedules (engine/schedule.ts) and the paper presets' step counts.

/** Iterations per epoch with the last partial batch kept: ceil(50000 / 128) = 391. */
export function stepsPerEpoch(trainSize: number, batchSize: number): number {
  if (!(batchSize > 0)) throw new Error(`batch size must be positive, got ${batchSize}`);
  return Math.ceil(trainSize / batchSize);
}
