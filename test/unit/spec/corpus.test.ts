// The spec corpus: good specs load clean, each bad spec reports its one problem at the right place,
// each warning spec loads with its one warning. Lines and columns were counted by hand from the fixtures.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic, loadSpecFile, loadSpecText, type SpecDiagnostic } from '../../../src/spec';
import { fixtureNames, fixturePath } from './fixtures';

interface Expectation {
  path: string;
  line: number;
  column: number;
  message: string;
}

const BAD: Record<string, Expectation> = {
  'syntax-missing-comma': { path: '', line: 3, column: 3, message: 'CommaExpected' },
  'unknown-key-typo': {
    path: 'optimizer.momentun',
    line: 5,
    column: 33,
    message: 'unknown key "momentun" in optimizer; did you mean "momentum"?',
  },
  'newton-schulz-with-eigen': {
    path: 'optimizer.inverseMethod',
    line: 5,
    column: 79,
    message:
      'newtonSchulz inverts the damped factors, which only the factored scheme uses; dampingScheme "eigen" needs the eigenbasis (inverseMethod "eigendecomposition" or "auto")',
  },
  'wrong-type': {
    path: 'training.epochs',
    line: 6,
    column: 27,
    message: 'training.epochs must be an integer (got "10")',
  },
  'lr-out-of-range': {
    path: 'optimizer.lr',
    line: 5,
    column: 39,
    message: 'optimizer.lr must be > 0 (got -0.1)',
  },
  'dataset-enum-typo': {
    path: 'data.dataset',
    line: 3,
    column: 24,
    message:
      'data.dataset must be one of: synthetic-images, synthetic-vectors, cifar10, cifar100, mnist, fashion-mnist (got "cifar-10"); did you mean "cifar10"?',
  },
  'cifar10-train-size-too-large': {
    path: 'data.trainSize',
    line: 3,
    column: 48,
    message: 'data.trainSize (60000) is more than the 50000 training examples of cifar10',
  },
  'momentum-with-adam': {
    path: 'optimizer.momentum',
    line: 5,
    column: 34,
    message: "momentum is not an Adam parameter; Adam's first-moment decay is betas[0]",
  },
  'betas-with-sgd': {
    path: 'optimizer.betas',
    line: 5,
    column: 33,
    message: 'betas is not an SGD parameter',
  },
  'vgg-depth-12': {
    path: 'model.depth',
    line: 4,
    column: 38,
    message: 'vgg depth must be one of 11, 13, 16, 19 (got 12)',
  },
  'vectors-with-vgg': {
    path: 'model.arch',
    line: 4,
    column: 22,
    message: 'arch "vgg" needs images, but dataset "synthetic-vectors" has feature vectors; use arch "mlp"',
  },
  'batch-larger-than-train': {
    path: 'training.batchSize',
    line: 6,
    column: 30,
    message: 'training.batchSize (128) is larger than data.trainSize (100)',
  },
  'step-both-every': {
    path: 'schedule.everySteps',
    line: 6,
    column: 52,
    message: 'exactly one of everyEpochs / everySteps, not both',
  },
  'sweep-unknown-path': {
    path: 'sweep["regularisation.type"]',
    line: 6,
    column: 14,
    message: 'unknown sweep path "regularisation.type"; did you mean "regularization.type"?',
  },
  'sweep-value-exceeds-dataset': {
    path: 'sweep["data.trainSize"][1]',
    line: 6,
    column: 39,
    message: 'data.trainSize (60000) is more than the 50000 training examples of cifar10',
  },
  'sweep-empty-list': {
    path: 'sweep["training.seed"]',
    line: 6,
    column: 31,
    message: 'sweep["training.seed"] must be a non-empty list',
  },
  'bad-name': { path: 'name', line: 2, column: 11, message: 'name must start with a letter or digit' },
  'missing-required': {
    path: '',
    line: 1,
    column: 1,
    message: 'the spec is missing the required key "optimizer"',
  },
  'augment-on-vectors': {
    path: 'data.augment',
    line: 3,
    column: 56,
    message: 'augment crops and flips images, but dataset "synthetic-vectors" has feature vectors',
  },
  'step-neither-every': {
    path: 'schedule',
    line: 6,
    column: 3,
    message: 'a "step" schedule needs everyEpochs or everySteps',
  },
  'milestones-not-increasing': {
    path: 'schedule.milestones[2]',
    line: 6,
    column: 59,
    message: 'schedule.milestones must be strictly increasing (4 comes after 5)',
  },
  'nesterov-without-momentum': {
    path: 'optimizer.nesterov',
    line: 5,
    column: 60,
    message: 'nesterov needs momentum > 0',
  },
  'sweep-name': { path: 'sweep.name', line: 6, column: 14, message: '"name" cannot be swept' },
  'duplicate-key': { path: 'optimizer.lr', line: 5, column: 44, message: 'duplicate key "lr" in optimizer' },
  'sweep-value-out-of-range': {
    path: 'sweep["optimizer.lr"][1]',
    line: 6,
    column: 36,
    message: 'sweep["optimizer.lr"][1] must be > 0 (got 0)',
  },
  'sweep-value-breaks-other-field': {
    path: 'sweep["optimizer.type"][1]',
    line: 6,
    column: 40,
    message: 'with optimizer.type = "adam": momentum is not an Adam parameter',
  },
  'multistep-missing-milestones': {
    path: 'schedule',
    line: 6,
    column: 15,
    message: 'schedule is missing the required key "milestones"',
  },
  'resnet-depth-18': {
    path: 'model.depth',
    line: 4,
    column: 41,
    message: 'resnet depth must be one of 20, 32, 44, 56 (got 18)',
  },
  'cosine-with-factor': {
    path: 'schedule.factor',
    line: 6,
    column: 35,
    message: 'factor is not a parameter of a "cosine" schedule (it takes minLr)',
  },
  'root-not-object': { path: '', line: 1, column: 1, message: 'the spec must be an object (got a list)' },
  'optimizer-case-typo': { path: 'optimizer.type', line: 5, column: 26, message: 'did you mean "sgd"?' },
  'momentum-out-of-range': {
    path: 'optimizer.momentum',
    line: 5,
    column: 45,
    message: 'optimizer.momentum must be < 1 (got 1)',
  },
  'hidden-item-zero': {
    path: 'model.hidden[1]',
    line: 4,
    column: 45,
    message: 'model.hidden[1] must be >= 1 (got 0)',
  },
  'unknown-top-level-key': {
    path: 'trainig',
    line: 6,
    column: 3,
    message: 'unknown key "trainig" in the spec; did you mean "training"?',
  },
};

