// The choices of "New Experiment from Paper…": the paper's 64 configurations and the Table 1 grid, grouped
// by dataset and network, with the hyperparameters on each item so that the filter finds them
// ("cifar100 kfac-g", "BN+Aug", "damping 0.01"). The filter is ours (filterPaperPicks): VS Code's quick pick
// matches the typed text as one piece, so "vgg16 bn sgd wd" would match nothing. No `vscode` here, so a
// unit test checks the items and the filter.
import {
  CPU_SCALE,
  hyperparameterSummary,
  PAPER_PRESETS,
  type PresetOptions,
  presetTitle,
  TABLE1_PRESET,
} from '../spec/presets';

export interface PaperPick {
  label: string;
  description?: string;
  detail?: string;
  /** The preset's name; absent on a separator. */
  preset?: string;
  /** A group heading (QuickPickItemKind.Separator). */
  separator?: boolean;
}

const GROUP_TITLE: Record<string, string> = {
  'cifar10 resnet32': 'CIFAR-10 · ResNet32 (4x wide)',
  'cifar10 vgg16': 'CIFAR-10 · VGG16',
  'cifar100 resnet32': 'CIFAR-100 · ResNet32 (4x wide)',
  'cifar100 vgg16': 'CIFAR-100 · VGG16',
};

/** Table 1 first, then one group per dataset and network in the table's order. */
export function paperPicks(): PaperPick[] {
  const picks: PaperPick[] = [
    {
      label: 'Table 1: the whole grid',
      description: `${PAPER_PRESETS.length} trials, one sweep`,
      detail: 'Every configuration below as one case of one sweep (examples/paper-table1.wdlab.json)',
      preset: TABLE1_PRESET,
    },
  ];
  let group = '';
  for (const { name, config } of PAPER_PRESETS) {
    const key = `${config.dataset} ${config.net}`;
    if (key !== group) {
      picks.push({ label: GROUP_TITLE[key] ?? key, separator: true });
      group = key;
    }
    picks.push({
      label: name,
      description: presetTitle(config),
      detail: `${hyperparameterSummary(config)} · ${config.sourceConfig}`,
      preset: name,
    });
  }
  return picks;
}

/** The words of a filter, lower case: `"VGG16  bn"` -> `["vgg16", "bn"]`. */
export function filterWords(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Whether every word of the filter occurs in the pick's label, description or detail (any order, any case). */
export function matchesFilter(pick: PaperPick, query: string): boolean {
  const text = [pick.label, pick.description, pick.detail].join(' ').toLowerCase();
  return filterWords(query).every((w) => text.includes(w));
}

/**
 * The picks a filter keeps: the items that match every word, each group's heading above its first kept
 * item; everything for an empty filter.
 */
export function filterPaperPicks(picks: readonly PaperPick[], query: string): PaperPick[] {
  if (filterWords(query).length === 0) return [...picks];
  const kept: PaperPick[] = [];
  let heading: PaperPick | undefined;
  for (const pick of picks) {
    if (pick.separator) heading = pick;
    else if (matchesFilter(pick, query)) {
      if (heading) kept.push(heading);
      heading = undefined;
      kept.push(pick);
    }
  }
  return kept;
}

export interface ScalePick {
  label: string;
  detail: string;
  options: PresetOptions;
}

export const SCALE_PICKS: readonly ScalePick[] = [
  {
    label: 'Paper scale',
    detail: 'Exactly the paper: 50,000 training images, full-width network, 100-200 epochs (a GPU job)',
    options: {},
  },
  {
    label: 'Scaled for a CPU',
    detail: `${CPU_SCALE.trainSize} training / ${CPU_SCALE.testSize} test images, width ${CPU_SCALE.width.vgg16} (VGG16) or ${CPU_SCALE.width.resnet32} (ResNet32), ${CPU_SCALE.epochs} epochs, the lr decay step in proportion: minutes on a CPU`,
    options: { cpu: true },
  },
];
