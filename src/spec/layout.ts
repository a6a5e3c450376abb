// The layer table of a spec's network, from the spec alone (no tensors): every linear layer in forward
// order with its kernel shape, output feature map, parameter count, whether it is scale-invariant (followed
// by BN without affine, docs/science.md section 1) and decayed (regularization.apply), and the dimensions of its
// K-FAC factors (docs/science.md section 6: d_A = fan-in + 1 for the bias' homogeneous coordinate, d_S = outputs,
// T = spatial locations of a conv layer's output). `wdlab summary` prints it; the validator sizes K-FAC's
// eigendecompositions with it. The engine builds the same networks with tensors (src/engine/models); a unit
// test checks that both agree layer by layer and that the totals equal the PyTorch definitions.
import { DATASET_CLASSES, DATASET_INPUT_SHAPES } from './catalog';
import type { DecayScope, ExperimentSpec, ModelSpec } from './types';

export interface LayerRow {
  name: string;
  kind: 'dense' | 'conv';
  /** dense: [in, out]; conv: [kh, kw, in, out] (the engine's layout). */
  kernelShape: number[];
  /** conv: the output feature map [H, W, C]; dense: [out]. */
  outputShape: number[];
  strides: number;
  /** Kernel plus bias entries. */
  parameters: number;
  scaleInvariant: boolean;
  decayed: boolean;
  /** K-FAC factor sizes: A is d_A x d_A, S is d_S x d_S; T spatial locations (1 for dense). */
  kfac: { dA: number; dS: number; locations: number };
}

export interface NetworkLayout {
  inputShape: readonly number[];
  numClasses: number;
  layers: LayerRow[];
  parameters: number;
}

/**
 * Convs per block by depth (the VGG paper's configurations A, B, D, E) and their channels at width 1; the
 * engine builds its networks from these same tables (engine/models).
 */
export const VGG_CONVS: Readonly<Record<number, readonly number[]>> = {
  11: [1, 1, 2, 2, 2],
  13: [2, 2, 2, 2, 2],
  16: [2, 2, 3, 3, 3],
  19: [2, 2, 4, 4, 4],
};
export const VGG_CHANNELS: readonly number[] = [64, 128, 256, 512, 512];
/** CIFAR ResNet stage channels at width 1 (the paper's width 4 gives [64, 128, 256]). */
export const RESNET_CHANNELS: readonly number[] = [16, 32, 64];

/** round(channels * width), at least 1 (the spec's channel multiplier). */
export const scaledChannels = (channels: number, width: number): number =>
  Math.max(1, Math.round(channels * width));
const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Builds rows in forward order; knows BN placement (all but the last layer) and the decay scope. */
class LayoutBuilder {
  readonly layers: LayerRow[] = [];
  constructor(
    private readonly batchNorm: boolean,
    private readonly apply: DecayScope,
  ) {}

  conv(name: string, [h, w, cin]: readonly number[], cout: number, k: number, strides: number): number[] {
    // 'same' (3x3) and 'valid' 1x1 convs both give ceil(size / stride).
    const out = [Math.ceil(h / strides), Math.ceil(w / strides), cout];
    this.push(name, 'conv', [k, k, cin, cout], out, strides, k * k * cin + 1, out[0] * out[1]);
    return out;
  }

  dense(name: string, inputs: number, outputs: number): void {
    this.push(name, 'dense', [inputs, outputs], [outputs], 1, inputs + 1, 1);
  }

  /** Marks the last row as the classifier: no BN after it, and the `fc` decay scope selects it. */
  finish(): LayerRow[] {
    const last = this.layers.length - 1;
    return this.layers.map((row, i) => ({
      ...row,
      scaleInvariant: this.batchNorm && i !== last,
      decayed: this.apply === 'all' || (this.apply === 'conv' ? i !== last : i === last),
    }));
  }

