import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discoverCharts, familyOf, helpFor, metricKeys } from '../../../webview/data/families';

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

  test('charts: one per key, families in the paper order, theory attached as an overlay', () => {
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
    // Norms before effective LRs before angular updates; layers in order of appearance.
    assert.deepEqual(ids(2), [
      'weightNorm/conv1',
      'weightNorm/conv2',
      'effectiveLr/conv1',
      'angularUpdate/conv1',
      'theory/angularUpdate/orphan',
    ]);
    assert.deepEqual(ids(3), ['jacobianNorm', 'gnNorm']);
    assert.deepEqual(ids(5), ['custom']);
    const angular = families[2].charts.find((c) => c.id === 'angularUpdate/conv1');
    assert.deepEqual(angular?.overlays, ['theory/angularUpdate/conv1']);
    assert.ok(families[2].charts.every((c) => c.logYByDefault));
    assert.ok(!families[0].charts.some((c) => c.logYByDefault));
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
