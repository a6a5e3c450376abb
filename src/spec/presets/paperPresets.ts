// "New Experiment from Paper": each of the paper's 64 released configurations (paper-configs.tsv) as a
// spec with exactly its hyperparameters, optionally scaled down for a CPU, and "table1", the whole grid as
// one sweep. The mapping from a row to a spec follows docs/science.md sections 1, 2 and 6.

import { stepsPerEpoch } from '../iterations';
import { didYouMean } from '../suggest';
import type {
  AdamSpec,
  Arch,
  BackendName,
  DatasetName,
  DecayScope,
  KfacSpec,
  RegularizationType,
  SgdSpec,
} from '../types';
import {
  PAPER_CONFIGS,
  PAPER_DATASETS,
  PAPER_NETS,
  PAPER_OPTIMIZERS,
  PAPER_SETTINGS,
  PAPER_VARIANTS,
  type PaperConfig,
  type PaperNet,
  type PaperOptimizer,
  type PaperSetting,
} from './paperConfigs';
import { renderSpecText, wrapText } from './specText';

/** A spec as a preset writes it (every field the paper fixes, nothing the defaults already say better). */
export interface PresetSpec {
  $schema?: string;
  name: string;
  description: string;
  data: { dataset: DatasetName; trainSize: number; testSize: number; augment: boolean };
  model: { arch: Arch; depth: number; width: number; batchNorm: boolean; batchNormMomentum?: number };
  // K-FAC's inverseMethod is not a paper setting: it stays at its default (auto), so it is left out.
  optimizer:
    | Pick<SgdSpec, 'type' | 'lr' | 'momentum'>
    | AdamSpec
    | Omit<KfacSpec, 'inverseMethod' | 'inverseSchedule'>;
  regularization: { type: RegularizationType; coefficient: number; apply?: DecayScope };
  schedule: { type: 'step'; factor: number; everySteps: number };
  training: { epochs: number; batchSize: number; testBatchSize: number; seed: number; backend: BackendName };
  metrics?: { jacobian: 'exact' | 'projection' };
  sweep?: Record<string, unknown[]>;
}

export interface PaperPreset {
  /** A stable slug: `cifar10-vgg16-bn-aug-kfac-g-wd`. */
  name: string;
  config: PaperConfig;
}

export interface PresetOptions {
  /** The same experiment scaled down to run on a CPU in minutes (CPU_SCALE). */
  cpu?: boolean;
}

/** Bad input to the preset functions (an unknown name or filter value): the CLI's exit 2. */
export class PresetError extends Error {}

/** The paper's data and training constants (docs/science.md section 1). */
export const PAPER_SCALE = {
  trainSize: 50_000,
  testSize: 10_000,
  batchSize: 128,
  testBatchSize: 1000,
  /** ResNet32 is the paper's widened one: [16, 32, 64] x 4 = [64, 128, 256] channels. */
  width: { vgg16: 1, resnet32: 4 } as Record<PaperNet, number>,
  momentum: 0.9,
  /** BN moving averages (the official 0.99). */
  batchNormMomentum: 0.99,
};

/**
 * What `--cpu` changes: a data subset, narrow networks and 2 epochs; the lr decay step in proportion to the
 * run's length; BN moving averages at 0.9 (0.99 would still be ~70% the initial statistics after 32 steps,
 * so the test metrics would lag the weights for the whole run). Everything else is the paper's.
 */
export const CPU_SCALE = {
  trainSize: 2048,
  testSize: 1000,
  epochs: 2,
  width: { vgg16: 0.125, resnet32: 0.25 } as Record<PaperNet, number>,
  batchNormMomentum: 0.9,
};

const NET_MODEL: Record<PaperNet, { arch: Arch; depth: number }> = {
  vgg16: { arch: 'vgg', depth: 16 },
  resnet32: { arch: 'resnet', depth: 32 },
};

const OPTIMIZER_SLUG: Record<PaperOptimizer, string> = {
  SGD: 'sgd',
  Adam: 'adam',
  'K-FAC-F': 'kfac-f',
  'K-FAC-G': 'kfac-g',
};

const SETTING_SLUG: Record<PaperSetting, string> = { none: 'none', BN: 'bn', 'BN+Aug': 'bn-aug' };

const DATASET_TITLE: Record<string, string> = { cifar10: 'CIFAR-10', cifar100: 'CIFAR-100' };
const NET_TITLE: Record<PaperNet, string> = { vgg16: 'VGG16', resnet32: 'ResNet32 (4x wide)' };

