// The quick pick of "New Experiment from Paper…": Table 1 first, then the 64 configurations grouped by
// dataset and network, each showing its hyperparameters so the filter finds them.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterPaperPicks, filterWords, paperPicks, SCALE_PICKS } from '../../../src/extension/paperPicks';
import { PAPER_PRESETS, presetDocument } from '../../../src/spec/presets';

test('Table 1 first, then every configuration once, grouped by dataset and network', () => {
  const picks = paperPicks();
  assert.equal(picks[0].preset, 'table1');
  const items = picks.filter((p) => !p.separator);
  assert.deepEqual(
    items.slice(1).map((p) => p.preset),
    PAPER_PRESETS.map((p) => p.name),
  );
  assert.deepEqual(
    picks.filter((p) => p.separator).map((p) => p.label),
    [
      'CIFAR-10 · ResNet32 (4x wide)',
      'CIFAR-10 · VGG16',
      'CIFAR-100 · ResNet32 (4x wide)',
      'CIFAR-100 · VGG16',
    ],
  );
  // Every item makes a document.
  for (const p of items) assert.ok(presetDocument(p.preset!).text.length > 0, p.label);
});

test('items show setting, optimizer, variant, lr, weight decay and damping', () => {
  const pick = paperPicks().find((p) => p.preset === 'cifar10-vgg16-none-kfac-g-wd')!;
  assert.equal(pick.description, 'CIFAR-10, VGG16, none, K-FAC-G, WD');
  assert.match(
    pick.detail!,
    /^lr 0\.03, weight decay 0\.03 \(decoupled\), damping 0\.01, KL clip 0\.001, 100 epochs/,
  );
  assert.match(
    pick.detail!,
    /configs\/cifar10\/vgg16\/kfac\/mb128_lr3e2_damp1e2_cov95_wd3e2_all_kl1e3\.json$/,
  );
  const sgd = paperPicks().find((p) => p.preset === 'cifar10-resnet32-bn-sgd-wd')!;
  assert.match(sgd.detail!, /^lr 0\.03, L2 0\.003, 200 epochs/);
});

test('the filter keeps the items that have every word, in any order and case, under their headings', () => {
  const picks = paperPicks();
  assert.deepEqual(filterWords('  VGG16  bn\tsgd wd '), ['vgg16', 'bn', 'sgd', 'wd']);
  const kept = (query: string) => filterPaperPicks(picks, query);
  const names = (query: string) =>
    kept(query)
      .filter((p) => !p.separator)
      .map((p) => p.preset);
  // Four words that VS Code's quick pick would look for as one piece of text: BN and BN+Aug, both datasets
  // (the paper has CIFAR-100 VGG16 with SGD in BN+Aug only).
  assert.deepEqual(names('vgg16 bn sgd wd'), [
    'cifar10-vgg16-bn-sgd-wd',
    'cifar10-vgg16-bn-aug-sgd-wd',
    'cifar100-vgg16-bn-aug-sgd-wd',
  ]);
  assert.deepEqual(names('WD SGD bn VGG16 cifar100 aug'), ['cifar100-vgg16-bn-aug-sgd-wd']);
  // Words from the detail too: the hyperparameters and the paper's config file.
  assert.deepEqual(names('resnet32 damping 0.001 kl cifar10 kfac-g baseline none'), [
    'cifar10-resnet32-none-kfac-g-baseline',
  ]);
  // Each kept item under its group's heading, the heading once.
  assert.deepEqual(
    kept('vgg16 bn sgd wd').map((p) => (p.separator ? `# ${p.label}` : p.preset)),
    [
      '# CIFAR-10 · VGG16',
      'cifar10-vgg16-bn-sgd-wd',
      'cifar10-vgg16-bn-aug-sgd-wd',
      '# CIFAR-100 · VGG16',
      'cifar100-vgg16-bn-aug-sgd-wd',
    ],
  );
  assert.deepEqual(names('table 1 grid'), ['table1']);
  assert.deepEqual(kept('vgg16 transformer'), []);
  assert.deepEqual(kept('   '), picks);
});

test('two scales: the paper, and scaled for a CPU', () => {
  assert.deepEqual(
    SCALE_PICKS.map((s) => s.options),
    [{}, { cpu: true }],
  );
});
