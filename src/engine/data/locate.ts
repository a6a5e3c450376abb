// Where the real datasets live on disk, and what each one's folder must hold. The layouts are the ones the
// official archives extract to (CIFAR: https://www.cs.toronto.edu/~kriz/cifar.html, "binary version";
// MNIST: http://yann.lecun.com/exdb/mnist/; Fashion-MNIST: github.com/zalandoresearch/fashion-mnist), so a
// folder downloaded by hand works as is. No tfjs here: the download command (src/runner/download.ts)
// and the extension host use this module too.
//
// The data directory is, in order: `data.path` of the spec (relative to the spec file's folder), the
// environment variable WDLAB_DATA (the VS Code setting `wdlab.dataDirectory` reaches the trainer this
// way), else the user cache folder ($XDG_CACHE_HOME or ~/.cache, then wdlab/datasets).
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { DatasetName } from '../../spec/types';

export type RealDatasetName = Extract<DatasetName, 'cifar10' | 'cifar100' | 'mnist' | 'fashion-mnist'>;

export const REAL_DATASETS: readonly RealDatasetName[] = ['cifar10', 'cifar100', 'mnist', 'fashion-mnist'];

export const isRealDataset = (name: unknown): name is RealDatasetName =>
  REAL_DATASETS.includes(name as RealDatasetName);

export interface DatasetLayout {
  name: RealDatasetName;
  /** The name people know it by, for messages. */
  title: string;
  /** The folder under the data directory (what the official archive extracts to, for CIFAR). */
  folder: string;
  /** Other folders under the data directory that are accepted too (torchvision's layout). */
  alternateFolders: readonly string[];
  /** Training files, read in this order. */
  trainFiles: readonly string[];
  /** Test files. */
  testFiles: readonly string[];
  /** IDX files may also be stored gzipped, as `<name>.gz` (how they are published). */
  gzipAllowed: boolean;
  /** Where the files come from, for the not-found message. */
  origin: string;
}

const IDX_TRAIN = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'];
const IDX_TEST = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

export const DATASET_LAYOUTS: Record<RealDatasetName, DatasetLayout> = {
  cifar10: {
    name: 'cifar10',
    title: 'CIFAR-10',
    folder: 'cifar-10-batches-bin',
    alternateFolders: [],
    trainFiles: [
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
    ],
    testFiles: ['test_batch.bin'],
    gzipAllowed: false,
    origin: 'the folder that https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz extracts to',
  },
  cifar100: {
    name: 'cifar100',
    title: 'CIFAR-100',
    folder: 'cifar-100-binary',
    alternateFolders: [],
    trainFiles: ['train.bin'],
    testFiles: ['test.bin'],
    gzipAllowed: false,
    origin: 'the folder that https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz extracts to',
  },
  mnist: {
    name: 'mnist',
    title: 'MNIST',
    folder: 'mnist',
    alternateFolders: ['MNIST/raw'],
    trainFiles: IDX_TRAIN,
    testFiles: IDX_TEST,
    gzipAllowed: true,
    origin: 'the IDX files of http://yann.lecun.com/exdb/mnist/, plain or .gz',
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    folder: 'fashion-mnist',
    alternateFolders: ['FashionMNIST/raw'],
    trainFiles: IDX_TRAIN,
    testFiles: IDX_TEST,
    gzipAllowed: true,
    origin: 'the IDX files of https://github.com/zalandoresearch/fashion-mnist, plain or .gz',
  },
};

export type DataDirectorySource = 'data.path' | 'WDLAB_DATA' | 'default';

export interface DataDirectory {
  /** Absolute folder. */
  dir: string;
  /** Which setting chose it, for messages. */
  source: DataDirectorySource;
}

/** The user cache folder for datasets: $XDG_CACHE_HOME/wdlab/datasets, else ~/.cache/wdlab/datasets. */
export function defaultDataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME?.trim();
  return join(cache && isAbsolute(cache) ? cache : join(homedir(), '.cache'), 'wdlab', 'datasets');
}

/**
 * The data directory: `path` (the spec's data.path; a relative one resolves against `baseDir`, the spec
 * file's folder, else the working directory), else $WDLAB_DATA, else the default cache folder.
 */
export function dataDirectory(
  options: { path?: string; baseDir?: string; env?: NodeJS.ProcessEnv } = {},
): DataDirectory {
  const env = options.env ?? process.env;
  const path = options.path?.trim();
  if (path) return { dir: resolve(options.baseDir ?? process.cwd(), path), source: 'data.path' };
  const fromEnv = env.WDLAB_DATA?.trim();
  if (fromEnv) return { dir: resolve(fromEnv), source: 'WDLAB_DATA' };
  return { dir: defaultDataDirectory(env), source: 'default' };
}

/** The folder a dataset's files land in under a data directory (what `wdlab download` creates). */
export const datasetFolder = (name: RealDatasetName, dataDir: string): string =>
  join(dataDir, DATASET_LAYOUTS[name].folder);

export interface DatasetFiles {
  folder: string;
  /** Absolute paths of the training files, in reading order (IDX: `.gz` where only that exists). */
  train: string[];
  test: string[];
}

