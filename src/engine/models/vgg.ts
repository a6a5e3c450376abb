// VGG as the official code builds it (docs/science.md section 1): 3x3 SAME convs with bias, each
// conv -> (BN) -> ReLU, a 2x2 max-pool after each of the five blocks, then ONE fully connected layer `fc`
// from the flattened features to the classes (no hidden FC layers, no dropout). Convs are named
// `conv<block>_<index>`, e.g. `conv1_1`, `conv5_3`.

// Convs per block by depth (the VGG paper's configurations A, B, D, E) and their channels at width 1: the
// tables of the spec's layer table (spec/layout.ts), so `wdlab summary` and the built network cannot disagree.
import { VGG_CHANNELS, VGG_CONVS } from '../../spec/layout';
import { relu } from '../ops/activation';
import { tf } from '../tf';
import type { Model } from './model';
import { type ForwardPass, Network, scaledChannels, type Unit, UnitFactory } from './network';

export interface VggOptions {
  inputShape: number[];
  numClasses: number;
  depth: number;
  width: number;
  batchNorm: boolean;
  /** Moving-average momentum of BN (default 0.99, the official code's). */
  batchNormMomentum?: number;
  seed: number;
}

/**
 * 2x2/2 max-pool padding for a feature map of this size. 'valid' (floor, as PyTorch's MaxPool2d(2)):
 * 32 -> 16 -> 8 -> 4 -> 2 -> 1. A side that is already 1 (28x28 MNIST inputs reach 1 after four pools)
 * would vanish under floor, so it is pooled 'same' and stays 1: 28 -> 14 -> 7 -> 3 -> 1 -> 1.
 */
const poolPadding = (height: number, width: number): 'same' | 'valid' =>
  height < 2 || width < 2 ? 'same' : 'valid';
const pooledSize = (size: number, padding: 'same' | 'valid'): number =>
  padding === 'same' ? Math.ceil(size / 2) : Math.floor(size / 2);

interface Block {
  convs: Unit[];
  pool: 'same' | 'valid';
}

export class Vgg extends Network {
  readonly arch: Model['arch'] = 'vgg';

  private constructor(
    options: VggOptions,
    private readonly blocks: Block[],
    private readonly classifier: Unit,
    units: Unit[],
  ) {
    super(options.inputShape, options.numClasses, units);
  }

  static create(options: VggOptions): Vgg {
    const config = VGG_CONVS[options.depth];
    if (!config) throw new Error(`vgg depth ${options.depth} is not one of 11, 13, 16, 19`);
    if (options.inputShape.length !== 3) {
      throw new Error(`vgg needs image inputs [H, W, C], got [${options.inputShape.join(', ')}]`);
    }
    let [height, width, channels] = options.inputShape;
    const factory = new UnitFactory(options.seed, options.batchNorm, options.batchNormMomentum);
    const blocks = config.map((count, b): Block => {
      const out = scaledChannels(VGG_CHANNELS[b], options.width);
      const convs = Array.from({ length: count }, (_, i) => {
        const unit = factory.hidden({
          name: `conv${b + 1}_${i + 1}`,
          kind: 'conv',
          kernelShape: [3, 3, channels, out],
          strides: 1,
          padding: 'same',
        });
        channels = out;
        return unit;
      });
      const pool = poolPadding(height, width);
      height = pooledSize(height, pool);
      width = pooledSize(width, pool);
      return { convs, pool };
    });
    const classifier = factory.classifier(height * width * channels, options.numClasses);
    return new Vgg(options, blocks, classifier, factory.units);
  }

  protected run(x: tf.Tensor, pass: ForwardPass): tf.Tensor2D {
    let h = x;
    for (const block of this.blocks) {
      for (const conv of block.convs) h = relu(pass.unit(conv, h));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, block.pool);
    }
    return pass.unit(this.classifier, tf.reshape(h, [h.shape[0], -1])) as tf.Tensor2D;
  }
}
