// Sweep expansion: cartesian product in key order (last key fastest), independent deep copies, values
// applied and re-resolved, labels.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ExperimentSpec,
  expandSweep,
  getAtPath,
  loadSpecFile,
  loadSpecText,
  setAtPath,
  trialLabel,
} from '../../../src/spec';
import { fixturePath } from './fixtures';

function load(text: string): ExperimentSpec {
  const result = loadSpecText(text);
  assert.ok(result.spec, JSON.stringify(result.diagnostics));
  return result.spec;
}

describe('expandSweep', () => {
  const full = loadSpecFile(fixturePath('good', 'full-example'));

  test('3 regularization types x 2 seeds = 6 trials, last key fastest', () => {
    assert.equal(full.trials.length, 6);
    assert.deepEqual(
      full.trials.map((t) => [t.spec.regularization.type, t.spec.training.seed]),
      [
        ['none', 1],
        ['none', 2],
        ['l2', 1],
        ['l2', 2],
        ['weightDecay', 1],
        ['weightDecay', 2],
      ],
    );
    assert.deepEqual(
      full.trials.map((t) => [t.index, t.count]),
      [0, 1, 2, 3, 4, 5].map((i) => [i, 6]),
    );
  });

  test('values record the sweep values in key order and each trial has an empty sweep', () => {
    const t = full.trials[3];
    assert.deepEqual(t.values, { 'regularization.type': 'l2', 'training.seed': 2 });
    assert.deepEqual(Object.keys(t.values), ['regularization.type', 'training.seed']);
    for (const trial of full.trials) assert.deepEqual(trial.spec.sweep, {});
    // Everything not swept is the base spec's.
    assert.equal(t.spec.regularization.coefficient, 0.0005);
    assert.equal(t.spec.model.width, 0.125);
  });

  test('trial specs are independent deep copies of the base spec', () => {
    const spec = full.spec!;
    const trials = expandSweep(spec);
    trials[0].spec.model.hidden.push(7);
    trials[0].spec.optimizer.lr = 42;
    assert.deepEqual(trials[1].spec.model.hidden, [256, 256]);
    assert.equal(trials[1].spec.optimizer.lr, 0.1);
    assert.deepEqual(spec.model.hidden, [256, 256]);
    assert.equal(spec.optimizer.lr, 0.1);
    assert.deepEqual(Object.keys(spec.sweep), ['regularization.type', 'training.seed']);
  });

  test('swept object values are copies too', () => {
    const spec = load(
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"},"sweep":{"model.hidden":[[64],[128,128]]}}',
    );
    const trials = expandSweep(spec);
    trials[0].spec.model.hidden.push(1);
    trials[0].values['model.hidden'] = 'changed';
    assert.deepEqual(spec.sweep['model.hidden'], [[64], [128, 128]]);
    assert.deepEqual(expandSweep(spec)[0].spec.model.hidden, [64]);
    assert.equal(trials[1].spec.model.depth, 3, 'an mlp depth follows its hidden layers');
  });

  test('each trial resolves the defaults it did not write for itself (loadSpecText)', () => {
    // A swept dataset gets its own Jacobian estimator (exact up to 10 classes, projection above); a swept
    // optimizer type its own default lr; a swept arch its own default depth.
    const byDataset = loadSpecText(
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"vgg","width":0.125},"optimizer":{"type":"sgd"},"sweep":{"data.dataset":["cifar10","cifar100"],"model.arch":["vgg","resnet"]}}',
    );
    assert.deepEqual(
      byDataset.trials.map((t) => [
        t.spec.data.dataset,
        t.spec.model.arch,
        t.spec.model.depth,
        t.spec.metrics.jacobian,
      ]),
      [
        ['cifar10', 'vgg', 11, 'exact'],
        ['cifar10', 'resnet', 20, 'exact'],
        ['cifar100', 'vgg', 11, 'projection'],
        ['cifar100', 'resnet', 20, 'projection'],
      ],
    );
    const byType = loadSpecFile(fixturePath('good', 'sweep-optimizer-type-own-lr'));
    assert.deepEqual(byType.diagnostics, []);
    assert.deepEqual(
      byType.trials.map((t) => [t.spec.optimizer.type, t.spec.optimizer.lr]),
      [
        ['sgd', 0.1],
        ['adam', 0.001],
      ],
    );
    // What the spec writes is kept in every trial.
    const written = loadSpecText(
      '{"name":"x","data":{"dataset":"cifar10"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd","lr":0.05},"metrics":{"jacobian":"exact"},"sweep":{"optimizer.type":["sgd","adam"],"data.dataset":["cifar10","cifar100"]}}',
    );
    for (const t of written.trials) {
      assert.equal(t.spec.optimizer.lr, 0.05);
      assert.equal(t.spec.metrics.jacobian, 'exact');
    }
  });

  test('no sweep: one trial equal to the spec, with an empty label', () => {
    const result = loadSpecFile(fixturePath('good', 'minimal'));
    assert.equal(result.trials.length, 1);
    const [trial] = result.trials;
    assert.deepEqual(trial, { index: 0, count: 1, values: {}, spec: result.spec });
    assert.notEqual(trial.spec, result.spec);
    assert.equal(trialLabel(trial), '');
  });

  test("a swept optimizer type gets exactly that type's fields and keeps the written lr", () => {
    const spec = load(
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd","lr":0.01},"sweep":{"optimizer.type":["sgd","adam"]}}',
    );
    const [sgd, adam] = expandSweep(spec);
    assert.deepEqual(sgd.spec.optimizer, { type: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false });
    assert.deepEqual(adam.spec.optimizer, { type: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 });
  });

  test('whole optimizer objects resolve to their own defaults', () => {
    const result = loadSpecFile(fixturePath('good', 'sweep-optimizers'));
    assert.equal(result.trials.length, 4);
    assert.deepEqual(result.trials[0].spec.optimizer, {
      type: 'sgd',
      lr: 0.1,
      momentum: 0.9,
      nesterov: false,
    });
    assert.deepEqual(result.trials[3].spec.optimizer, {
      type: 'adam',
      lr: 0.001,
      betas: [0.9, 0.999],
      eps: 1e-8,
    });
    assert.equal(result.trials[3].spec.regularization.coefficient, 0.001);
  });

  test('a swept schedule type drops the fields of the old type', () => {
    // Loading rejects this sweep (everyEpochs is written, and cosine does not take it), but expandSweep
    // also serves resolved specs built in code, and must still give each trial its type's own fields.
    const spec = load(
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"},"schedule":{"type":"step","everyEpochs":2}}',
    );
    spec.sweep = { 'schedule.type': ['step', 'cosine'] };
    const [step, cosine] = expandSweep(spec);
    assert.deepEqual(step.spec.schedule, { type: 'step', everyEpochs: 2, factor: 0.1 });
    assert.deepEqual(cosine.spec.schedule, { type: 'cosine', minLr: 0 });
  });

  test('a written field the swept type does not take is an error at the sweep value', () => {
    const text =
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"},"schedule":{"type":"step","everyEpochs":2},"sweep":{"schedule.type":["step","cosine"]}}';
    const { diagnostics } = loadSpecText(text);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].path, 'sweep["schedule.type"][1]');
    assert.equal(
      diagnostics[0].message,
      'with schedule.type = "cosine": everyEpochs is not a parameter of a "cosine" schedule (it takes minLr) (at schedule.everyEpochs)',
    );
  });

  test('a sweep into a block the spec leaves out creates it', () => {
    const spec = load(
      '{"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"},"sweep":{"training.epochs":[1,2,3]}}',
    );
    assert.deepEqual(
      expandSweep(spec).map((t) => t.spec.training.epochs),
      [1, 2, 3],
    );
  });
});

