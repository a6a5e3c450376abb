// `wdlab download NAME`: fetches a real dataset from its official address into the data directory, in the
// layout the readers expect (engine/data/locate.ts). Node networking, so it lives in the runner; the CLI
// and the extension host both call it (no tfjs here).
//
// Each file is downloaded into `<file>.part`; an interrupted download resumes from the .part with an HTTP
// Range request. A finished file must match its md5 (the checksums the CIFAR page publishes, and those of
// torchvision's MNIST / FashionMNIST classes) before it is renamed into place; a mismatch deletes the
// .part, so nothing corrupt stays behind. CIFAR archives are extracted (with the `tar` package) into a
// temporary folder that is renamed into place only when every expected file is in it.
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { version } from '../../package.json';
import { DATASET_LAYOUTS, findDatasetFiles, type RealDatasetName } from '../engine/data/locate';

export interface RemoteFile {
  /** File name on disk (and the last part of each URL). */
  name: string;
  /** Addresses tried in order: the official one first, then mirrors. */
  urls: readonly string[];
  /** Lowercase hex md5 of the whole file. */
  md5: string;
}

export interface DatasetSource {
  files: readonly RemoteFile[];
  /** The single file is a .tar.gz that extracts to the dataset's folder (CIFAR); else the files are the data. */
  archive: boolean;
}

export type DatasetSources = Record<RealDatasetName, DatasetSource>;

const MNIST_MIRRORS = ['http://yann.lecun.com/exdb/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'];
const FASHION_MNIST_MIRRORS = ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'];

function idxFiles(mirrors: readonly string[], md5: Record<string, string>): RemoteFile[] {
  return Object.entries(md5).map(([name, sum]) => ({ name, urls: mirrors.map((m) => m + name), md5: sum }));
}

/**
 * The official addresses and checksums. CIFAR: https://www.cs.toronto.edu/~kriz/cifar.html (the md5 of
 * the "binary version" archives as the page lists them). MNIST and Fashion-MNIST: the mirrors and md5s of
 * torchvision/datasets/mnist.py (MNIST: LeCun's site, then the PyTorch S3 mirror).
 */
export const DATASET_SOURCES: DatasetSources = {
  cifar10: {
    archive: true,
    files: [
      {
        name: 'cifar-10-binary.tar.gz',
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
        md5: 'c32a1d4ab5d03f1284b67883e8d87530',
      },
    ],
  },
  cifar100: {
    archive: true,
    files: [
      {
        name: 'cifar-100-binary.tar.gz',
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'],
        md5: '03b5dce01913d631647c71ecec9e9cb8',
      },
    ],
  },
  mnist: {
    archive: false,
    files: idxFiles(MNIST_MIRRORS, {
      'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
      't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
      't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
    }),
  },
  'fashion-mnist': {
    archive: false,
    files: idxFiles(FASHION_MNIST_MIRRORS, {
      'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
      't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
      't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
    }),
  },
};

export type DownloadEvent =
  /** `url` (after redirects) answers for `file`; `offset` bytes were already in its .part (a resume). */
  | { type: 'start'; file: string; url: string; offset: number; total?: number }
  /** `received` bytes of `file` are on disk (throttled; the last event of a file has all of them). */
  | { type: 'progress'; file: string; received: number; total?: number }
  /** An address failed; the next one is tried. */
  | { type: 'retry'; file: string; url: string; error: string }
  | { type: 'verified'; file: string }
  | { type: 'extract'; file: string };

export interface DownloadOptions {
  /** The data directory the dataset's folder is created in. */
  dataDir: string;
  /** The address table (tests serve their own). */
  sources?: DatasetSources;
  onEvent?: (event: DownloadEvent) => void;
  signal?: AbortSignal;
  /** Download again even if the dataset is already complete. */
  force?: boolean;
  /** Socket inactivity before an address counts as failed (default 60 s). */
  idleTimeoutMs?: number;
  /** Minimum time between progress events (default 250 ms). */
  progressIntervalMs?: number;
}

export interface DownloadResult {
  /** The dataset's folder, complete. */
  folder: string;
  /** False when it was complete already and nothing was fetched. */
  downloaded: boolean;
}

function isComplete(name: RealDatasetName, folder: string): boolean {
  try {
    return findDatasetFiles(name, { dir: folder, source: 'data.path' }).folder === folder;
  } catch {
    return false;
  }
}

/** Downloads (or completes) dataset `name` into `<dataDir>/<its folder>`. */
export async function downloadDataset(
  name: RealDatasetName,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const layout = DATASET_LAYOUTS[name];
  const source = (options.sources ?? DATASET_SOURCES)[name];
  const dataDir = resolve(options.dataDir);
  const folder = join(dataDir, layout.folder);
  if (!options.force && isComplete(name, folder)) return { folder, downloaded: false };
  const fileDir = source.archive ? dataDir : folder;
  mkdirSync(fileDir, { recursive: true });
  for (const file of source.files) {
    const target = join(fileDir, file.name);
    // A verified file from an earlier run (an IDX file, or an archive whose extraction failed) is kept.
    const kept = !options.force && existsSync(target) && (await md5Of(target)) === file.md5;
    if (!kept) await fetchVerified(file, target, options);
    if (source.archive) {
      options.onEvent?.({ type: 'extract', file: file.name });
      await extractDataset(name, target, dataDir);
      rmSync(target, { force: true });
    }
  }
  if (!isComplete(name, folder)) {
    throw new Error(`${layout.title}: the download finished but ${folder} lacks some of its files`);
  }
  return { folder, downloaded: true };
}