/** `cifar10-vgg16-bn-aug-kfac-g-wd`: dataset, net, setting, optimizer, variant. */
export function presetName(c: PaperConfig): string {
  return [
    c.dataset,
    c.net,
    SETTING_SLUG[c.setting],
    OPTIMIZER_SLUG[c.optimizer],
    c.variant.toLowerCase(),
  ].join('-');
}

export const PAPER_PRESETS: readonly PaperPreset[] = PAPER_CONFIGS.map((config) => ({
  name: presetName(config),
  config,
}));

/** The preset that runs the whole grid as one sweep (examples/paper-table1.wdlab.json). */
export const TABLE1_PRESET = 'table1';

/** The data, width and length of a preset's run, paper or CPU. */
function scaleOf(c: PaperConfig, options: PresetOptions) {
  const paperSteps = c.epochs * stepsPerEpoch(PAPER_SCALE.trainSize, PAPER_SCALE.batchSize);
  if (!options.cpu) {
    return {
      trainSize: PAPER_SCALE.trainSize,
      testSize: PAPER_SCALE.testSize,
      width: PAPER_SCALE.width[c.net],
      epochs: c.epochs,
      everySteps: c.lrDecayEveryIters,
      totalSteps: paperSteps,
    };
  }
  const totalSteps = CPU_SCALE.epochs * stepsPerEpoch(CPU_SCALE.trainSize, PAPER_SCALE.batchSize);
  return {
    trainSize: CPU_SCALE.trainSize,
    testSize: CPU_SCALE.testSize,
    width: CPU_SCALE.width[c.net],
    epochs: CPU_SCALE.epochs,
    // The same fraction of the run between decays as the paper's.
    everySteps: Math.max(1, Math.round((c.lrDecayEveryIters * totalSteps) / paperSteps)),
    totalSteps,
  };
}

/** The optimizer block of a row (docs/science.md sections 1 and 6). */
function optimizerOf(c: PaperConfig, trainSize: number): PresetSpec['optimizer'] {
  switch (c.optimizer) {
    case 'SGD':
      return { type: 'sgd', lr: c.lr, momentum: PAPER_SCALE.momentum };
    case 'Adam':
      return { type: 'adam', lr: c.lr, betas: [0.9, 0.999], eps: 1e-8 };
    case 'K-FAC-F':
    case 'K-FAC-G': {
      const kfac: Omit<KfacSpec, 'inverseMethod' | 'inverseSchedule'> = {
        type: c.optimizer === 'K-FAC-F' ? 'kfac-f' : 'kfac-g',
        lr: c.lr,
        momentum: PAPER_SCALE.momentum,
        damping: c.damping ?? 0,
        statDecay: 0.95,
        statsEvery: 10,
        inverseEvery: 100,
        dampingScheme: 'factored',
        // The official "roger init": the factors start as the average over one pass over the training data.
        initStatsBatches: stepsPerEpoch(trainSize, PAPER_SCALE.batchSize),
      };
      if (c.klClip !== undefined) kfac.klClip = c.klClip;
      return kfac;
    }
  }
}

/** The regularization block: decay_type l2 = a penalty in the loss, wd = decoupled (docs/science.md section 2). */
function regularizationOf(c: PaperConfig): PresetSpec['regularization'] {
  if (c.variant === 'baseline' || c.decayType === undefined) return { type: 'none', coefficient: 0 };
  return { type: c.decayType === 'l2' ? 'l2' : 'weightDecay', coefficient: c.weightDecay, apply: 'all' };
}

/** One line on a row's hyperparameters, for descriptions and pick lists. */
export function hyperparameterSummary(c: PaperConfig): string {
  const parts = [`lr ${c.lr}`];
  if (c.variant === 'baseline') parts.push('no weight decay');
  else parts.push(c.decayType === 'l2' ? `L2 ${c.weightDecay}` : `weight decay ${c.weightDecay} (decoupled)`);
  if (c.damping !== undefined) parts.push(`damping ${c.damping}`);
  if (c.klClip !== undefined) parts.push(`KL clip ${c.klClip}`);
  parts.push(`${c.epochs} epochs`, `lr x0.1 every ${c.lrDecayEveryIters} iterations`);
  return parts.join(', ');
}

/** `CIFAR-10, VGG16, BN+Aug, K-FAC-G, WD`. */
export function presetTitle(c: PaperConfig): string {
  return [DATASET_TITLE[c.dataset], NET_TITLE[c.net], c.setting, c.optimizer, c.variant].join(', ');
}

