// What the trainer measures at each record, and when (docs/science.md sections 3 and 4): one object so the
// training loop only says "a step is about to happen" and "measure now".
//
//   every record      train/loss, train/accuracy (the trainer's), lr, weightNorm/*, effectiveLr/* or
//                     effectiveLrAdam/* (mechanism1.ts), angularUpdate/* (angularUpdate.ts: the kernels
//                     are copied before each step that ends at a record, so it costs one copy per record),
//                     theory/angularUpdate/* (theory.ts), whatever the optimizer reports (Optimizer.metrics).
//   extra-pass points step 0, every epoch end and every metrics.everySteps steps: test/*, trainEval/*,
//                     generalizationGap, jacobianNorm (jacobian.ts), gnNorm (gaussNewton.ts).
//   time/metrics      wall seconds spent measuring since the previous record (this record's measurements
//                     included): compare with time/train, the seconds of optimizer steps in the same span.

import { metricKey } from '../../protocol/metrics';
import type { LayerInfo } from '../../protocol/records';
import { isSecondOrder } from '../../spec/optimizers';
import type { ExperimentSpec, RegularizationSpec } from '../../spec/types';
import type { LoadedDataset } from '../data/dataset';
import { createRng } from '../data/random';
import { evaluate, firstExamples, inputsOf } from '../evaluate';
import type { LinearLayer, Model } from '../models/model';
import type { Optimizer } from '../optimizers/optimizer';
import { layerIsDecayed } from '../optimizers/regularization';
import { tf } from '../tf';
import { angularUpdateMetrics, snapshotKernels } from './angularUpdate';
import { gaussNewtonNorm } from './gaussNewton';
import { jacobianNormExact, jacobianNormProjection } from './jacobian';
import { kfacGaussNewtonNorm } from './kfacGaussNewton';
import { mechanism1Metrics } from './mechanism1';
import { theoryMetrics } from './theory';

/** The layer facts a run records once (run.json `layers`), so a UI knows which curves to expect. */
export function layerFacts(layers: readonly LinearLayer[], regularization: RegularizationSpec): LayerInfo[] {
  const on = regularization.type !== 'none' && regularization.coefficient > 0;
  return layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    scaleInvariant: l.scaleInvariant,
    decayed: on && layerIsDecayed(l, regularization.apply),
    parameters: l.kernel.size + l.bias.size,
  }));
}

export class Monitor {
  private snapshot?: tf.Tensor[];
  private seconds = 0;

  constructor(
    private readonly spec: ExperimentSpec,
    private readonly data: LoadedDataset,
    private readonly model: Model,
    private readonly optimizer: Optimizer,
    private readonly stepsPerEpoch: number,
  ) {}

  /** Step 0, epoch ends, and every metrics.everySteps steps: the points of the extra-pass metrics. */
  extraDue(step: number): boolean {
    const every = this.spec.metrics.everySteps;
    return step % this.stepsPerEpoch === 0 || (every > 0 && step % every === 0);
  }

  /** Whether the trainer writes a record after `step` steps. */
  recordDue(step: number): boolean {
    return step % this.spec.training.logEverySteps === 0 || this.extraDue(step);
  }

  /** Called before the optimizer step that will make `step` + 1 steps: keeps the kernels if it ends at a record. */
  beforeStep(step: number): void {
    if (!this.recordDue(step + 1)) return;
    this.timedSync(() => {
      this.release();
      this.snapshot = snapshotKernels(this.model.layers);
    });
  }

  /** Every metric of the record after `step` steps (lr: the learning rate of the step that ended there). */
  async measure(step: number, lr: number): Promise<Record<string, number>> {
    const out = await this.timed(async () => {
      const { model, spec } = this;
      const layers = model.layers;
      const metrics: Record<string, number> = {
        [metricKey('lr')]: lr,
        ...(await mechanism1Metrics(layers, lr, spec.optimizer.type)),
        ...(this.snapshot ? await angularUpdateMetrics(layers, this.snapshot) : {}),
        ...theoryMetrics(layers, spec.optimizer, spec.regularization, lr),
        ...((await this.optimizer.metrics?.()) ?? {}),
      };
      this.release();
      if (this.extraDue(step)) Object.assign(metrics, await this.extraPassMetrics(step));
      return metrics;
    });
    out[metricKey('time/metrics')] = this.seconds;
    this.seconds = 0;
    return out;
  }

  /** Frees a pending kernel snapshot (a run that ends between snapshot and record). */
  release(): void {
    if (this.snapshot) tf.dispose(this.snapshot);
    this.snapshot = undefined;
  }

  private async extraPassMetrics(step: number): Promise<Record<string, number>> {
    const { model, data, spec } = this;
    const { inputShape, numClasses } = data;
    const settings = spec.metrics;
    const out: Record<string, number> = {};
    const test = await evaluate(model, data.test, inputShape, numClasses, spec.training.testBatchSize);
    out[metricKey('test/loss')] = test.loss;
    out[metricKey('test/accuracy')] = test.accuracy;
    if (settings.trainEvalSize > 0) {
      // Inference mode, like the test set, so the gap compares like with like (the paper's Fig. 5).
      const subset = firstExamples(data.train, settings.trainEvalSize, inputShape);
      const train = await evaluate(model, subset, inputShape, numClasses, spec.training.testBatchSize);
      out[metricKey('trainEval/loss')] = train.loss;
      out[metricKey('trainEval/accuracy')] = train.accuracy;
      out[metricKey('generalizationGap')] = test.loss - train.loss;
    }
    if (settings.jacobian === 'off' && !settings.gaussNewton) return out;
    const x = inputsOf(firstExamples(data.test, settings.jacobianBatch, inputShape), inputShape);
    try {
      if (settings.jacobian === 'exact') out[metricKey('jacobianNorm')] = await jacobianNormExact(model, x);
      if (settings.jacobian === 'projection') {
        // Seeded by (seed, step): a resumed run draws exactly what an uninterrupted one would.
        const rng = createRng(`${spec.training.seed}/jacobian/${step}`);
        out[metricKey('jacobianNorm')] = await jacobianNormProjection(
          model,
          x,
          settings.jacobianProjections,
          rng,
        );
      }
      if (settings.gaussNewton) {
        out[metricKey('gnNorm')] = await gaussNewtonNorm(model, x);
        // K-FAC's own view of the same norm, on the same batch (metrics/kfacGaussNewton.ts).
        if (isSecondOrder(spec.optimizer))
          out[metricKey('kfacGnNorm')] = await kfacGaussNewtonNorm(model, x, numClasses);
      }
    } finally {
      x.dispose();
    }
    return out;
  }

  private timedSync(f: () => void): void {
    const t0 = performance.now();
    f();
    this.seconds += (performance.now() - t0) / 1000;
  }

  private async timed<T>(f: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.seconds += (performance.now() - t0) / 1000;
    }
  }
}