  private push(
    name: string,
    kind: LayerRow['kind'],
    kernelShape: number[],
    outputShape: number[],
    strides: number,
    dA: number,
    locations: number,
  ): void {
    const outputs = kernelShape[kernelShape.length - 1];
    this.layers.push({
      name,
      kind,
      kernelShape,
      outputShape,
      strides,
      parameters: product(kernelShape) + outputs,
      scaleInvariant: false,
      decayed: false,
      kfac: { dA, dS: outputs, locations },
    });
  }
}

/** VGG: 3x3 SAME convs, a 2x2 max-pool per block (a side of 1 stays 1), one FC layer (vgg.ts). */
function vggLayers(b: LayoutBuilder, model: ModelSpec, input: readonly number[], classes: number): void {
  const convs = VGG_CONVS[model.depth];
  if (!convs) throw new Error(`vgg depth ${model.depth} is not one of 11, 13, 16, 19`);
  let map = [...input];
  convs.forEach((count, block) => {
    for (let i = 0; i < count; i++) {
      map = b.conv(`conv${block + 1}_${i + 1}`, map, scaledChannels(VGG_CHANNELS[block], model.width), 3, 1);
    }
    const pool = (s: number) => (map[0] < 2 || map[1] < 2 ? Math.ceil(s / 2) : Math.floor(s / 2));
    map = [pool(map[0]), pool(map[1]), map[2]];
  });
  b.dense('fc', product(map), classes);
}

/** CIFAR ResNet: stem, 3 stages of (depth - 2) / 6 basic blocks, 1x1 shortcut on a shape change (resnet.ts). */
function resnetLayers(b: LayoutBuilder, model: ModelSpec, input: readonly number[], classes: number): void {
  const n = (model.depth - 2) / 6;
  if (!Number.isInteger(n) || n < 1) throw new Error(`resnet depth ${model.depth} is not 6n + 2`);
  const widths = RESNET_CHANNELS.map((c) => scaledChannels(c, model.width));
  let map = b.conv('stem', input, widths[0], 3, 1);
  widths.forEach((out, stage) => {
    for (let block = 0; block < n; block++) {
      const strides = block === 0 && stage > 0 ? 2 : 1;
      const name = `stage${stage + 1}.block${block + 1}`;
      const blockInput = map;
      map = b.conv(`${name}.conv1`, blockInput, out, 3, strides);
      map = b.conv(`${name}.conv2`, map, out, 3, 1);
      if (strides !== 1 || blockInput[2] !== out) b.conv(`${name}.shortcut`, blockInput, out, 1, strides);
    }
  });
  b.dense('fc', map[2], classes);
}

function mlpLayers(b: LayoutBuilder, model: ModelSpec, input: readonly number[], classes: number): void {
  let features = product(input);
  model.hidden.forEach((width, i) => {
    b.dense(`fc${i + 1}`, features, width);
    features = width;
  });
  b.dense('fc', features, classes);
}

/** The layer table of `spec`'s network on its dataset's inputs. Throws for an impossible depth. */
export function networkLayout(
  spec: Pick<ExperimentSpec, 'data' | 'model' | 'regularization'>,
): NetworkLayout {
  const inputShape = DATASET_INPUT_SHAPES[spec.data.dataset];
  const numClasses = DATASET_CLASSES[spec.data.dataset];
  const b = new LayoutBuilder(spec.model.batchNorm, spec.regularization.apply);
  const build = { mlp: mlpLayers, vgg: vggLayers, resnet: resnetLayers }[spec.model.arch];
  build(b, spec.model, inputShape, numClasses);
  const layers = b.finish();
  return { inputShape, numClasses, layers, parameters: layers.reduce((s, l) => s + l.parameters, 0) };
}

/** The largest K-FAC factor dimension max(d_A, d_S) over the layers (what sizes an eigendecomposition). */
export const largestKfacFactor = (layout: NetworkLayout): number =>
  Math.max(...layout.layers.map((l) => Math.max(l.kfac.dA, l.kfac.dS)));