/** Raised when a dataset's files are not where they should be; the message says what to put where. */
export class DatasetNotFoundError extends Error {
  override readonly name = 'DatasetNotFoundError';
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

/** The file `name` in `folder` (or `name.gz` where allowed), or undefined. */
function fileIn(folder: string, name: string, gzipAllowed: boolean): string | undefined {
  const plain = join(folder, name);
  if (isFile(plain)) return plain;
  const gz = `${plain}.gz`;
  return gzipAllowed && isFile(gz) ? gz : undefined;
}

function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The data directory to give `wdlab download` so that it fills `folder` (or the data folder itself). */
function downloadDirFor(layout: DatasetLayout, root: string): string {
  return basename(root) === layout.folder ? dirname(root) : root;
}

/** The command that downloads a dataset into a data directory (no --data-dir for the default one). */
export function downloadCommand(name: RealDatasetName, dataDir: string, source: DataDirectorySource): string {
  return `npx wdlab download ${name}${source === 'default' ? '' : ` --data-dir ${quoteArg(dataDir)}`}`;
}

const quoteArg = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`;

const SOURCE_WORDS: Record<DataDirectorySource, string> = {
  'data.path': 'data.path of the spec',
  WDLAB_DATA: '$WDLAB_DATA (the VS Code setting wdlab.dataDirectory sets it for the trainer)',
  default:
    'the default cache folder; set data.path in the spec, $WDLAB_DATA or the VS Code setting wdlab.dataDirectory to use another',
};

/**
 * The files of `name` under the data directory: the directory may be the dataset's folder itself or its
 * parent (`<dir>/cifar-10-batches-bin/`, `<dir>/mnist/`, or torchvision's `<dir>/MNIST/raw/`). Throws a
 * DatasetNotFoundError that names the folder, the files missing there, and the download command.
 */
export function findDatasetFiles(name: RealDatasetName, location: DataDirectory): DatasetFiles {
  const layout = DATASET_LAYOUTS[name];
  const root = location.dir;
  const candidates = [root, join(root, layout.folder), ...layout.alternateFolders.map((f) => join(root, f))];
  const required = [...layout.trainFiles, ...layout.testFiles];
  let partial: { folder: string; missing: string[] } | undefined;
  for (const folder of candidates) {
    const found = required.map((f) => fileIn(folder, f, layout.gzipAllowed));
    if (found.every((f) => f !== undefined)) {
      const paths = found as string[];
      return {
        folder,
        train: paths.slice(0, layout.trainFiles.length),
        test: paths.slice(layout.trainFiles.length),
      };
    }
    if (!partial && found.some((f) => f !== undefined)) {
      partial = { folder, missing: required.filter((_, i) => found[i] === undefined) };
    }
  }
  const command = downloadCommand(name, downloadDirFor(layout, root), location.source);
  const gz = layout.gzipAllowed ? ' (each plain or .gz)' : '';
  const where = `data directory ${root}: ${SOURCE_WORDS[location.source]}`;
  if (partial) {
    throw new DatasetNotFoundError(
      `${layout.title} is incomplete in ${partial.folder}/: ${listWords(partial.missing)} ${partial.missing.length === 1 ? 'is' : 'are'} missing${gz}; put ${partial.missing.length === 1 ? 'it' : 'them'} there (${layout.origin}), or download the dataset again with: ${command}\n(${where})`,
    );
  }
  const target = basename(root) === layout.folder ? root : join(root, layout.folder);
  throw new DatasetNotFoundError(
    `${layout.title} not found: put ${listWords(required)}${gz} in ${target}/ (${layout.origin}), or download them with: ${command}\n(${where}; looked in ${candidates.join(', ')})`,
  );
}

/** A real dataset some trial needs whose files are not on disk, with the trainer's first message line. */
export interface MissingDataset {
  dataset: RealDatasetName;
  /** The data directory to download it into so that the trials find it (as the message's command says). */
  downloadDir: string;
  message: string;
}

/**
 * The real datasets of `needs` (each trial's data.dataset and data.path) that findDatasetFiles would not
 * find, once per dataset and path, as the trainer would report them (what to put where, the download
 * command). `baseDir` is the spec file's folder; `env` supplies WDLAB_DATA.
 */
export function missingDatasets(
  needs: readonly { dataset: string; path?: string }[],
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): MissingDataset[] {
  const seen = new Set<string>();
  const missing: MissingDataset[] = [];
  for (const { dataset, path } of needs) {
    const key = `${dataset}\0${path ?? ''}`;
    if (!isRealDataset(dataset) || seen.has(key)) continue;
    seen.add(key);
    const location = dataDirectory({ path, baseDir, env });
    try {
      findDatasetFiles(dataset, location);
    } catch (e) {
      if (!(e instanceof DatasetNotFoundError)) throw e;
      const downloadDir = downloadDirFor(DATASET_LAYOUTS[dataset], location.dir);
      missing.push({ dataset, downloadDir, message: e.message.split('\n')[0] });
    }
  }
  return missing;
}
