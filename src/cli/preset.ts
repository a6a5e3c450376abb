// `wdlab preset list|new`: the paper's 64 released configurations as specs (spec/presets).
//
//   wdlab preset list [--dataset D] [--net N] [--setting S] [--optimizer O] [--variant V] [--json]
//   wdlab preset new NAME [--cpu] [-o FILE]      NAME: a preset from the list, or table1 (the whole grid)
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDiagnostic, loadSpecText } from '../spec';
import {
  filterPresets,
  PAPER_PRESETS,
  PresetError,
  type PresetFilter,
  presetDocument,
  TABLE1_PRESET,
} from '../spec/presets';
import { formatTable } from './table';

/** Bad input (unknown preset, bad filter, a file in the way): printed without a stack, exit code 2. */
export class PresetInputError extends Error {}

export interface PresetCommandOptions extends PresetFilter {
  json?: boolean;
  cpu?: boolean;
  output?: string;
}

const cell = (v: number | string | undefined): string => (v === undefined ? '-' : String(v));

function list(options: PresetCommandOptions): number {
  const presets = filterPresets(options);
  if (options.json) {
    console.log(
      JSON.stringify(
        presets.map((p) => ({ name: p.name, ...p.config })),
        null,
        2,
      ),
    );
    return 0;
  }
  const rows = presets.map(({ name, config: c }) => [
    name,
    c.dataset,
    c.net,
    c.setting,
    c.optimizer,
    c.variant,
    cell(c.lr),
    c.variant === 'baseline' ? '-' : `${c.weightDecay} (${c.decayType})`,
    cell(c.damping),
    cell(c.klClip),
    cell(c.epochs),
    cell(c.lrDecayEveryIters),
  ]);
  const header = ['name', 'dataset', 'net', 'setting', 'optimizer', 'variant', 'lr', 'wd', 'damping'];
  console.log(formatTable([...header, 'kl clip', 'epochs', 'lr x0.1 every'], rows));
  const of = presets.length === PAPER_PRESETS.length ? '' : ` of ${PAPER_PRESETS.length}`;
  console.log(
    `\n${presets.length}${of} configurations of Zhang et al. 2019 (paper-configs.tsv). ` +
      `"wdlab preset new NAME [--cpu]" writes one as a spec; "${TABLE1_PRESET}" is the whole grid as one sweep.`,
  );
  return 0;
}

function create(args: string[], options: PresetCommandOptions): number {
  if (args.length !== 1)
    throw new PresetInputError('preset new needs exactly one preset name (wdlab preset list)');
  const doc = presetDocument(args[0], { cpu: options.cpu });
  if (options.output === '-') {
    process.stdout.write(doc.text);
    return 0;
  }
  const file = resolve(options.output ?? doc.fileName);
  if (existsSync(file)) {
    throw new PresetInputError(`${file} already exists; not overwriting it (delete it or choose -o FILE)`);
  }
  try {
    writeFileSync(file, doc.text, { flag: 'wx' });
  } catch (e) {
    throw new PresetInputError(`cannot write ${file}: ${(e as Error).message}`);
  }
  const loaded = loadSpecText(doc.text);
  for (const d of loaded.diagnostics) console.error(formatDiagnostic(file, d));
  const n = loaded.trials.length;
  const trials = loaded.spec ? ` — ${n} trial${n === 1 ? '' : 's'}` : '';
  console.log(`${file}: preset ${doc.preset}${options.cpu ? ' scaled for a CPU' : ''}${trials}`);
  return 0;
}

/** `wdlab preset SUBCOMMAND ...`; throws PresetInputError on bad input. */
export function presetCommand(args: string[], options: PresetCommandOptions): number {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'list':
        if (rest.length > 0) throw new PresetInputError(`preset list takes no arguments (got "${rest[0]}")`);
        return list(options);
      case 'new':
        return create(rest, options);
      default:
        throw new PresetInputError(
          sub === undefined
            ? 'preset needs a subcommand: list or new'
            : `unknown preset subcommand "${sub}" (expected list or new)`,
        );
    }
  } catch (e) {
    if (e instanceof PresetError) throw new PresetInputError(e.message);
    throw e;
  }
}
