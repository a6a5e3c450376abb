// The paper's 64 released configurations as a typed table, parsed from the verbatim copy of
// paper-configs.tsv (docs/science.md section 1: the grid; section 6: K-FAC's damping and KL clip).
import { PAPER_CONFIGS_TSV } from './paperConfigsTsv';

export const PAPER_DATASETS = ['cifar10', 'cifar100'] as const;
export const PAPER_NETS = ['vgg16', 'resnet32'] as const;
/** none = no BN, no augmentation; BN = batch norm; BN+Aug = batch norm + random crop and flip. */
export const PAPER_SETTINGS = ['none', 'BN', 'BN+Aug'] as const;
export const PAPER_OPTIMIZERS = ['SGD', 'Adam', 'K-FAC-F', 'K-FAC-G'] as const;
export const PAPER_VARIANTS = ['baseline', 'WD'] as const;
/** The official code's `decay_type`: l2 = a penalty in the loss, wd = decoupled weight decay. */
export const PAPER_DECAY_TYPES = ['l2', 'wd'] as const;

export type PaperDataset = (typeof PAPER_DATASETS)[number];
export type PaperNet = (typeof PAPER_NETS)[number];
export type PaperSetting = (typeof PAPER_SETTINGS)[number];
export type PaperOptimizer = (typeof PAPER_OPTIMIZERS)[number];
export type PaperVariant = (typeof PAPER_VARIANTS)[number];
export type PaperDecayType = (typeof PAPER_DECAY_TYPES)[number];

/** One row of paper-configs.tsv; `-` cells are absent fields. */
export interface PaperConfig {
  /** 1-based row number among the data rows (the header is row 0). */
  row: number;
  dataset: PaperDataset;
  net: PaperNet;
  setting: PaperSetting;
  optimizer: PaperOptimizer;
  variant: PaperVariant;
  lr: number;
  /** lambda of docs/science.md section 2; 0 for a baseline. */
  weightDecay: number;
  decayType?: PaperDecayType;
  /** Tikhonov damping lambda_d (K-FAC only). */
  damping?: number;
  /** KL clip (K-FAC without BN only). */
  klClip?: number;
  epochs: number;
  /** Staircase schedule: lr x 0.1 every this many iterations. */
  lrDecayEveryIters: number;
  /** The config file in gd-zhang/Weight-Decay the row was read from. */
  sourceConfig: string;
}

export const PAPER_CONFIG_COLUMNS = [
  'dataset',
  'net',
  'setting',
  'optimizer',
  'variant',
  'lr',
  'weight_decay',
  'decay_type',
  'damping',
  'kl_clip',
  'epochs',
  'lr_decay_every_iters',
  'source_config',
] as const;

function oneOf<T extends string>(list: readonly T[], cell: string, column: string, row: number): T {
  if (!(list as readonly string[]).includes(cell)) {
    throw new Error(`paper-configs.tsv row ${row}: ${column} "${cell}" is not one of ${list.join(', ')}`);
  }
  return cell as T;
}

function numberCell(cell: string, column: string, row: number): number {
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(v)) {
    throw new Error(`paper-configs.tsv row ${row}: ${column} "${cell}" is not a number`);
  }
  return v;
}

/** Parses the table; throws on a header, column count or cell that is not what the paper's table has. */
export function parsePaperConfigs(tsv: string): PaperConfig[] {
  const lines = tsv.split('\n').filter((l) => l !== '');
  const header = lines[0]?.split('\t') ?? [];
  if (header.join('\t') !== PAPER_CONFIG_COLUMNS.join('\t')) {
    throw new Error(`paper-configs.tsv: unexpected header ${JSON.stringify(header)}`);
  }
  return lines.slice(1).map((line, i) => {
    const row = i + 1;
    const cells = line.split('\t');
    if (cells.length !== PAPER_CONFIG_COLUMNS.length) {
      throw new Error(
        `paper-configs.tsv row ${row}: ${cells.length} cells, expected ${PAPER_CONFIG_COLUMNS.length}`,
      );
    }
    const cell = Object.fromEntries(PAPER_CONFIG_COLUMNS.map((c, k) => [c, cells[k]])) as Record<
      (typeof PAPER_CONFIG_COLUMNS)[number],
      string
    >;
    const optional = (column: 'damping' | 'kl_clip') =>
      cell[column] === '-' ? undefined : numberCell(cell[column], column, row);
    const config: PaperConfig = {
      row,
      dataset: oneOf(PAPER_DATASETS, cell.dataset, 'dataset', row),
      net: oneOf(PAPER_NETS, cell.net, 'net', row),
      setting: oneOf(PAPER_SETTINGS, cell.setting, 'setting', row),
      optimizer: oneOf(PAPER_OPTIMIZERS, cell.optimizer, 'optimizer', row),
      variant: oneOf(PAPER_VARIANTS, cell.variant, 'variant', row),
      lr: numberCell(cell.lr, 'lr', row),
      weightDecay: numberCell(cell.weight_decay, 'weight_decay', row),
      epochs: numberCell(cell.epochs, 'epochs', row),
      lrDecayEveryIters: numberCell(cell.lr_decay_every_iters, 'lr_decay_every_iters', row),
      sourceConfig: cell.source_config,
    };
    if (cell.decay_type !== '-')
      config.decayType = oneOf(PAPER_DECAY_TYPES, cell.decay_type, 'decay_type', row);
    const damping = optional('damping');
    if (damping !== undefined) config.damping = damping;
    const klClip = optional('kl_clip');
    if (klClip !== undefined) config.klClip = klClip;
    // A WD row names how it decays; a baseline has no decay at all.
    if ((config.variant === 'WD') !== (config.decayType !== undefined && config.weightDecay > 0)) {
      throw new Error(
        `paper-configs.tsv row ${row}: variant ${config.variant} with weight_decay ${cell.weight_decay}`,
      );
    }
    const kfac = config.optimizer === 'K-FAC-F' || config.optimizer === 'K-FAC-G';
    if (kfac !== (config.damping !== undefined)) {
      throw new Error(
        `paper-configs.tsv row ${row}: damping "${cell.damping}" with optimizer ${config.optimizer}`,
      );
    }
    return config;
  });
}

/** The 64 configurations, in the table's order. */
export const PAPER_CONFIGS: readonly PaperConfig[] = parsePaperConfigs(PAPER_CONFIGS_TSV);
