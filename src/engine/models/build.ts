// The one entry point from a spec to a model (docs/science.md section 1 for the architectures).
import type { ModelSpec } from '../../spec/types';
import { Mlp } from './mlp';
import type { Model } from './model';
import { ResNet } from './resnet';
import { Vgg } from './vgg';

/**
 * A freshly initialized model for inputs [N, ...inputShape] ([H, W, C] images or [d] vectors) and
 * `numClasses` classes. The same (spec, inputShape, numClasses, seed) always gives the same weights.
 */
export function buildModel(spec: ModelSpec, inputShape: number[], numClasses: number, seed: number): Model {
  const common = {
    inputShape: [...inputShape],
    numClasses,
    batchNorm: spec.batchNorm,
    batchNormMomentum: spec.batchNormMomentum,
    seed,
  };
  switch (spec.arch) {
    case 'mlp':
      return Mlp.create({ ...common, hidden: spec.hidden });
    case 'vgg':
      return Vgg.create({ ...common, depth: spec.depth, width: spec.width });
    case 'resnet':
      return ResNet.create({ ...common, depth: spec.depth, width: spec.width });
    default: {
      const unknown: never = spec.arch;
      throw new Error(`unknown model architecture "${String(unknown)}"`);
    }
  }
}
