// Test helper: TrainerEvents that keep what the training loop reports (its records and the live tensor
// count after each step) and ask it to stop after `stopAfter` steps.
import type { TrainerEvents } from '../../src/engine/trainer';
import type { MetricRecord } from '../../src/protocol/records';

export function recorder(
  stopAfter = Number.POSITIVE_INFINITY,
  onStep?: (step: number, liveTensors: number) => void,
): { records: MetricRecord[]; tensors: number[]; events: TrainerEvents } {
  const records: MetricRecord[] = [];
  const tensors: number[] = [];
  let steps = 0;
  const events: TrainerEvents = {
    record: (r) => records.push(r),
    progress: () => {},
    checkpoint: () => {},
    stopRequested: () => steps >= stopAfter,
    afterStep: (step, live) => {
      steps += 1;
      tensors.push(live);
      onStep?.(step, live);
    },
  };
  return { records, tensors, events };
}
