// Multilayer perceptron: flatten, then hidden dense layers `fc1`, `fc2`, ... (dense -> (BN) -> ReLU), and
// the classifier `fc` (dense, no BN). The paper's MNIST nets for the Jacobian study (docs/science.md section 4).
import { relu } from '../ops/activation';
import { tf } from '../tf';
import type { Model } from './model';
import { type ForwardPass, Network, type Unit, UnitFactory } from './network';

export interface MlpOptions {
  inputShape: number[];
  numClasses: number;
  hidden: number[];
  batchNorm: boolean;
  /** Moving-average momentum of BN (default 0.99, the official code's). */
  batchNormMomentum?: number;
  seed: number;
}

export class Mlp extends Network {
  readonly arch: Model['arch'] = 'mlp';

  private constructor(
    options: MlpOptions,
    private readonly hidden: Unit[],
    private readonly classifier: Unit,
    units: Unit[],
  ) {
    super(options.inputShape, options.numClasses, units);
  }

  static create(options: MlpOptions): Mlp {
    const factory = new UnitFactory(options.seed, options.batchNorm, options.batchNormMomentum);
    let features = options.inputShape.reduce((a, b) => a * b, 1);
    const hidden = options.hidden.map((width, i) => {
      const unit = factory.hidden({ name: `fc${i + 1}`, kind: 'dense', kernelShape: [features, width] });
      features = width;
      return unit;
    });
    const classifier = factory.classifier(features, options.numClasses);
    return new Mlp(options, hidden, classifier, factory.units);
  }

  protected run(x: tf.Tensor, pass: ForwardPass): tf.Tensor2D {
    let h: tf.Tensor = tf.reshape(x, [x.shape[0], -1]);
    for (const unit of this.hidden) h = relu(pass.unit(unit, h));
    return pass.unit(this.classifier, h) as tf.Tensor2D;
  }
}
