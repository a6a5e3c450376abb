// The host-side batch of every optimizer step: a pure function of (seed, epoch, batch index), so a resumed
// run sees exactly the batches an uninterrupted one would (docs/science.md section 1: one permutation per
// epoch, crop and flip when `data.augment`).
import type { ExperimentSpec } from '../spec/types';
import { augmentBatch, epochPermutation, gatherBatch } from './data/batches';
import type { LoadedDataset } from './data/dataset';

export interface HostBatch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

export class BatchSource {
  private permutation?: { epoch: number; order: Uint32Array };

  constructor(
    private readonly spec: ExperimentSpec,
    private readonly data: LoadedDataset,
    private readonly perEpoch: number,
  ) {}

  /** The batch of optimizer step `s` (0-based). */
  at(s: number): HostBatch {
    const { data, spec } = this;
    const { batchSize, seed } = spec.training;
    const n = data.train.n;
    const epoch = Math.floor(s / this.perEpoch);
    const batchIndex = s % this.perEpoch;
    if (this.permutation?.epoch !== epoch)
      this.permutation = { epoch, order: epochPermutation(n, seed, epoch) };
    const indices = this.permutation.order.subarray(
      batchIndex * batchSize,
      Math.min((batchIndex + 1) * batchSize, n),
    );
    const batch = gatherBatch(data.train, indices, data.inputShape);
    const [h, w, c] = data.inputShape;
    const x =
      spec.data.augment && data.isImage
        ? augmentBatch(batch.x, indices.length, [h, w, c], seed, epoch, batchIndex, data.padValue)
        : batch.x;
    return { x, y: batch.y, size: indices.length };
  }

  /** The first `count` batches of epoch 0, unaugmented (K-FAC's factor initialisation). */
  firstBatches(count: number): HostBatch[] {
    const { batchSize, seed } = this.spec.training;
    const n = this.data.train.n;
    const order = epochPermutation(n, seed, 0);
    const out: HostBatch[] = [];
    for (let b = 0; b < Math.min(count, this.perEpoch); b++) {
      const idx = order.subarray(b * batchSize, Math.min((b + 1) * batchSize, n));
      const batch = gatherBatch(this.data.train, idx, this.data.inputShape);
      out.push({ x: batch.x, y: batch.y, size: idx.length });
    }
    return out;
  }
}
