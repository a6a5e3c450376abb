// Resolved specs: every default filled in from the schema, per-type fields exactly as in types.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ExperimentSpec, loadSpecFile, loadSpecText, resolvedSpecDiagnostics } from '../../../src/spec';
import { resolveSpec } from '../../../src/spec/defaults';
import { fixturePath } from './fixtures';

describe('defaults', () => {
  test('a minimal spec resolves to the documented defaults', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'minimal'));
    const expected: ExperimentSpec = {
      name: 'minimal',
      description: '',
      data: { dataset: 'synthetic-images', trainSize: 4096, testSize: 1024, augment: false },
      model: {
        arch: 'vgg',
        depth: 11,
        width: 1,
        batchNorm: true,
        batchNormMomentum: 0.99,
        hidden: [256, 256],
      },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false },
      regularization: { type: 'none', coefficient: 0.0005, apply: 'all' },
      schedule: { type: 'constant' },
      training: {
        epochs: 10,
        batchSize: 128,
        testBatchSize: 500,
        seed: 1,
        backend: 'auto',
        threads: 'auto',
        logEverySteps: 10,
        checkpointEveryEpochs: 1,
      },
      metrics: {
        everySteps: 0,
        jacobian: 'exact',
        jacobianProjections: 8,
        jacobianBatch: 128,
        gaussNewton: true,
        trainEvalSize: 1024,
      },
      sweep: {},
    };
    assert.deepEqual(spec, expected);
  });

  test('written values win over defaults (full example)', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'full-example'));
    assert.ok(spec);
    assert.equal(spec.description, 'free text');
    assert.deepEqual(spec.model, {
      arch: 'vgg',
      depth: 11,
      width: 0.125,
      batchNorm: true,
      batchNormMomentum: 0.99,
      hidden: [256, 256],
    });
    assert.deepEqual(spec.schedule, { type: 'step', factor: 0.1, everyEpochs: 30 });
    assert.equal(spec.training.epochs, 3);
    assert.equal(spec.training.testBatchSize, 500);
  });

  test('adam gets its own lr default and only its own fields', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'schedule-cosine'));
    assert.deepEqual(spec?.optimizer, { type: 'adam', lr: 0.001, betas: [0.9, 0.999], eps: 1e-8 });
    assert.deepEqual(spec?.schedule, { type: 'cosine', minLr: 0.00001 });
    const adam = loadSpecFile(fixturePath('good', 'adam-betas')).spec;
    assert.deepEqual(adam?.optimizer, { type: 'adam', lr: 0.0003, betas: [0.9, 0.99], eps: 1e-7 });
    assert.equal(adam?.model.depth, 16);
  });

  test('per-type defaults of every optimizer and schedule', () => {
    const base = { name: 'x', data: { dataset: 'synthetic-images' }, model: { arch: 'resnet' } };
    const kfac = resolveSpec({ ...base, optimizer: { type: 'kfac-g' } });
    // klClip has no default: absent means no clipping (docs/science.md section 6).
    assert.deepEqual(kfac.optimizer, {
      type: 'kfac-g',
      lr: 0.01,
      momentum: 0.9,
      damping: 0.001,
      statDecay: 0.95,
      statsEvery: 10,
      inverseEvery: 100,
      dampingScheme: 'factored',
      inverseMethod: 'auto',
      inverseSchedule: 'synchronous',
      initStatsBatches: 0,
    });
    assert.equal(kfac.model.depth, 20);
    const multi = resolveSpec({
      ...base,
      optimizer: { type: 'sgd' },
      schedule: { type: 'multiStep', milestones: [3] },
    });
    assert.deepEqual(multi.schedule, { type: 'multiStep', milestones: [3], factor: 0.1 });
    const step = loadSpecFile(fixturePath('good', 'schedule-step-steps')).spec;
    assert.deepEqual(step?.schedule, { type: 'step', everySteps: 16000, factor: 0.1 });
  });

  test('an mlp depth is its number of weight layers', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'mlp-vectors'));
    assert.deepEqual(spec?.model, {
      arch: 'mlp',
      hidden: [128, 64],
      batchNorm: false,
      batchNormMomentum: 0.99,
      width: 1,
      depth: 3,
    });
    assert.deepEqual(spec?.optimizer, { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true });
  });

  test('comments and trailing commas parse', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'comments-trailing-commas'));
    assert.equal(spec?.data.trainSize, 512);
    assert.equal(spec?.training.batchSize, 64);
  });

  test('resolving is idempotent', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'full-example'));
    assert.deepEqual(resolveSpec(spec), spec);
  });
});

describe('resolvedSpecDiagnostics', () => {
  test('every good resolved spec and trial spec is valid', () => {
    for (const name of [
      'minimal',
      'full-example',
      'mlp-vectors',
      'resnet',
      'adam-betas',
      'sweep-optimizers',
    ]) {
      const result = loadSpecFile(fixturePath('good', name));
      assert.deepEqual(resolvedSpecDiagnostics(result.spec), [], name);
      for (const trial of result.trials) assert.deepEqual(resolvedSpecDiagnostics(trial.spec), [], name);
    }
  });

  test("a resolved spec reloads from its JSON (a run directory's spec.json)", () => {
    const { trials } = loadSpecFile(fixturePath('good', 'full-example'));
    const again = loadSpecText(JSON.stringify(trials[2].spec, null, 2));
    assert.deepEqual(
      again.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.deepEqual(again.spec, trials[2].spec);
  });

  test('reports schema and semantic errors with their path', () => {
    const { spec } = loadSpecFile(fixturePath('good', 'minimal'));
    const broken = structuredClone(spec) as unknown as Record<string, Record<string, unknown>>;
    broken.optimizer.lr = -1;
    broken.training.backend = 'tpu';
    assert.deepEqual(resolvedSpecDiagnostics(broken), [
      'optimizer.lr must be > 0 (got -1) [optimizer.lr]',
      'training.backend must be one of: auto, tensorflow, webgpu, wasm, cpu (got "tpu"); did you mean "cpu"? [training.backend]',
    ]);
    assert.deepEqual(resolvedSpecDiagnostics('nope'), ['the spec must be an object (got "nope")']);
  });
});