function cpuNote(c: PaperConfig, options: PresetOptions): string {
  const s = scaleOf(c, options);
  const paper = scaleOf(c, {});
  const bn =
    c.setting === 'none' ? '' : `, BN moving-average momentum ${CPU_SCALE.batchNormMomentum} (paper 0.99)`;
  return (
    `Scaled for a CPU (wdlab preset new --cpu): ${s.trainSize} of ${paper.trainSize} training and ${s.testSize} of ` +
    `${paper.testSize} test examples, width ${s.width} (paper ${paper.width}), ${s.epochs} epochs (paper ${paper.epochs}), ` +
    `lr x0.1 every ${s.everySteps} of ${s.totalSteps} steps (paper ${paper.everySteps} of ${paper.totalSteps})${bn}; ` +
    'everything else as in the paper.'
  );
}

/** The spec of one configuration. */
export function presetSpec(preset: PaperPreset, options: PresetOptions = {}): PresetSpec {
  const c = preset.config;
  const s = scaleOf(c, options);
  const batchNorm = c.setting !== 'none';
  const model: PresetSpec['model'] = { ...NET_MODEL[c.net], width: s.width, batchNorm };
  if (options.cpu && batchNorm) model.batchNormMomentum = CPU_SCALE.batchNormMomentum;
  const source = `Zhang et al. 2019, paper-configs.tsv row ${c.row} (${c.sourceConfig}): ${presetTitle(c)}; ${hyperparameterSummary(c)}.`;
  const spec: PresetSpec = {
    name: options.cpu ? `${preset.name}-cpu` : preset.name,
    description: options.cpu ? `${source} ${cpuNote(c, options)}` : source,
    data: {
      dataset: c.dataset,
      trainSize: s.trainSize,
      testSize: s.testSize,
      augment: c.setting === 'BN+Aug',
    },
    model,
    optimizer: optimizerOf(c, s.trainSize),
    regularization: regularizationOf(c),
    schedule: { type: 'step', factor: 0.1, everySteps: s.everySteps },
    training: {
      epochs: s.epochs,
      batchSize: PAPER_SCALE.batchSize,
      testBatchSize: PAPER_SCALE.testBatchSize,
      seed: 1,
      backend: 'auto',
    },
  };
  return spec;
}

/** The comment lines on top of a preset's file: where it comes from. */
function presetComments(preset: PaperPreset, options: PresetOptions): string[] {
  const c = preset.config;
  const lines = [
    `Source config: ${c.sourceConfig} (gd-zhang/Weight-Decay; paper-configs.tsv row ${c.row})`,
    ...wrapText(
      `Zhang, Wang, Xu, Grosse, "Three Mechanisms of Weight Decay Regularization" (ICLR 2019): ${presetTitle(c)}; ${hyperparameterSummary(c)}. Preset "${preset.name}" (wdlab preset list shows all 64).`,
    ),
  ];
  if (options.cpu) lines.push(...wrapText(cpuNote(c, options)));
  return lines;
}

/** The paths a Table 1 case sets: everything that differs between the configurations. */
function table1Case(preset: PaperPreset, options: PresetOptions): Record<string, unknown> {
  const spec = presetSpec(preset, options);
  const entry: Record<string, unknown> = {
    label: preset.name,
    'data.dataset': spec.data.dataset,
    'data.augment': spec.data.augment,
    'model.arch': spec.model.arch,
    'model.depth': spec.model.depth,
    'model.width': spec.model.width,
    'model.batchNorm': spec.model.batchNorm,
    optimizer: spec.optimizer,
    'regularization.type': spec.regularization.type,
    'regularization.coefficient': spec.regularization.coefficient,
    'schedule.everySteps': spec.schedule.everySteps,
    'training.epochs': spec.training.epochs,
  };
  // The base resolves the Jacobian estimator for its own 10 classes; 100 classes take the projection
  // estimator that a CIFAR-100 spec gets by default (spec/defaults.ts).
  if (spec.data.dataset === 'cifar100') entry['metrics.jacobian'] = 'projection';
  return entry;
}

