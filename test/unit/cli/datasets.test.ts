// Real datasets through the real bundles: a spec's relative data.path resolves against the spec file's
// folder in the trainer process, WDLAB_DATA reaches the trainer (how the extension passes
// wdlab.dataDirectory), a missing dataset fails the trial with the download command, and `wdlab download`
// parses its arguments (no network here: only the already-complete case runs it to the end).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { progressPrinter } from '../../../src/cli/download';
import { type RunInfo, runFiles } from '../../../src/runner/runStore';
import { SweepRun } from '../../../src/runner/sweep';
import { loadSpecText } from '../../../src/spec';
import { trainerPath } from '../../helpers/backend';
import { runCli as wdlab } from '../../helpers/cli';
import { tempDir, writeCifar10 } from '../../helpers/datasetFiles';

/** An MLP on CIFAR-10 small enough for a second per trial. */
const cifarSpec = (data: Record<string, unknown>) => ({
  name: 'real-data',
  data: { dataset: 'cifar10', trainSize: 32, testSize: 8, ...data },
  model: { arch: 'mlp', hidden: [16], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
  training: { epochs: 1, batchSize: 16, backend: 'wasm', logEverySteps: 1, testBatchSize: 8 },
  metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 8 },
});

const runInfos = (runsDir: string): RunInfo[] =>
  readdirSync(runsDir)
    .sort()
    .map((d) => JSON.parse(readFileSync(runFiles(join(runsDir, d)).run, 'utf8')));

