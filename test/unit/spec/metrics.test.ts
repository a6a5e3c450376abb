// The `metrics` block: defaults, and the semantic checks the schema cannot express.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSpecText } from '../../../src/spec';
import { resolveSpec } from '../../../src/spec/defaults';

const base = { name: 'm', model: { arch: 'vgg' }, optimizer: { type: 'sgd' } };

const load = (over: object) =>
  loadSpecText(
    JSON.stringify({
      name: 'm',
      data: { dataset: 'synthetic-vectors' },
      model: { arch: 'mlp', batchNorm: false },
      optimizer: { type: 'sgd' },
      ...over,
    }),
  );

describe('metrics spec', () => {
  test('an absent block resolves to the documented defaults', () => {
    assert.deepEqual(load({}).spec?.metrics, {
      everySteps: 0,
      jacobian: 'exact',
      jacobianProjections: 8,
      jacobianBatch: 128,
      gaussNewton: true,
      trainEvalSize: 1024,
    });
  });

  test('the default trainEvalSize and jacobianBatch do not warn on small datasets', () => {
    const r = load({ data: { dataset: 'synthetic-vectors', trainSize: 200, testSize: 64 } });
    assert.deepEqual(r.diagnostics, []);
  });

  test('unknown keys and out-of-range values are errors', () => {
    const typo = load({ metrics: { jacobain: 'exact' } });
    assert.match(typo.diagnostics[0].message, /unknown key "jacobain" in metrics; did you mean "jacobian"\?/);
    const neg = load({ metrics: { everySteps: -1 } });
    assert.match(neg.diagnostics[0].message, /metrics\.everySteps must be >= 0/);
    const mode = load({ metrics: { jacobian: 'fisher' } });
    assert.match(mode.diagnostics[0].message, /must be one of: exact, projection, off/);
  });

  test('exact Jacobian norm on a 100-class dataset warns (100 backward passes)', () => {
    const r = load({
      data: { dataset: 'cifar100' },
      model: { arch: 'vgg' },
      metrics: { jacobian: 'exact' },
    });
    const w = r.diagnostics.filter((d) => d.severity === 'warning');
    assert.equal(w.length, 1);
    assert.equal(w[0].path, 'metrics.jacobian');
    assert.match(w[0].message, /one backward pass per class \(100 for "cifar100"\)/);
    const projection = load({ data: { dataset: 'cifar100' }, model: { arch: 'vgg' }, metrics: {} });
    assert.equal(projection.diagnostics.filter((d) => d.severity === 'warning').length, 0);
  });

  test('the default estimator is exact up to 10 classes and projection above', () => {
    assert.equal(resolveSpec({ ...base, data: { dataset: 'synthetic-images' } }).metrics.jacobian, 'exact');
    assert.equal(resolveSpec({ ...base, data: { dataset: 'cifar100' } }).metrics.jacobian, 'projection');
    const written = resolveSpec({ ...base, data: { dataset: 'cifar100' }, metrics: { jacobian: 'off' } });
    assert.equal(written.metrics.jacobian, 'off');
    // Idempotent: a resolved spec resolves to itself (trials are resolved again after sweep values).
    assert.deepEqual(resolveSpec(written), written);
  });

  test('metrics fields can be swept', () => {
    const r = load({ sweep: { 'metrics.jacobian': ['exact', 'projection', 'off'] } });
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.trials.map((t) => t.spec.metrics.jacobian),
      ['exact', 'projection', 'off'],
    );
  });
});
