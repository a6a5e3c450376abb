// The all-reduce of data-parallel training (threads.ts): P threads, one shard of the batch each, sum small
// vectors (a BN layer's per-channel sums) through one SharedArrayBuffer. Every participant writes its vector
// into its slot, waits at a barrier until all P have written, then adds the P slots in rank order in
// float64, so all P get bit-identical sums and so compute bit-identical BN statistics.
//
// Rounds alternate between two sets of slots: a participant writes round r + 2's slot only after passing
// round r + 1's barrier, which every other participant reaches only after reading round r.
//
// A participant that fails sets the abort flag, and every waiting one throws instead of waiting forever; a
// thread that dies without a word (killed) is caught by the wait's time limit.

/** What a participant woken by another's failure throws (that other one's own error says more). */
export const ANOTHER_THREAD_FAILED = 'another training thread failed during this step';

/** Control words: [arrivals so far, abort flag]. */
const ARRIVALS = 0;
const ABORTED = 1;
const CONTROL_BYTES = 8;
/** A participant waiting this long at one barrier gives up: a BN layer's shard is never this slow. */
const BARRIER_TIMEOUT_MS = 10 * 60_000;

export interface ShardGroupLayout {
  buffer: SharedArrayBuffer;
  /** Participants (threads), the main training thread being rank 0. */
  size: number;
  /** The longest vector one all-reduce carries. */
  slotLength: number;
}

export function createShardGroup(size: number, slotLength: number): ShardGroupLayout {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES + 2 * size * slotLength * 8);
  return { buffer, size, slotLength };
}

export class ShardGroup {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;
  /** All-reduces this participant has completed (the same count on every participant). */
  private rounds = 0;

  constructor(
    private readonly layout: ShardGroupLayout,
    readonly rank: number,
  ) {
    this.control = new Int32Array(layout.buffer, 0, 2);
    this.slots = new Float64Array(layout.buffer, CONTROL_BYTES);
  }

  get size(): number {
    return this.layout.size;
  }

  /** The elementwise sum of `values` over all participants (each must call with the same length). */
  allReduce(values: ArrayLike<number>): Float64Array {
    const { size, slotLength } = this.layout;
    if (values.length > slotLength) {
      throw new Error(`all-reduce of ${values.length} values exceeds the group's slot of ${slotLength}`);
    }
    const parity = this.rounds % 2;
    const slot = (rank: number) => (parity * size + rank) * slotLength;
    this.slots.set(values, slot(this.rank));
    this.rounds += 1;
    this.barrier(this.rounds * size);
    const sum = new Float64Array(values.length);
    for (let r = 0; r < size; r++) {
      const base = slot(r);
      for (let i = 0; i < values.length; i++) sum[i] += this.slots[base + i];
    }
    return sum;
  }

  /** Wakes every waiting participant with an error (this one failed). */
  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.notify(this.control, ARRIVALS);
  }

  get aborted(): boolean {
    return Atomics.load(this.control, ABORTED) !== 0;
  }

  private barrier(target: number): void {
    Atomics.add(this.control, ARRIVALS, 1);
    Atomics.notify(this.control, ARRIVALS);
    const started = Date.now();
    for (;;) {
      const arrived = Atomics.load(this.control, ARRIVALS);
      if (this.aborted) throw new Error(ANOTHER_THREAD_FAILED);
      if (arrived >= target) return;
      if (Date.now() - started > BARRIER_TIMEOUT_MS) {
        this.abort();
        throw new Error(
          `a training thread stopped answering (no BN all-reduce for ${BARRIER_TIMEOUT_MS / 60_000} min)`,
        );
      }
      Atomics.wait(this.control, ARRIVALS, arrived, 1000);
    }
  }
}
