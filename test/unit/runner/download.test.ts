// `wdlab download` against a local HTTP server (these machines have no internet): the server serves a
// generated CIFAR-10 .tar.gz and MNIST .gz files with Range support, and can fail, redirect, cut a
// response short or trickle it. Checks progress events, resume of a .part with a Range request, the md5
// check (a mismatch leaves nothing behind), mirror fallback, cancellation, and that the reader loads what
// the download produced.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { DatasetNotFoundError } from '../../../src/engine/data/locate';
import { loadDataset } from '../../../src/engine/data/registry';
import {
  DATASET_SOURCES,
  type DatasetSources,
  type DownloadEvent,
  downloadDataset,
} from '../../../src/runner/download';
import { tempDir, writeCifar10, writeIdxDataset } from '../../helpers/datasetFiles';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

interface Served {
  body: Buffer;
  /** Send this many bytes, then destroy the connection (once). */
  dropAfter?: number;
  /** Send in chunks of this size with a pause between them. */
  trickle?: number;
}

const files = new Map<string, Served>();
const requests: { url: string; range?: string }[] = [];
let server: Server;
let base = '';

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  requests.push({ url, range: req.headers.range });
  if (url.startsWith('/broken/')) {
    res.writeHead(500).end('down for maintenance');
    return;
  }
  if (url.startsWith('/redirect/')) {
    res.writeHead(302, { Location: url.slice('/redirect'.length) }).end();
    return;
  }
  const served = files.get(url);
  if (!served) {
    res.writeHead(404).end('not found');
    return;
  }
  const { body } = served;
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'Content-Length': body.length - start,
    });
  } else {
    res.writeHead(200, { 'Content-Length': body.length, 'Content-Type': 'application/gzip' });
  }
  const rest = body.subarray(start);
  if (served.dropAfter !== undefined) {
    const cut = served.dropAfter;
    served.dropAfter = undefined;
    res.write(rest.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
    return;
  }
  if (served.trickle) {
    const size = served.trickle;
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      if (at >= rest.length) {
        res.end();
        return;
      }
      res.write(rest.subarray(at, at + size));
      at += size;
      setTimeout(next, 15);
    };
    next();
    return;
  }
  res.end(rest);
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A CIFAR-10 .tar.gz laid out like the official one, and the records in it. */
async function cifarArchive(perBatch: number) {
  const src = tempDir('wdlab-dl-src-');
  const records = writeCifar10(src, perBatch, 3);
  const file = join(src, 'cifar-10-binary.tar.gz');
  await tar.c({ gzip: true, file, cwd: src }, ['cifar-10-batches-bin']);
  return { body: readFileSync(file), records };
}

function cifarSources(path: string, body: Buffer, md5sum = md5(body)): DatasetSources {
  files.set(path, { body });
  return {
    ...DATASET_SOURCES,
    cifar10: { archive: true, files: [{ name: 'cifar-10-binary.tar.gz', urls: [base + path], md5: md5sum }] },
  };
}

function recorder() {
  const events: DownloadEvent[] = [];
  return { events, onEvent: (e: DownloadEvent) => events.push(e) };
}

const progress = (events: DownloadEvent[]) =>
  events.filter((e): e is Extract<DownloadEvent, { type: 'progress' }> => e.type === 'progress');