const WARN: Record<string, Expectation> = {
  'kfac-large-factor': {
    path: 'optimizer.type',
    line: 5,
    column: 26,
    message:
      'K-FAC will eigendecompose a 3073 x 3073 factor on the CPU (float64) every 100 steps, about 116 s each (unless it runs on a GPU: auto then inverts on the device by Newton-Schulz); use a narrower model, a larger inverseEvery, or inverseMethod "newtonSchulz"',
  },
  'apply-conv-on-mlp': {
    path: 'regularization.apply',
    line: 6,
    column: 55,
    message: '"apply": "conv" decays every layer but the last, which for an mlp means its hidden layers',
  },
  'coefficient-with-type-none': {
    path: 'regularization.coefficient',
    line: 6,
    column: 54,
    message: 'coefficient is ignored when type is "none"',
  },
  'duplicate-sweep-values': {
    path: 'sweep["training.seed"][2]',
    line: 6,
    column: 38,
    message: 'duplicate sweep value 1 (same as sweep["training.seed"][0])',
  },
  'milestone-beyond-epochs': {
    path: 'schedule.milestones[1]',
    line: 6,
    column: 56,
    message: 'milestone 5 is not before the end of training (training.epochs is 5)',
  },
  'depth-on-mlp': { path: 'model.depth', line: 4, column: 29, message: 'depth is ignored for an mlp' },
  'hidden-on-vgg': { path: 'model.hidden', line: 4, column: 29, message: 'hidden is ignored for vgg' },
  'zero-coefficient': {
    path: 'regularization.coefficient',
    line: 6,
    column: 52,
    message: 'coefficient is 0, so "l2" has no effect',
  },
  'jacobian-projections-unused': {
    path: 'metrics.jacobianProjections',
    line: 6,
    column: 60,
    message: 'jacobianProjections is ignored when metrics.jacobian is "exact"',
  },
  'jacobian-batch-larger-than-test': {
    path: 'metrics.jacobianBatch',
    line: 6,
    column: 33,
    message: 'metrics.jacobianBatch (512) is larger than data.testSize (256); 256 examples will be used',
  },
};

function show(diagnostics: SpecDiagnostic[]): string {
  return diagnostics.map((d) => formatDiagnostic('spec', d)).join('\n');
}

