// CIFAR ResNet (He et al. 2016, section 4.2) as the official code and torch_anchor_bench.py build it
// (docs/science.md section 1): stem conv 3x3 -> (BN) -> ReLU; three stages of n = (depth - 2) / 6 basic blocks
// with [16, 32, 64] x width channels, the first block of stages 2 and 3 striding by 2;
// block = conv3x3(stride s)-BN-ReLU-conv3x3-BN + shortcut, then ReLU; the shortcut is a 1x1 conv with
// stride s (+BN) when the shape changes, else identity; global average pool; `fc`.
// Names: `stem`, `stage<i>.block<j>.conv1|conv2|shortcut`, `fc`.
//
// Strided 3x3 convs use TensorFlow's 'same' padding as the official (TF) code does: for even inputs it pads
// only after (bottom/right), where PyTorch's padding=1 pads both sides; shapes and parameter counts agree.

// [16, 32, 64] x width, as the spec's layer table has it (spec/layout.ts).
import { RESNET_CHANNELS } from '../../spec/layout';
import { relu } from '../ops/activation';
import { tf } from '../tf';
import type { Model } from './model';
import { type ForwardPass, Network, scaledChannels, type Unit, UnitFactory } from './network';

export interface ResNetOptions {
  inputShape: number[];
  numClasses: number;
  depth: number;
  width: number;
  batchNorm: boolean;
  /** Moving-average momentum of BN (default 0.99, the official code's). */
  batchNormMomentum?: number;
  seed: number;
}

interface BasicBlock {
  conv1: Unit;
  conv2: Unit;
  shortcut?: Unit;
}

export class ResNet extends Network {
  readonly arch: Model['arch'] = 'resnet';

  private constructor(
    options: ResNetOptions,
    private readonly stem: Unit,
    private readonly blocks: BasicBlock[],
    private readonly classifier: Unit,
    units: Unit[],
  ) {
    super(options.inputShape, options.numClasses, units);
  }

  /** Basic blocks per stage: depth = 6n + 2 (20, 32, 44, 56, ...). */
  static blocksPerStage(depth: number): number {
    const n = (depth - 2) / 6;
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`resnet depth ${depth} is not 6n + 2 (20, 32, 44, 56)`);
    return n;
  }

  static create(options: ResNetOptions): ResNet {
    const n = ResNet.blocksPerStage(options.depth);
    if (options.inputShape.length !== 3) {
      throw new Error(`resnet needs image inputs [H, W, C], got [${options.inputShape.join(', ')}]`);
    }
    const factory = new UnitFactory(options.seed, options.batchNorm, options.batchNormMomentum);
    const conv3x3 = (name: string, cin: number, cout: number, strides: number) =>
      factory.hidden({ name, kind: 'conv', kernelShape: [3, 3, cin, cout], strides, padding: 'same' });
    const widths = RESNET_CHANNELS.map((c) => scaledChannels(c, options.width));
    const stem = conv3x3('stem', options.inputShape[2], widths[0], 1);
    const blocks: BasicBlock[] = [];
    let channels = widths[0];
    widths.forEach((out, s) => {
      for (let b = 0; b < n; b++) {
        const strides = b === 0 && s > 0 ? 2 : 1;
        const name = `stage${s + 1}.block${b + 1}`;
        const conv1 = conv3x3(`${name}.conv1`, channels, out, strides);
        const conv2 = conv3x3(`${name}.conv2`, out, out, 1);
        const shortcut =
          strides !== 1 || channels !== out
            ? factory.hidden({
                name: `${name}.shortcut`,
                kind: 'conv',
                kernelShape: [1, 1, channels, out],
                strides,
                padding: 'valid',
              })
            : undefined;
        blocks.push({ conv1, conv2, shortcut });
        channels = out;
      }
    });
    const classifier = factory.classifier(channels, options.numClasses);
    return new ResNet(options, stem, blocks, classifier, factory.units);
  }

  protected run(x: tf.Tensor, pass: ForwardPass): tf.Tensor2D {
    let h = relu(pass.unit(this.stem, x));
    for (const block of this.blocks) {
      const input = h;
      // One scope per block: the residual sum is freed here, not kept to the end of the forward pass.
      h = tf.tidy(() => {
        const main = pass.unit(block.conv2, relu(pass.unit(block.conv1, input)));
        const skip = block.shortcut ? pass.unit(block.shortcut, input) : input;
        return relu(tf.add(main, skip));
      });
    }
    return pass.unit(this.classifier, tf.mean(h, [1, 2])) as tf.Tensor2D;
  }
}
