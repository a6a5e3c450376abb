import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chartMatches,
  discoverCharts,
  familyOf,
  filterCharts,
  helpFor,
  metricKeys,
} from '../../../webview/data/families';

describe('metric families', () => {
  test('keys go to the family of their mechanism; unknown keys to Other', () => {
    assert.equal(familyOf('train/loss'), 'accuracyLoss');
    assert.equal(familyOf('test/accuracy'), 'accuracyLoss');
    assert.equal(familyOf('lr'), 'lr');
    assert.equal(familyOf('weightNorm/conv1'), 'mechanism1');
    assert.equal(familyOf('effectiveLr/block2.conv'), 'mechanism1');
    assert.equal(familyOf('effectiveLrAdam/fc1'), 'mechanism1');
    assert.equal(familyOf('effectiveDamping/fc1'), 'mechanism3');
    assert.equal(familyOf('kfac/klClip'), 'mechanism3');
    assert.equal(familyOf('angularUpdate/fc'), 'mechanism1');
    assert.equal(familyOf('theory/angularUpdate/fc'), 'mechanism1');
    assert.equal(familyOf('jacobianNorm'), 'mechanism2');
    assert.equal(familyOf('kfacGnNorm'), 'mechanism2');
    assert.equal(familyOf('generalizationGap'), 'mechanism2');
    assert.equal(familyOf('effectiveDamping/conv1'), 'mechanism3');
    assert.equal(familyOf('curvatureScale/conv1'), 'mechanism3');
    assert.equal(familyOf('time/train'), 'other');
    assert.equal(familyOf('somethingNew'), 'other');
    assert.equal(familyOf('lrx'), 'other');
  });

  test('metric keys come from the records, in order of first appearance, without step/epoch/time', () => {
    const keys = metricKeys([
      [
        { step: 0, epoch: 0, time: 0, 'test/loss': 2 },
        { step: 1, epoch: 0.1, time: 1, 'train/loss': 2, lr: 0.1 },
      ],
      [{ step: 0, epoch: 0, time: 0, 'weightNorm/fc': 3, 'test/loss': 1 }],
    ]);
    assert.deepEqual(keys, ['test/loss', 'train/loss', 'lr', 'weightNorm/fc']);
  });

  test('charts: one per key, one per per-layer metric, families in the paper order, theory as overlays', () => {
    const families = discoverCharts([
      'custom',
      'test/accuracy',
      'effectiveLr/conv1',
      'weightNorm/conv1',
      'theory/angularUpdate/conv1',
      'angularUpdate/conv1',
      'weightNorm/conv2',
      'train/loss',
      'lr',
      'gnNorm',
      'jacobianNorm',
      'effectiveDamping/conv1',
      'theory/angularUpdate/orphan',
    ]);
    assert.deepEqual(
      families.map((f) => f.family.title),
      [
        'Accuracy & loss',
        'Learning rate',
        'Mechanism 1 · effective learning rate',
        'Mechanism 2 · Jacobian norm',
        'Mechanism 3 · effective damping',
        'Other',
      ],
    );
    const ids = (i: number) => families[i].charts.map((c) => c.id);
    assert.deepEqual(ids(0), ['train/loss', 'test/accuracy']);
    // Norms before effective LRs before angular updates, each one chart for all its layers; a theory
    // key whose measured key is missing keeps a chart of its own.
    assert.deepEqual(ids(2), ['weightNorm', 'effectiveLr', 'angularUpdate', 'theory/angularUpdate/orphan']);
    const chart = (id: string) => families.flatMap((f) => f.charts).find((c) => c.id === id);
    assert.deepEqual(chart('weightNorm')?.layers, ['conv1', 'conv2'], 'layers in order of appearance');
    assert.equal(chart('weightNorm')?.title, 'weightNorm · per layer');
    assert.match(chart('weightNorm')?.help ?? '', /‖W‖_F/);
    assert.equal(chart('train/loss')?.layers, undefined);
    assert.deepEqual(ids(3), ['jacobianNorm', 'gnNorm']);
    assert.deepEqual(ids(4), ['effectiveDamping']);
    assert.deepEqual(ids(5), ['custom']);
    assert.deepEqual(chart('angularUpdate')?.overlays, ['theory/angularUpdate/conv1']);
    assert.ok(families[2].charts.every((c) => c.logYByDefault));
    assert.ok(!families[0].charts.some((c) => c.logYByDefault));
    // Accuracies are fractions drawn in percent; losses are not.
    assert.equal(chart('test/accuracy')?.percent, true);
    assert.equal(chart('train/loss')?.percent, undefined);
  });

  test('a VGG16-sized run: 16 layers × 4 per-layer metrics make 4 Mechanism 1 charts, not 64', () => {
    const layers = Array.from({ length: 16 }, (_, i) => (i < 13 ? `conv${i + 1}` : `fc${i - 12}`));
    const keys = [
      'train/loss',
      ...['weightNorm', 'effectiveLr', 'angularUpdate', 'theory/angularUpdate'].flatMap((stem) =>
        layers.map((l) => `${stem}/${l}`),
      ),
    ];
    const m1 = discoverCharts(keys).find((f) => f.family.id === 'mechanism1');
    assert.deepEqual(
      m1?.charts.map((c) => [c.id, c.layers?.length, c.overlays.length]),
      [
        ['weightNorm', 16, 0],
        ['effectiveLr', 16, 0],
        ['angularUpdate', 16, 16],
      ],
    );
  });

  test('the filter box: terms match chart keys, titles and layer keys, case-insensitively', () => {
    const families = discoverCharts([
      'train/loss',
      'test/accuracy',
      'weightNorm/conv1',
      'weightNorm/conv3',
      'effectiveDamping/fc1',
      'curvatureScale/fc1',
      'kfac/klClip',
    ]);
    const shown = (q: string) => filterCharts(families, q).flatMap((f) => f.charts.map((c) => c.id));
    assert.deepEqual(shown(''), [
      'train/loss',
      'test/accuracy',
      'weightNorm',
      'effectiveDamping',
      'curvatureScale',
      'kfac/klClip',
    ]);
    assert.deepEqual(shown('  '), shown(''));
    assert.deepEqual(shown('damping'), ['effectiveDamping']);
    assert.deepEqual(shown('DAMPING'), ['effectiveDamping']);
    assert.deepEqual(shown('accuracy'), ['test/accuracy']);
    assert.deepEqual(shown('kfac'), ['kfac/klClip']);
    // A layer key finds its metric's chart; several terms must all match.
    assert.deepEqual(shown('weightNorm/conv3'), ['weightNorm']);
    assert.deepEqual(shown('conv3'), ['weightNorm']);
    assert.deepEqual(shown('fc1'), ['effectiveDamping', 'curvatureScale']);
    assert.deepEqual(shown('fc1 curvature'), ['curvatureScale']);
    assert.deepEqual(shown('nothing-like-this'), []);
    // Families left without charts are dropped.
    assert.deepEqual(
      filterCharts(families, 'damping').map((f) => f.family.id),
      ['mechanism3'],
    );
    assert.equal(chartMatches(families[0].charts[0], 'LOSS'), true);
  });

  test('empty families are left out', () => {
    assert.deepEqual(
      discoverCharts(['train/loss']).map((f) => f.family.id),
      ['accuracyLoss'],
    );
    assert.deepEqual(discoverCharts([]), []);
  });

  test('every chart has a one-line explanation; Mechanism 1 says η/‖W‖²', () => {
    assert.match(helpFor('effectiveLr/conv1'), /η\/‖W‖²/);
    assert.match(helpFor('theory/angularUpdate/conv1'), /^Theory prediction/);
    assert.match(helpFor('mystery'), /mystery/);
    for (const k of ['train/loss', 'lr', 'weightNorm/a', 'jacobianNorm', 'gnNorm', 'effectiveDamping/a']) {
      assert.ok(!helpFor(k).includes('\n') && helpFor(k).length > 20, k);
    }
  });
});