/** The whole grid as one spec: the base is the first configuration, and one labelled case per row. */
export function table1Spec(options: PresetOptions = {}): PresetSpec {
  const [first] = PAPER_PRESETS;
  const base = presetSpec(first, options);
  const cpu = options.cpu
    ? ` ${CPU_SCALE.trainSize} training / ${CPU_SCALE.testSize} test examples, narrow networks (VGG16 width ${CPU_SCALE.width.vgg16}, ResNet32 width ${CPU_SCALE.width.resnet32}), ${CPU_SCALE.epochs} epochs, lr decay steps in proportion: a CPU-sized dry run of the grid (wdlab preset new table1 --cpu).`
    : '';
  return {
    ...base,
    name: options.cpu ? 'paper-table1-cpu' : 'paper-table1',
    description:
      `Zhang et al. 2019, Table 1: the ${PAPER_PRESETS.length} released configurations (paper-configs.tsv) as one sweep, ` +
      'one labelled case per configuration: dataset x network x setting (none, BN, BN+Aug) x optimizer (SGD, Adam, ' +
      'K-FAC-F, K-FAC-G) x baseline / weight decay, each with its own learning rate, weight decay, damping and schedule.' +
      cpu,
    model: options.cpu ? { ...base.model, batchNormMomentum: CPU_SCALE.batchNormMomentum } : base.model,
    regularization: { type: 'none', coefficient: 0, apply: 'all' },
    sweep: { cases: PAPER_PRESETS.map((p) => table1Case(p, options)) },
  };
}

function table1Comments(options: PresetOptions): string[] {
  return [
    `Zhang et al., "Three Mechanisms of Weight Decay Regularization" (ICLR 2019), Table 1: all ${PAPER_PRESETS.length} configurations`,
    'released in gd-zhang/Weight-Decay (configs/, listed in paper-configs.tsv), one sweep case per config file.',
    'Each case is labelled with its preset name; `wdlab preset new NAME` writes one of them as its own spec.',
    ...(options.cpu
      ? ["Scaled for a CPU (wdlab preset new table1 --cpu): a dry run of the grid, not the paper's numbers."]
      : []),
    'The paper trains these on a GPU (VGG16 and the 4x wide ResNet32, 100-200 epochs each).',
  ];
}

export interface PresetDocument {
  /** The preset's name (`table1` for the grid). */
  preset: string;
  spec: PresetSpec;
  /** The file's text: comment lines naming the source, then the spec. */
  text: string;
  /** `<spec name>.wdlab.json`. */
  fileName: string;
}

/** A preset by name (`table1` or a configuration's slug), as a spec file's text. */
export function presetDocument(name: string, options: PresetOptions = {}): PresetDocument {
  if (name === TABLE1_PRESET) {
    const spec = table1Spec(options);
    return {
      preset: name,
      spec,
      text: renderSpecText(spec, table1Comments(options), { oneLineItems: ['sweep.cases'] }),
      fileName: `${spec.name}.wdlab.json`,
    };
  }
  const preset = PAPER_PRESETS.find((p) => p.name === name);
  if (!preset) {
    const names = [TABLE1_PRESET, ...PAPER_PRESETS.map((p) => p.name)];
    throw new PresetError(
      `unknown preset "${name}"${didYouMean(name, names)} (wdlab preset list shows the ${PAPER_PRESETS.length} presets, and ${TABLE1_PRESET})`,
    );
  }
  const spec = presetSpec(preset, options);
  return {
    preset: name,
    spec,
    text: renderSpecText(spec, presetComments(preset, options)),
    fileName: `${spec.name}.wdlab.json`,
  };
}

// ---- Filters: the table's own words, case and punctuation ignored ("bn-aug" = "BN+Aug", "kfac-g" = "K-FAC-G").

export interface PresetFilter {
  dataset?: string;
  net?: string;
  setting?: string;
  optimizer?: string;
  variant?: string;
}

export const PRESET_FILTER_VALUES: Record<keyof PresetFilter, readonly string[]> = {
  dataset: PAPER_DATASETS,
  net: PAPER_NETS,
  setting: PAPER_SETTINGS,
  optimizer: PAPER_OPTIMIZERS,
  variant: PAPER_VARIANTS,
};

const normalize = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The table's value a filter word names; throws PresetError for a word that names none. */
export function filterValue(field: keyof PresetFilter, word: string): string {
  const allowed = PRESET_FILTER_VALUES[field];
  const match = allowed.find((v) => normalize(v) === normalize(word));
  if (match === undefined) {
    throw new PresetError(
      `--${field} "${word}" is not one of ${allowed.join(', ')}${didYouMean(word, allowed)}`,
    );
  }
  return match;
}

/** The presets whose row matches every given filter, in the table's order. */
export function filterPresets(filter: PresetFilter): PaperPreset[] {
  const wanted = (Object.keys(PRESET_FILTER_VALUES) as (keyof PresetFilter)[])
    .filter((field) => filter[field] !== undefined)
    .map((field) => [field, filterValue(field, filter[field] as string)] as const);
  return PAPER_PRESETS.filter((p) => wanted.every(([field, value]) => p.config[field] === value));
}