describe('real datasets from the command line', () => {
  test('a relative data.path is the spec file folder, not the working directory', async () => {
    const cwd = tempDir('wdlab-cli-data-');
    const specDir = join(cwd, 'experiments');
    writeCifar10(join(specDir, 'data'), 7, 8);
    writeFileSync(join(specDir, 'c10.wdlab.json'), JSON.stringify(cifarSpec({ path: './data' })));
    const out = await wdlab(['run', 'experiments/c10.wdlab.json', '--quiet'], cwd);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const [run] = runInfos(join(cwd, '.wdlab', 'runs'));
    assert.equal(run.status, 'completed');
    assert.equal(run.progress?.step, 2);
  });

  test('validate warns about a dataset that is not on disk, with the download command (exit 0)', async () => {
    const cwd = tempDir('wdlab-cli-data-');
    const empty = tempDir('wdlab-cli-empty-');
    // Two trials on CIFAR-10 (one warning), one synthetic (none).
    const spec = {
      ...cifarSpec({}),
      sweep: { 'data.dataset': ['cifar10', 'synthetic-images'], 'training.seed': [1, 2] },
    };
    writeFileSync(join(cwd, 'c10.wdlab.json'), JSON.stringify(spec));
    const missing = await wdlab(['validate', 'c10.wdlab.json'], cwd, { WDLAB_DATA: empty });
    assert.equal(missing.code, 0, missing.stderr);
    assert.match(missing.stdout, /c10\.wdlab\.json: valid — 4 trials/);
    const warnings = missing.stderr.split('\n').filter((l) => l.includes('warning: CIFAR-10 not found'));
    assert.equal(warnings.length, 1, missing.stderr);
    assert.ok(
      warnings[0].startsWith('c10.wdlab.json: warning: CIFAR-10 not found: put data_batch_1.bin'),
      warnings[0],
    );
    assert.ok(warnings[0].includes(join(empty, 'cifar-10-batches-bin')), warnings[0]);
    assert.ok(
      warnings[0].endsWith(`or download them with: npx wdlab download cifar10 --data-dir ${empty}`),
      warnings[0],
    );
    // With the files there (data.path, relative to the spec's folder), no warning.
    writeCifar10(join(cwd, 'data'), 2, 2);
    writeFileSync(
      join(cwd, 'c10.wdlab.json'),
      JSON.stringify({ ...spec, data: { ...spec.data, path: './data' } }),
    );
    const present = await wdlab(['validate', 'c10.wdlab.json'], cwd, { WDLAB_DATA: empty });
    assert.equal(present.code, 0);
    assert.doesNotMatch(present.stderr, /not found/);
  });

  test('a missing dataset fails the trial with what to put where and the download command', async () => {
    const cwd = tempDir('wdlab-cli-data-');
    const empty = tempDir('wdlab-cli-empty-');
    writeFileSync(join(cwd, 'c10.wdlab.json'), JSON.stringify(cifarSpec({})));
    const out = await wdlab(['run', 'c10.wdlab.json', '--quiet'], cwd, { WDLAB_DATA: empty });
    assert.equal(out.code, 1);
    // The summary table shows the first line of the reason.
    assert.ok(
      out.stdout.includes(
        `failed: CIFAR-10 not found: put data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin and test_batch.bin in ${join(empty, 'cifar-10-batches-bin')}/`,
      ),
      out.stdout,
    );
    const [run] = runInfos(join(cwd, '.wdlab', 'runs'));
    assert.equal(run.status, 'failed');
    assert.match(
      run.error?.message ?? '',
      /or download them with: npx wdlab download cifar10 --data-dir \S+\n/,
    );
    assert.match(run.error?.message ?? '', /\$WDLAB_DATA \(the VS Code setting wdlab\.dataDirectory sets it/);
  });

  test("the runner's env option reaches the trainer: WDLAB_DATA locates the data (the extension's setting)", async () => {
    const runsDir = tempDir('wdlab-runs-');
    const dataDir = tempDir('wdlab-env-data-');
    writeCifar10(dataDir, 7, 8);
    const loaded = loadSpecText(JSON.stringify(cifarSpec({})));
    assert.ok(loaded.spec);
    const sweep = new SweepRun({ trainerPath: trainerPath(), env: { WDLAB_DATA: dataDir } });
    const result = await sweep.run(runsDir, loaded.trials, ['']);
    assert.equal(result.results[0]?.status, 'completed', result.results[0]?.reason);
  });

  test('download: usage errors exit 2; an already complete dataset exits 0 and prints its folder', async () => {
    const cwd = tempDir('wdlab-cli-dl-');
    const help = await wdlab(['--help'], cwd);
    assert.match(help.stdout, /wdlab download NAME \[--data-dir DIR\]/);
    const typo = await wdlab(['download', 'cifar-10'], cwd);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /download needs one dataset name: cifar10, cifar100, mnist, fashion-mnist/);
    const none = await wdlab(['download'], cwd);
    assert.equal(none.code, 2);
    const dataDir = join(cwd, 'datasets');
    mkdirSync(dataDir);
    const { folder } = writeCifar10(dataDir, 1, 1);
    const done = await wdlab(['download', 'cifar10', '--data-dir', 'datasets'], cwd);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), folder);
    assert.match(done.stderr, /CIFAR-10 is already complete in /);
    // WDLAB_DATA is the default data directory of the command too.
    const viaEnv = await wdlab(['download', 'cifar10'], cwd, { WDLAB_DATA: dataDir });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaEnv.stdout.trim(), folder);
  });

  test('progress on stderr: a line per 10% in a log, one rewritten line on a terminal', () => {
    const printed = (isTTY: boolean) => {
      let text = '';
      const stream = { isTTY, write: (s: string) => (text += s) } as unknown as NodeJS.WriteStream;
      const print = progressPrinter(stream);
      const file = 'cifar-10-binary.tar.gz';
      const total = 10 * 1024 * 1024;
      print({ type: 'start', file, url: 'https://example.org/c.tar.gz', offset: 2 * 1024 * 1024, total });
      for (let mb = 3; mb <= 10; mb++) print({ type: 'progress', file, received: mb * 1024 * 1024, total });
      print({ type: 'verified', file });
      print({ type: 'extract', file });
      return text;
    };
    const log = printed(false).split('\n');
    assert.equal(
      log[0],
      'cifar-10-binary.tar.gz: https://example.org/c.tar.gz (resuming at 2.0 MiB), 10.0 MiB',
    );
    assert.deepEqual(
      log.slice(1, -3).map((l) => l.replace(/\s+[\d.]+ MiB\/s$/, '')),
      [3, 4, 5, 6, 7, 8, 9, 10].map((mb) => `  ${mb}.0 / 10.0 MiB  ${mb * 10}.0%`),
    );
    assert.deepEqual(log.slice(-3), [
      '  cifar-10-binary.tar.gz: md5 verified',
      '  extracting cifar-10-binary.tar.gz',
      '',
    ]);
    const tty = printed(true);
    assert.equal(tty.match(/\r/g)?.length, 8);
    assert.match(tty, /\r {2}10\.0 \/ 10\.0 MiB {2}100\.0% .*\n {2}cifar-10-binary\.tar\.gz: md5 verified\n/);
  });
});