export async function md5Of(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

const isAbort = (e: unknown, signal?: AbortSignal): boolean =>
  signal?.aborted === true || (e as { name?: string }).name === 'AbortError';

/** Fetches one file from the first address that delivers it with the right md5. */
async function fetchVerified(file: RemoteFile, target: string, options: DownloadOptions): Promise<void> {
  const part = `${target}.part`;
  const failures: string[] = [];
  for (const url of file.urls) {
    try {
      await fetchToPart(url, part, file.name, options);
      const digest = await md5Of(part);
      if (digest !== file.md5) {
        rmSync(part, { force: true });
        throw new Error(`checksum mismatch: md5 ${digest}, expected ${file.md5}; the download was deleted`);
      }
      renameSync(part, target);
      options.onEvent?.({ type: 'verified', file: file.name });
      return;
    } catch (e) {
      if (isAbort(e, options.signal)) {
        throw new Error(`download of ${file.name} cancelled; run it again to resume from ${part}`);
      }
      const message = e instanceof Error ? e.message : String(e);
      failures.push(`${url}: ${message}`);
      options.onEvent?.({ type: 'retry', file: file.name, url, error: message });
    }
  }
  throw new Error(`could not download ${file.name}:\n  ${failures.join('\n  ')}`);
}

/** One GET (following redirects): the response whatever its status, and the address that gave it. */
function get(
  url: string,
  headers: Record<string, string>,
  options: DownloadOptions,
  redirects = 5,
): Promise<{ res: IncomingMessage; url: string }> {
  const client = url.startsWith('https:') ? https : http;
  const timeout = options.idleTimeoutMs ?? 60_000;
  return new Promise((resolvePromise, reject) => {
    const request = client.get(
      url,
      { headers: { 'User-Agent': `wdlab/${version}`, ...headers }, signal: options.signal, timeout },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (redirects === 0) return reject(new Error(`too many redirects from ${url}`));
          const next = new URL(res.headers.location, url).href;
          return resolvePromise(get(next, headers, options, redirects - 1));
        }
        resolvePromise({ res, url });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no data for ${timeout / 1000} s`)));
    request.on('error', reject);
  });
}

/** Brings `part` to the whole file from `url`: resumes with a Range request when part of it is there. */
async function fetchToPart(url: string, part: string, name: string, options: DownloadOptions): Promise<void> {
  let offset = existsSync(part) ? statSync(part).size : 0;
  const { res, url: answered } = await get(url, offset > 0 ? { Range: `bytes=${offset}-` } : {}, options);
  const status = res.statusCode ?? 0;
  let total: number | undefined;
  if (status === 416 && offset > 0) {
    // Nothing past the end: the .part is already whole (or longer than the file; the md5 decides).
    res.resume();
    return;
  }
  if (status === 206 && offset > 0) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!range || Number(range[1]) !== offset) {
      // Not the range asked for: start over rather than splice mismatched bytes.
      res.resume();
      rmSync(part, { force: true });
      return fetchToPart(url, part, name, options);
    }
    total = range[2] === '*' ? undefined : Number(range[2]);
  } else if (status === 200) {
    offset = 0;
    const length = res.headers['content-length'];
    total = length === undefined ? undefined : Number(length);
  } else {
    res.resume();
    throw new Error(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
  }
  options.onEvent?.({ type: 'start', file: name, url: answered, offset, total });
  let received = offset;
  let last = 0;
  const interval = options.progressIntervalMs ?? 250;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      const now = Date.now();
      if (now - last >= interval) {
        last = now;
        options.onEvent?.({ type: 'progress', file: name, received, total });
      }
      done(null, chunk);
    },
    flush(done) {
      options.onEvent?.({ type: 'progress', file: name, received, total });
      done();
    },
  });
  const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  try {
    await pipeline(res, counter, out);
  } finally {
    // After an error or a cancel, a write may still be in flight: wait for it, so that the .part is final
    // (a resume appends to it) before this returns.
    if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
  }
  if (total !== undefined && received !== total) {
    throw new Error(
      `the connection closed after ${received} of ${total} bytes; run the download again to resume`,
    );
  }
}

/**
 * Extracts the dataset's folder from a .tar.gz into `dataDir`: into a temporary folder first, renamed into
 * place once every expected file is there (an existing incomplete folder is replaced). Only entries under
 * the dataset's folder are extracted.
 */
async function extractDataset(name: RealDatasetName, archive: string, dataDir: string): Promise<void> {
  const { folder } = DATASET_LAYOUTS[name];
  const tmp = mkdtempSync(join(dataDir, `.${folder}-extract-`));
  try {
    await tar.x({
      file: archive,
      cwd: tmp,
      strict: true,
      filter: (path) => {
        const p = path.replace(/^\.\//, '');
        return p === folder || p === `${folder}/` || p.startsWith(`${folder}/`);
      },
    });
    const extracted = join(tmp, folder);
    if (!isComplete(name, extracted)) {
      throw new Error(`${archive} does not hold a complete ${folder}/ folder`);
    }
    const final = join(dataDir, folder);
    rmSync(final, { recursive: true, force: true });
    renameSync(extracted, final);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
