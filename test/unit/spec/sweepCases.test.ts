// `sweep.cases`: one trial per case, each case setting several paths at once (a grid that is not a
// cartesian product, such as the paper's Table 1), crossed with the other sweep keys; validated per case.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { experimentSchema, loadSpecText, sweepablePaths, trialLabel } from '../../../src/spec';

const base = {
  name: 'cases',
  data: { dataset: 'synthetic-images', trainSize: 512, testSize: 256 },
  model: { arch: 'vgg', depth: 11, width: 0.125 },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 0.0005, apply: 'all' },
};

const withSweep = (sweep: object) => JSON.stringify({ ...base, sweep });

const cases = [
  {
    label: 'sgd-wd',
    optimizer: { type: 'sgd', lr: 0.03, momentum: 0.9 },
    'regularization.coefficient': 0.001,
  },
  {
    label: 'adamw',
    optimizer: { type: 'adam', lr: 0.001 },
    'regularization.type': 'weightDecay',
    'regularization.coefficient': 0.5,
  },
  { 'regularization.type': 'none', 'model.batchNorm': false },
];

describe('sweep.cases', () => {
  test('one trial per case, each applying all its paths together', () => {
    const r = loadSpecText(withSweep({ cases }));
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.trials.length, 3);
    const [a, b, c] = r.trials.map((t) => t.spec);
    assert.deepEqual(
      [a.optimizer.lr, a.regularization.coefficient, a.regularization.type],
      [0.03, 0.001, 'weightDecay'],
    );
    // A case that changes the optimizer type gets that type's own fields and defaults.
    assert.deepEqual(b.optimizer, { type: 'adam', lr: 0.001, betas: [0.9, 0.999], eps: 1e-8 });
    assert.equal(b.regularization.coefficient, 0.5);
    assert.equal(c.regularization.type, 'none');
    assert.equal(c.model.batchNorm, false);
    // What a case does not set is the base's.
    assert.equal(c.optimizer.lr, 0.1);
    assert.equal(c.regularization.coefficient, 0.0005);
    for (const t of r.trials) assert.deepEqual(t.spec.sweep, {});
  });

  test('values list each path a case set; labels replace them in the trial label', () => {
    const r = loadSpecText(withSweep({ cases }));
    assert.deepEqual(r.trials[1].values, {
      optimizer: { type: 'adam', lr: 0.001 },
      'regularization.type': 'weightDecay',
      'regularization.coefficient': 0.5,
    });
    assert.deepEqual(r.trials[1].case, {
      index: 1,
      label: 'adamw',
      paths: ['optimizer', 'regularization.type', 'regularization.coefficient'],
    });
    assert.deepEqual(r.trials.map(trialLabel), [
      'sgd-wd',
      'adamw',
      'regularization.type=none, model.batchNorm=false',
    ]);
    assert.equal(r.trials[2].case?.label, undefined);
  });

  test('crossed with the other sweep keys in key order, last key fastest', () => {
    const r = loadSpecText(withSweep({ cases: cases.slice(0, 2), 'training.seed': [1, 2] }));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.trials.map((t) => [t.case?.label, t.spec.training.seed]),
      [
        ['sgd-wd', 1],
        ['sgd-wd', 2],
        ['adamw', 1],
        ['adamw', 2],
      ],
    );
    assert.equal(trialLabel(r.trials[3]), 'adamw, training.seed=2');
    assert.deepEqual(Object.keys(r.trials[3].values), [
      'optimizer',
      'regularization.type',
      'regularization.coefficient',
      'training.seed',
    ]);
    // A key after `cases` overrides what a case set, as any later sweep key does.
    const later = loadSpecText(withSweep({ cases: cases.slice(0, 1), 'optimizer.lr': [0.5] }));
    assert.equal(later.trials[0].spec.optimizer.lr, 0.5);
  });

  test('trials are independent copies of the case values', () => {
    const r = loadSpecText(withSweep({ cases: [{ 'model.hidden': [8] }, { 'model.hidden': [16] }] }));
    r.trials[0].spec.model.hidden.push(1);
    assert.deepEqual(r.trials[1].spec.model.hidden, [16]);
    assert.deepEqual(r.spec?.sweep.cases, [{ 'model.hidden': [8] }, { 'model.hidden': [16] }]);
  });

  test('cases is not a sweepable path itself', () => {
    assert.ok(!sweepablePaths().includes('cases'));
    assert.ok(sweepablePaths().includes('optimizer'));
  });

  test('a case takes exactly the sweepable paths (each the same $ref as the sweep key) and label', () => {
    // The schema lists the paths twice (the sweep's keys and a case's keys): a field added to one must be
    // added to the other.
    const sweep = experimentSchema.properties!.sweep.properties!;
    const caseProps = sweep.cases.items!.properties!;
    assert.deepEqual(Object.keys(caseProps).sort(), ['label', ...sweepablePaths()].sort());
    for (const path of sweepablePaths()) assert.equal(caseProps[path].$ref, sweep[path].items?.$ref, path);
    assert.equal(sweep.cases.items!.additionalProperties, false);
  });
});