/** The names in a folder, sorted (hidden temporary folders included). */
const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('download', () => {
  test('CIFAR-10: progress, md5, extraction into cifar-10-batches-bin/, and the reader loads it', async () => {
    const { body, records } = await cifarArchive(4);
    const sources = cifarSources('/a/cifar-10-binary.tar.gz', body);
    const dataDir = tempDir('wdlab-dl-');
    const { events, onEvent } = recorder();
    const result = await downloadDataset('cifar10', { dataDir, sources, onEvent, progressIntervalMs: 0 });
    assert.equal(result.folder, join(dataDir, 'cifar-10-batches-bin'));
    assert.equal(result.downloaded, true);
    assert.deepEqual(
      events.filter((e) => e.type !== 'progress'),
      [
        {
          type: 'start',
          file: 'cifar-10-binary.tar.gz',
          url: `${base}/a/cifar-10-binary.tar.gz`,
          offset: 0,
          total: body.length,
        },
        { type: 'verified', file: 'cifar-10-binary.tar.gz' },
        { type: 'extract', file: 'cifar-10-binary.tar.gz' },
      ],
    );
    const received = progress(events).map((e) => e.received);
    assert.ok(received.length >= 1);
    assert.deepEqual(
      received,
      [...received].sort((a, b) => a - b),
      'progress only grows',
    );
    assert.equal(received[received.length - 1], body.length);
    assert.ok(progress(events).every((e) => e.total === body.length));
    // Only the dataset's folder is left: no archive, no .part, no temporary extraction folder.
    assert.deepEqual(listing(dataDir), ['cifar-10-batches-bin']);
    const ds = await loadDataset({
      dataset: 'cifar10',
      trainSize: 20,
      testSize: 3,
      augment: false,
      path: dataDir,
    });
    assert.deepEqual(
      [...ds.train.y],
      records.train.map((r) => r.label),
    );
    assert.deepEqual(
      [...ds.test.y],
      records.test.map((r) => r.label),
    );
    // Complete now: a second call fetches nothing.
    const before = requests.length;
    const again = await downloadDataset('cifar10', { dataDir, sources });
    assert.equal(again.downloaded, false);
    assert.equal(requests.length, before);
  });

  test('an interrupted download keeps its .part and the next run resumes it with a Range request', async () => {
    const { body, records } = await cifarArchive(6);
    const path = '/resume/cifar-10-binary.tar.gz';
    const sources = cifarSources(path, body);
    const cut = 40_000;
    files.set(path, { body, dropAfter: cut });
    const dataDir = tempDir('wdlab-dl-');
    await assert.rejects(downloadDataset('cifar10', { dataDir, sources }), (e: Error) => {
      assert.match(
        e.message,
        /could not download cifar-10-binary\.tar\.gz:\n {2}http:\/\/127\.0\.0\.1:\d+\/resume/,
      );
      return true;
    });
    // What arrived before the cut is on disk (the last chunk may still have been in flight).
    const part = join(dataDir, 'cifar-10-binary.tar.gz.part');
    const kept = readFileSync(part);
    assert.ok(kept.length > 0 && kept.length <= cut, `kept ${kept.length} of ${cut}`);
    assert.deepEqual(kept, body.subarray(0, kept.length));
    assert.deepEqual(listing(dataDir), ['cifar-10-binary.tar.gz.part']);

    const { events, onEvent } = recorder();
    const first = requests.length;
    await downloadDataset('cifar10', { dataDir, sources, onEvent });
    assert.deepEqual(requests.slice(first), [{ url: path, range: `bytes=${kept.length}-` }]);
    const start = events.find((e) => e.type === 'start');
    assert.deepEqual(start, {
      type: 'start',
      file: 'cifar-10-binary.tar.gz',
      url: base + path,
      offset: kept.length,
      total: body.length,
    });
    assert.ok(progress(events).every((e) => e.received > kept.length));
    assert.deepEqual(listing(dataDir), ['cifar-10-batches-bin']);
    const ds = await loadDataset({
      dataset: 'cifar10',
      trainSize: 30,
      testSize: 1,
      augment: false,
      path: dataDir,
    });
    assert.deepEqual(
      [...ds.train.y],
      records.train.map((r) => r.label),
    );
  });

  test('a .part that is already whole is answered 416 and only verified', async () => {
    const { body } = await cifarArchive(1);
    const path = '/whole/cifar-10-binary.tar.gz';
    const sources = cifarSources(path, body);
    const dataDir = tempDir('wdlab-dl-');
    writeFileSync(join(dataDir, 'cifar-10-binary.tar.gz.part'), body);
    const first = requests.length;
    const result = await downloadDataset('cifar10', { dataDir, sources });
    assert.equal(result.downloaded, true);
    assert.deepEqual(requests.slice(first), [{ url: path, range: `bytes=${body.length}-` }]);
    assert.deepEqual(listing(dataDir), ['cifar-10-batches-bin']);
  });

  test('a checksum mismatch is an error and leaves no corrupt file or dataset behind', async () => {
    const { body } = await cifarArchive(1);
    const wrong = '0123456789abcdef0123456789abcdef';
    const sources = cifarSources('/bad/cifar-10-binary.tar.gz', body, wrong);
    const dataDir = tempDir('wdlab-dl-');
    await assert.rejects(
      downloadDataset('cifar10', { dataDir, sources }),
      new RegExp(`checksum mismatch: md5 ${md5(body)}, expected ${wrong}; the download was deleted`),
    );
    assert.deepEqual(listing(dataDir), []);
    await assert.rejects(
      loadDataset({ dataset: 'cifar10', trainSize: 1, testSize: 1, augment: false, path: dataDir }),
      DatasetNotFoundError,
    );
  });

  test('an archive without the expected folder is refused, and nothing is left half-extracted', async () => {
    const src = tempDir('wdlab-dl-src-');
    writeCifar10(src, 1, 1);
    const file = join(src, 'other.tar.gz');
    // The right files under the wrong top folder.
    await tar.c({ gzip: true, file, cwd: join(src, 'cifar-10-batches-bin') }, [
      'data_batch_1.bin',
      'test_batch.bin',
    ]);
    const body = readFileSync(file);
    const sources = cifarSources('/wrongfolder/cifar-10-binary.tar.gz', body);
    const dataDir = tempDir('wdlab-dl-');
    await assert.rejects(
      downloadDataset('cifar10', { dataDir, sources }),
      /cifar-10-binary\.tar\.gz does not hold a complete cifar-10-batches-bin\/ folder/,
    );
    // The verified archive stays for a later try; no dataset folder, no temporary folder.
    assert.deepEqual(listing(dataDir), ['cifar-10-binary.tar.gz']);
  });

  test('MNIST: a failing address falls back to the mirror, redirects are followed, .gz files land in mnist/', async () => {
    const src = tempDir('wdlab-dl-src-');
    const raw = writeIdxDataset(src, 'mnist', 6, 3, true);
    const mnistFiles = DATASET_SOURCES.mnist.files.map((f) => {
      const body = readFileSync(join(raw.folder, f.name));
      files.set(`/mirror/${f.name}`, { body });
      return {
        name: f.name,
        urls: [`${base}/broken/${f.name}`, `${base}/redirect/mirror/${f.name}`],
        md5: md5(body),
      };
    });
    const sources: DatasetSources = { ...DATASET_SOURCES, mnist: { archive: false, files: mnistFiles } };
    const dataDir = tempDir('wdlab-dl-');
    const { events, onEvent } = recorder();
    const result = await downloadDataset('mnist', { dataDir, sources, onEvent });
    assert.equal(result.folder, join(dataDir, 'mnist'));
    const retries = events.filter((e) => e.type === 'retry');
    assert.equal(retries.length, 4);
    assert.deepEqual(retries[0], {
      type: 'retry',
      file: 'train-images-idx3-ubyte.gz',
      url: `${base}/broken/train-images-idx3-ubyte.gz`,
      error: 'HTTP 500 Internal Server Error',
    });
    assert.deepEqual(
      events.filter((e) => e.type === 'start').map((e) => (e as { url: string }).url),
      mnistFiles.map((f) => `${base}/mirror/${f.name}`),
      'the start event names the address after redirects',
    );
    assert.deepEqual(listing(result.folder), mnistFiles.map((f) => f.name).sort());
    const ds = await loadDataset({
      dataset: 'mnist',
      trainSize: 6,
      testSize: 3,
      augment: false,
      path: dataDir,
    });
    assert.deepEqual([...ds.train.y], [...raw.train.labels]);
  });

  test('every address failing is one error listing each address and why', async () => {
    const sources: DatasetSources = {
      ...DATASET_SOURCES,
      'fashion-mnist': {
        archive: false,
        files: [
          {
            name: 'train-images-idx3-ubyte.gz',
            urls: [`${base}/broken/x.gz`, `${base}/missing/x.gz`],
            md5: '0'.repeat(32),
          },
        ],
      },
    };
    const dataDir = tempDir('wdlab-dl-');
    await assert.rejects(downloadDataset('fashion-mnist', { dataDir, sources }), (e: Error) => {
      assert.equal(
        e.message,
        `could not download train-images-idx3-ubyte.gz:\n  ${base}/broken/x.gz: HTTP 500 Internal Server Error\n  ${base}/missing/x.gz: HTTP 404 Not Found`,
      );
      return true;
    });
  });

  test('cancelling keeps the .part; the next run resumes where it stopped', async () => {
    const { body } = await cifarArchive(20);
    const path = '/slow/cifar-10-binary.tar.gz';
    const sources = cifarSources(path, body);
    files.set(path, { body, trickle: 16_384 });
    const dataDir = tempDir('wdlab-dl-');
    const controller = new AbortController();
    const onEvent = (e: DownloadEvent) => {
      if (e.type === 'progress' && e.received >= 50_000) controller.abort();
    };
    await assert.rejects(
      downloadDataset('cifar10', {
        dataDir,
        sources,
        onEvent,
        signal: controller.signal,
        progressIntervalMs: 0,
      }),
      /download of cifar-10-binary\.tar\.gz cancelled; run it again to resume from .*cifar-10-binary\.tar\.gz\.part/,
    );
    const part = join(dataDir, 'cifar-10-binary.tar.gz.part');
    const kept = readFileSync(part).length;
    assert.ok(kept >= 32_768 && kept < body.length, `kept ${kept} of ${body.length}`);
    files.set(path, { body });
    const first = requests.length;
    await downloadDataset('cifar10', { dataDir, sources });
    assert.deepEqual(requests.slice(first), [{ url: path, range: `bytes=${kept}-` }]);
    assert.deepEqual(listing(dataDir), ['cifar-10-batches-bin']);
  });

  test('the official table: the published md5s and addresses', () => {
    assert.deepEqual(DATASET_SOURCES.cifar10.files, [
      {
        name: 'cifar-10-binary.tar.gz',
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
        md5: 'c32a1d4ab5d03f1284b67883e8d87530',
      },
    ]);
    assert.equal(DATASET_SOURCES.cifar100.files[0].md5, '03b5dce01913d631647c71ecec9e9cb8');
    assert.deepEqual(DATASET_SOURCES.mnist.files[0].urls, [
      'http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz',
      'https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz',
    ]);
    for (const name of ['mnist', 'fashion-mnist'] as const) {
      assert.deepEqual(
        DATASET_SOURCES[name].files.map((f) => f.name),
        [
          'train-images-idx3-ubyte.gz',
          'train-labels-idx1-ubyte.gz',
          't10k-images-idx3-ubyte.gz',
          't10k-labels-idx1-ubyte.gz',
        ],
      );
      assert.ok(DATASET_SOURCES[name].files.every((f) => /^[0-9a-f]{32}$/.test(f.md5)));
    }
  });
});
