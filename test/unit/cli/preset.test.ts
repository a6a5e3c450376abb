// `wdlab preset list|new` end to end through the real CLI bundle (bin/wdlab.js): the table and its
// filters, JSON output, writing a spec that validates, --cpu, and never overwriting a file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSpecText } from '../../../src/spec';
import { PAPER_PRESETS } from '../../../src/spec/presets';
import { runCli as wdlab } from '../../helpers/cli';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wdlab-preset-'));
  dirs.push(dir);
  return dir;
}

/** The name column of `preset list`: the rows between the dashed rule and the blank line. */
const listedNames = (stdout: string): string[] => {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('---')) + 1;
  return lines.slice(start, lines.indexOf('', start)).map((l) => l.split(/\s+/)[0]);
};

describe('wdlab preset list', () => {
  test('--dataset cifar100: the 16 CIFAR-100 configurations, with their hyperparameters', async () => {
    const out = await wdlab(['preset', 'list', '--dataset', 'cifar100'], tempDir());
    assert.equal(out.code, 0, out.stderr);
    const expected = PAPER_PRESETS.filter((p) => p.config.dataset === 'cifar100').map((p) => p.name);
    assert.equal(expected.length, 16);
    assert.deepEqual(listedNames(out.stdout), expected);
    assert.match(out.stdout, /^name\s+dataset\s+net\s+setting\s+optimizer\s+variant\s+lr\s+wd\s+damping/);
    assert.match(
      out.stdout,
      /cifar100-vgg16-bn-aug-kfac-g-wd\s+cifar100\s+vgg16\s+BN\+Aug\s+K-FAC-G\s+WD\s+0\.1\s+0\.01 \(wd\)\s+0\.001/,
    );
    assert.match(out.stdout, /16 of 64 configurations/);
  });

  test('filters combine; --json gives the rows', async () => {
    const out = await wdlab(
      [
        'preset',
        'list',
        '--net',
        'resnet32',
        '--setting',
        'none',
        '--optimizer',
        'K-FAC-G',
        '--variant',
        'WD',
        '--json',
      ],
      tempDir(),
    );
    assert.equal(out.code, 0, out.stderr);
    const rows = JSON.parse(out.stdout);
    assert.deepEqual(rows, [
      {
        name: 'cifar10-resnet32-none-kfac-g-wd',
        row: 8,
        dataset: 'cifar10',
        net: 'resnet32',
        setting: 'none',
        optimizer: 'K-FAC-G',
        variant: 'WD',
        lr: 0.03,
        weightDecay: 0.03,
        epochs: 100,
        lrDecayEveryIters: 16000,
        sourceConfig: 'configs/cifar10/resnet32/kfac/mb128_lr3e2_damp1e3_cov95_wd3e2_all_kl1e4.json',
        decayType: 'wd',
        damping: 0.001,
        klClip: 0.0001,
      },
    ]);
  });

  test('no filter lists all 64; a bad filter value is exit 2 with the allowed values', async () => {
    const all = await wdlab(['preset', 'list'], tempDir());
    assert.equal(all.code, 0);
    assert.equal(listedNames(all.stdout).length, 64);
    const bad = await wdlab(['preset', 'list', '--setting', 'bn-augment'], tempDir());
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--setting "bn-augment" is not one of none, BN, BN\+Aug/);
  });
});

describe('wdlab preset new', () => {
  test('-o FILE writes the spec with a comment naming its source config; it validates', async () => {
    const dir = tempDir();
    const file = join(dir, 'mine.wdlab.json');
    const out = await wdlab(['preset', 'new', 'cifar10-vgg16-bn-aug-kfac-g-wd', '-o', file], dir);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /mine\.wdlab\.json: preset cifar10-vgg16-bn-aug-kfac-g-wd — 1 trial/);
    const text = readFileSync(file, 'utf8');
    assert.match(
      text.split('\n')[0],
      /^\/\/ Source config: configs\/cifar10\/vgg16\/kfac\/mb128_lr3e2_damp1e3_cov95_wd1e2_all_bn_aug\.json/,
    );
    const r = loadSpecText(text);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(r.spec?.name, 'cifar10-vgg16-bn-aug-kfac-g-wd');
    assert.deepEqual(r.spec?.optimizer, {
      type: 'kfac-g',
      lr: 0.03,
      momentum: 0.9,
      damping: 0.001,
      statDecay: 0.95,
      statsEvery: 10,
      inverseEvery: 100,
      dampingScheme: 'factored',
      inverseMethod: 'auto',
      inverseSchedule: 'synchronous',
      initStatsBatches: 391,
    });
    assert.deepEqual(r.spec?.regularization, { type: 'weightDecay', coefficient: 0.01, apply: 'all' });
    // The K-FAC factor-size warning of a paper-scale VGG16 is printed, not fatal.
    assert.match(out.stderr, /warning: K-FAC will eigendecompose a 4609 x 4609 factor/);
  });

  test('without -o: NAME.wdlab.json in the working directory, never overwritten (exit 2)', async () => {
    const dir = tempDir();
    const name = 'cifar100-resnet32-bn-aug-adam-wd';
    const first = await wdlab(['preset', 'new', name, '--cpu'], dir);
    assert.equal(first.code, 0, first.stderr);
    const file = join(dir, `${name}-cpu.wdlab.json`);
    assert.ok(existsSync(file));
    const text = readFileSync(file, 'utf8');
    const spec = loadSpecText(text).spec;
    assert.equal(spec?.data.trainSize, 2048);
    assert.equal(spec?.model.width, 0.25);
    assert.equal(spec?.training.epochs, 2);
    assert.match(spec?.description ?? '', /Scaled for a CPU/);
    assert.equal(first.stderr, '');

    writeFileSync(file, 'mine');
    const again = await wdlab(['preset', 'new', name, '--cpu'], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; not overwriting it/);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
    const explicit = await wdlab(['preset', 'new', name, '--cpu', '-o', file], dir);
    assert.equal(explicit.code, 2);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
  });

  test('table1: the grid as one sweep of 64 trials; -o - prints it', async () => {
    const out = await wdlab(['preset', 'new', 'table1', '--cpu', '-o', '-'], tempDir());
    assert.equal(out.code, 0, out.stderr);
    const r = loadSpecText(out.stdout);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.spec?.name, 'paper-table1-cpu');
    assert.equal(r.trials.length, 64);
  });

  test('an unknown preset or subcommand is exit 2 with a hint', async () => {
    const typo = await wdlab(['preset', 'new', 'cifar10-vgg16-bn-sgd-wdd'], tempDir());
    assert.equal(typo.code, 2);
    assert.match(
      typo.stderr,
      /unknown preset "cifar10-vgg16-bn-sgd-wdd"; did you mean "cifar10-vgg16-bn-sgd-wd"\?/,
    );
    const none = await wdlab(['preset', 'new'], tempDir());
    assert.equal(none.code, 2);
    const sub = await wdlab(['preset', 'make'], tempDir());
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown preset subcommand "make"/);
  });

  test('--help lists the preset command', async () => {
    const out = await wdlab(['--help'], tempDir());
    assert.match(out.stdout, /wdlab preset list \[--dataset D\]/);
    assert.match(out.stdout, /wdlab preset new NAME \[--cpu\] \[-o FILE\]/);
  });
});