function assertOne(d: SpecDiagnostic, expected: Expectation, severity: 'error' | 'warning'): void {
  assert.equal(d.severity, severity);
  assert.equal(d.path, expected.path);
  assert.equal(`${d.line}:${d.column}`, `${expected.line}:${expected.column}`, show([d]));
  assert.ok(d.message.includes(expected.message), `message ${JSON.stringify(d.message)}`);
  assert.ok(d.length > 0, 'a diagnostic needs a range an editor can underline');
}

describe('good specs load with no errors', () => {
  const names = fixtureNames('good');
  test('the corpus has the required cases', () => {
    for (const name of [
      'minimal',
      'full-example',
      'mlp-vectors',
      'resnet',
      'adam-betas',
      'schedule-constant',
      'schedule-step-steps',
      'schedule-multistep',
      'schedule-cosine',
      'comments-trailing-commas',
      'sweep-optimizers',
      'kfac',
    ]) {
      assert.ok(names.includes(name), name);
    }
  });
  for (const name of names) {
    test(name, () => {
      const result = loadSpecFile(fixturePath('good', name));
      assert.deepEqual(show(result.diagnostics), '');
      assert.ok(result.spec);
      assert.ok(result.trials.length >= 1);
    });
  }
});

describe('bad specs report their one problem where it is', () => {
  test('every bad fixture has an expectation and vice versa', () => {
    assert.deepEqual(fixtureNames('bad'), Object.keys(BAD).sort());
    assert.ok(fixtureNames('bad').length >= 20);
  });
  for (const [name, expected] of Object.entries(BAD)) {
    test(name, () => {
      const result = loadSpecFile(fixturePath('bad', name));
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      assert.ok(errors.length >= 1, 'expected an error');
      // A syntax error may cascade inside the parser; every other fixture has exactly one problem.
      if (name !== 'syntax-missing-comma')
        assert.equal(result.diagnostics.length, 1, show(result.diagnostics));
      assertOne(errors[0], expected, 'error');
      assert.equal(result.spec, undefined);
      assert.deepEqual(result.trials, []);
    });
  }
});

describe('warning specs load with their one warning', () => {
  test('every warning fixture has an expectation', () => {
    assert.deepEqual(fixtureNames('warn'), Object.keys(WARN).sort());
  });
  for (const [name, expected] of Object.entries(WARN)) {
    test(name, () => {
      const result = loadSpecFile(fixturePath('warn', name));
      assert.equal(result.diagnostics.length, 1, show(result.diagnostics));
      assertOne(result.diagnostics[0], expected, 'warning');
      assert.ok(result.spec, 'warnings do not block the spec');
      assert.ok(result.trials.length >= 1);
    });
  }
});

describe('the K-FAC large-factor warning follows where the factors will be inverted', () => {
  // An MLP on CIFAR-shaped images has a 3073 x 3073 input factor (KFAC_LARGE_FACTOR is 1024).
  const warningsOf = (optimizer: object, training: object = {}) =>
    loadSpecText(
      JSON.stringify({
        name: 'k',
        data: { dataset: 'synthetic-images' },
        model: { arch: 'mlp', hidden: [64] },
        optimizer: { type: 'kfac-g', lr: 0.01, ...optimizer },
        training,
      }),
    ).diagnostics.map((d) => d.message);

  test('none where Newton-Schulz will run on the device: asked for, or auto on webgpu/tensorflow', () => {
    assert.deepEqual(warningsOf({ inverseMethod: 'newtonSchulz' }), []);
    assert.deepEqual(warningsOf({}, { backend: 'webgpu' }), []);
    assert.deepEqual(warningsOf({}, { backend: 'tensorflow' }), []);
  });

  test('on a CPU backend, or with the eigen scheme, the CPU eigendecomposition is said, without the GPU hint', () => {
    for (const [optimizer, training] of [
      [{}, { backend: 'wasm' }],
      [{ inverseMethod: 'eigendecomposition' }, {}],
      [{ dampingScheme: 'eigen' }, { backend: 'webgpu' }],
    ] as const) {
      const [w, ...rest] = warningsOf(optimizer, training);
      assert.deepEqual(rest, []);
      assert.match(w, /^K-FAC will eigendecompose a 3073 x 3073 factor on the CPU \(float64\)/);
      assert.ok(!w.includes('unless it runs on a GPU'), w);
    }
    // backend auto may find a GPU: the hint says what auto does there.
    assert.match(
      warningsOf({})[0],
      /unless it runs on a GPU: auto then inverts on the device by Newton-Schulz/,
    );
  });
});