describe('sweep.cases validation', () => {
  const errors = (sweep: object) =>
    loadSpecText(withSweep(sweep)).diagnostics.filter((d) => d.severity === 'error');

  test('a value that fails its field schema is reported at the value', () => {
    const e = errors({ cases: [{ 'optimizer.lr': -1 }] });
    assert.equal(e.length, 1);
    assert.equal(e[0].path, 'sweep.cases[0]["optimizer.lr"]');
    assert.match(e[0].message, /must be > 0/);
  });

  test('an unknown path in a case, with a suggestion; name cannot be swept', () => {
    const [typo] = errors({ cases: [{ 'optimizer.learningRate': 0.1 }] });
    assert.equal(typo.path, 'sweep.cases[0]["optimizer.learningRate"]');
    assert.match(typo.message, /^unknown sweep path "optimizer\.learningRate" in sweep\.cases\[0\]/);
    const [name] = errors({ cases: [{ name: 'x' }] });
    assert.match(name.message, /"name" cannot be swept/);
  });

  test('an empty case and an empty list are errors', () => {
    const [empty] = errors({ cases: [{}] });
    assert.equal(empty.path, 'sweep.cases[0]');
    assert.match(empty.message, /must not be empty/);
    const [none] = errors({ cases: [] });
    assert.match(none.message, /non-empty list/);
  });

  test('semantic errors of a case are checked with all its paths set, and located at the path', () => {
    // Alone, optimizer.type "adam" would clash with the base's momentum; with the whole optimizer it does not.
    assert.deepEqual(
      errors({ cases: [{ optimizer: { type: 'adam', lr: 0.001 }, 'regularization.type': 'l2' }] }),
      [],
    );
    // A problem that no path of the case holds is reported at the case, with where it is.
    const [clash] = errors({ cases: [{ label: 'bad', 'optimizer.type': 'adam' }] });
    assert.equal(clash.path, 'sweep.cases[0]');
    assert.match(
      clash.message,
      /^with this case: momentum is not an Adam parameter.* \(at optimizer\.momentum\)$/,
    );
    const [batch] = errors({ cases: [{ 'data.trainSize': 64 }] });
    assert.equal(batch.path, 'sweep.cases[0]["data.trainSize"]');
    assert.match(batch.message, /larger than data\.trainSize \(64\)/);
    const [vectors] = errors({ cases: [{ 'data.dataset': 'synthetic-vectors' }] });
    assert.equal(vectors.path, 'sweep.cases[0]');
    assert.match(vectors.message, /^with this case: arch "vgg" needs images/);
  });

  test('duplicate cases warn', () => {
    const r = loadSpecText(withSweep({ cases: [{ 'optimizer.lr': 0.1 }, { 'optimizer.lr': 0.1 }] }));
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.path]),
      [['warning', 'sweep.cases[1]']],
    );
  });

  test('a label must be a non-empty string', () => {
    const [label] = errors({ cases: [{ label: '', 'optimizer.lr': 0.1 }] });
    assert.equal(label.path, 'sweep.cases[0].label');
  });
});
