// Learning-rate schedules against the closed forms of docs/science.md sections 1 and 7 item 8.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { learningRate, stepsPerEpoch } from '../../../src/engine/schedule';
import type { ScheduleSpec } from '../../../src/spec/types';

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

const SPE = 391; // CIFAR, batch 128
const TOTAL = 200 * SPE;

describe('iteration arithmetic (docs/science.md section 7 item 8)', () => {
  test('batch 128 -> 391 iterations per epoch, last partial batch kept', () => {
    assert.equal(stepsPerEpoch(50000, 128), 391);
    assert.equal(stepsPerEpoch(4096, 128), 32);
    assert.equal(stepsPerEpoch(4097, 128), 33);
    assert.equal(stepsPerEpoch(10, 1000), 1);
  });
  test('60 epochs = 23460 iterations; 16000 iterations ~ 40.9 epochs', () => {
    assert.equal(60 * stepsPerEpoch(50000, 128), 23460);
    close(16000 / stepsPerEpoch(50000, 128), 40.92, 1e-3);
  });
});

describe('learningRate', () => {
  test('constant', () => {
    for (const step of [0, 1, 23460, TOTAL - 1]) {
      assert.equal(learningRate({ type: 'constant' }, 0.1, step, SPE, TOTAL), 0.1);
    }
  });

  test('step every 60 epochs: x0.1 exactly at iteration 23460 (docs/science.md section 1)', () => {
    const s: ScheduleSpec = { type: 'step', factor: 0.1, everyEpochs: 60 };
    close(learningRate(s, 0.1, 0, SPE, TOTAL), 0.1);
    close(learningRate(s, 0.1, 23459, SPE, TOTAL), 0.1);
    close(learningRate(s, 0.1, 23460, SPE, TOTAL), 0.01);
    close(learningRate(s, 0.1, 2 * 23460 - 1, SPE, TOTAL), 0.01);
    close(learningRate(s, 0.1, 2 * 23460, SPE, TOTAL), 0.001);
    close(learningRate(s, 0.1, 3 * 23460, SPE, TOTAL), 1e-4);
  });

  test('step every 16000 iterations (the K-FAC configs)', () => {
    const s: ScheduleSpec = { type: 'step', factor: 0.1, everySteps: 16000 };
    close(learningRate(s, 0.01, 15999, SPE, TOTAL), 0.01);
    close(learningRate(s, 0.01, 16000, SPE, TOTAL), 0.001);
    close(learningRate(s, 0.01, 32000, SPE, TOTAL), 1e-4);
  });

  test('multiStep: factor^(milestones <= epoch)', () => {
    const s: ScheduleSpec = { type: 'multiStep', factor: 0.2, milestones: [60, 120, 160] };
    const at = (epoch: number, offset = 0): number => learningRate(s, 0.1, epoch * SPE + offset, SPE, TOTAL);
    close(at(0), 0.1);
    close(at(60, -1), 0.1);
    close(at(60), 0.02);
    close(at(119, SPE - 1), 0.02);
    close(at(120), 0.004);
    close(at(160), 0.0008);
    close(at(199), 0.0008);
  });

  test('cosine: endpoints and midpoint', () => {
    const s: ScheduleSpec = { type: 'cosine', minLr: 0.001 };
    close(learningRate(s, 0.1, 0, SPE, TOTAL), 0.1);
    close(learningRate(s, 0.1, TOTAL / 2, SPE, TOTAL), (0.1 + 0.001) / 2);
    close(learningRate(s, 0.1, TOTAL / 4, SPE, TOTAL), 0.001 + (0.099 * (1 + Math.SQRT1_2)) / 2);
    close(learningRate(s, 0.1, TOTAL, SPE, TOTAL), 0.001);
    close(learningRate(s, 0.1, TOTAL + 10, SPE, TOTAL), 0.001);
    // Monotone non-increasing over the run.
    let prev = Number.POSITIVE_INFINITY;
    for (let step = 0; step <= TOTAL; step += 997) {
      const lr = learningRate(s, 0.1, step, SPE, TOTAL);
      assert.ok(lr <= prev);
      prev = lr;
    }
  });
});
