// Learning-rate schedules (docs/science.md section 1: "staircase lr * 0.1^floor(t / decay_every)") and the
// iteration arithmetic they rest on (section 7 item 8: batch 128 -> 391 iterations per epoch).
import type { ScheduleSpec } from '../spec/types';

export { stepsPerEpoch } from '../spec/iterations';

/**
 * The learning rate of update number `step + 1`, where `step` is the number of optimizer iterations done
 * so far (0-based). Epochs are whole passes: epoch = floor(step / stepsPerEpoch).
 */
export function learningRate(
  schedule: ScheduleSpec,
  baseLr: number,
  step: number,
  stepsPerEpoch: number,
  totalSteps: number,
): number {
  const epoch = Math.floor(step / stepsPerEpoch);
  switch (schedule.type) {
    case 'constant':
      return baseLr;
    case 'step': {
      // Staircase decay, counted in iterations (the K-FAC configs: every 16000) or epochs (SGD/Adam: 60).
      const stage =
        schedule.everySteps !== undefined
          ? Math.floor(step / schedule.everySteps)
          : Math.floor(epoch / (schedule.everyEpochs ?? Number.POSITIVE_INFINITY));
      return baseLr * schedule.factor ** stage;
    }
    case 'multiStep': {
      // Milestones are epochs; the lr drops by `factor` once each milestone is reached.
      const passed = schedule.milestones.filter((m) => m <= epoch).length;
      return baseLr * schedule.factor ** passed;
    }
    case 'cosine': {
      // minLr + (baseLr - minLr)(1 + cos(pi t / T))/2, held at minLr past the end.
      const progress = totalSteps > 0 ? Math.min(step / totalSteps, 1) : 1;
      return schedule.minLr + ((baseLr - schedule.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}
