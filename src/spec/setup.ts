// Where a trial sits in the paper's Table 1 grid (docs/science.md section 1; paper-configs.tsv columns dataset,
// net, setting, optimizer, variant): the results panel's Table view groups completed runs by these
// coordinates. Names are the paper's: `vgg16`, `resnet32` (the paper's widened ResNet32 is width 4; other
// widths are written `resnet32 x0.25`), settings none / BN / BN+Aug, optimizers SGD / Adam / K-FAC-F /
// K-FAC-G, variants baseline / L2 / WD (with the scope when it is not wd-all, e.g. `WD conv`).
import type { PaperSetup } from '../protocol/runs';
import { OPTIMIZERS, optimizerDescriptor } from './optimizers';
import type { ExperimentSpec } from './types';

/** The width the paper trains each architecture at (VGG16 at 1; ResNet32 widened 4x). */
const PAPER_WIDTH: Record<string, number> = { vgg: 1, resnet: 4 };

function networkName(model: ExperimentSpec['model']): string {
  if (model.arch === 'mlp') return `mlp [${model.hidden.join(', ')}]`;
  const base = `${model.arch}${model.depth}`;
  return model.width === PAPER_WIDTH[model.arch] ? base : `${base} x${model.width}`;
}

function settingName(spec: Pick<ExperimentSpec, 'model' | 'data'>): string {
  const parts = [spec.model.batchNorm ? 'BN' : '', spec.data.augment ? 'Aug' : ''].filter(Boolean);
  return parts.length > 0 ? parts.join('+') : 'none';
}

function variantName(reg: ExperimentSpec['regularization']): string {
  if (reg.type === 'none' || reg.coefficient === 0) return 'baseline';
  const name = reg.type === 'l2' ? 'L2' : 'WD';
  return reg.apply === 'all' ? name : `${name} ${reg.apply}`;
}

export function paperSetup(
  spec: Pick<ExperimentSpec, 'data' | 'model' | 'optimizer' | 'regularization'>,
): PaperSetup {
  return {
    dataset: spec.data.dataset,
    network: networkName(spec.model),
    setting: settingName(spec),
    optimizer: optimizerDescriptor(spec.optimizer.type).displayName,
    optimizerRank: OPTIMIZERS.indexOf(optimizerDescriptor(spec.optimizer.type)),
    variant: variantName(spec.regularization),
  };
}