describe('sweep checks', () => {
  const base =
    '"name":"x","data":{"dataset":"synthetic-images"},"model":{"arch":"mlp"},"optimizer":{"type":"sgd"}';

  test('a swept value that only warns is not reported: a coefficient of 0 is a baseline on purpose', () => {
    const result = loadSpecText(
      `{${base},"regularization":{"type":"weightDecay"},"sweep":{"regularization.coefficient":[0,0.0005]}}`,
    );
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.trials.length, 2);
  });

  test('a sweep of more than 10000 trials is an error at the sweep key', () => {
    const values = JSON.stringify(Array.from({ length: 101 }, (_, i) => i + 1));
    const result = loadSpecText(`{${base},"sweep":{"training.seed":${values},"training.epochs":${values}}}`);
    assert.equal(result.diagnostics.length, 1);
    assert.equal(result.diagnostics[0].path, 'sweep');
    assert.match(result.diagnostics[0].message, /the sweep expands to 10201 trials/);
  });
});

describe('trialLabel', () => {
  test('path=value pairs in key order', () => {
    const { trials } = loadSpecFile(fixturePath('good', 'full-example'));
    assert.equal(trialLabel(trials[0]), 'regularization.type=none, training.seed=1');
    assert.equal(trialLabel(trials[5]), 'regularization.type=weightDecay, training.seed=2');
  });

  test('non-string values are JSON', () => {
    const { trials } = loadSpecFile(fixturePath('good', 'sweep-optimizers'));
    assert.equal(trialLabel(trials[2]), 'optimizer={"type":"adam"}, regularization.coefficient=0.0001');
  });
});

describe('getAtPath / setAtPath', () => {
  test('read and write dotted paths', () => {
    const obj: Record<string, unknown> = { optimizer: { lr: 0.1 } };
    assert.equal(getAtPath(obj, 'optimizer.lr'), 0.1);
    assert.equal(getAtPath(obj, 'optimizer.momentum'), undefined);
    assert.equal(getAtPath(obj, 'training.seed'), undefined);
    setAtPath(obj, 'optimizer.lr', 0.5);
    setAtPath(obj, 'training.seed', 3);
    assert.deepEqual(obj, { optimizer: { lr: 0.5 }, training: { seed: 3 } });
  });

  test('setting through a non-object throws', () => {
    assert.throws(() => setAtPath({ optimizer: 'sgd' }, 'optimizer.lr', 1), /"optimizer" is not an object/);
  });
});
