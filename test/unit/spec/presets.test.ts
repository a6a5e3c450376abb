// The paper's presets: the embedded table is the reference table, each of the 64 rows becomes a spec with
// exactly its hyperparameters (checked against an independent parse of the table), every spec validates,
// filters, CPU scaling, and the Table 1 sweep that runs the whole grid.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type ExperimentSpec,
  expandSweep,
  loadSpecText,
  resolveSpec,
  type SpecDiagnostic,
  trialLabel,
} from '../../../src/spec';
import { parseSpecDocument } from '../../../src/spec/parse';
import {
  CPU_SCALE,
  filterPresets,
  PAPER_CONFIGS,
  PAPER_PRESETS,
  PresetError,
  presetDocument,
  presetSpec,
  table1Spec,
} from '../../../src/spec/presets';
import { PAPER_CONFIGS_TSV } from '../../../src/spec/presets/paperConfigsTsv';
import { ROOT } from './fixtures';

const REFERENCE_TSV = join(ROOT, '..', 'shared', 'reference', 'paper-configs.tsv');

/** The table parsed here on its own: header names -> cells, one object per data row. */
const rows: Record<string, string>[] = (() => {
  const [header, ...lines] = PAPER_CONFIGS_TSV.trimEnd().split('\n');
  const names = header.split('\t');
  return lines.map((line) => Object.fromEntries(line.split('\t').map((cell, i) => [names[i], cell])));
})();

/**
 * The one error this check tolerates: CIFAR loaders may not be in this version yet (spec/catalog.ts). Every
 * other error fails the test.
 */
const datasetNotYetAvailable = (d: SpecDiagnostic) =>
  d.severity === 'error' && /^dataset "cifar100?" is not yet available in this version/.test(d.message);

function problemsOf(text: string): {
  errors: SpecDiagnostic[];
  warnings: SpecDiagnostic[];
  tolerated: number;
} {
  const { diagnostics } = loadSpecText(text);
  return {
    errors: diagnostics.filter((d) => d.severity === 'error' && !datasetNotYetAvailable(d)),
    warnings: diagnostics.filter((d) => d.severity === 'warning'),
    tolerated: diagnostics.filter(datasetNotYetAvailable).length,
  };
}

/** A JSON value as plain objects (the parser's have no prototype). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const withoutNames = (spec: ExperimentSpec) => {
  const { name: _n, description: _d, ...rest } = spec;
  return rest;
};

describe('the embedded table', () => {
  test('is byte for byte ../shared/reference/paper-configs.tsv', {
    skip: existsSync(REFERENCE_TSV) ? false : `no reference copy at ${REFERENCE_TSV}`,
  }, () => {
    assert.equal(PAPER_CONFIGS_TSV, readFileSync(REFERENCE_TSV, 'utf8'));
  });

  test('has the 64 released configurations: 48 on CIFAR-10, 16 on CIFAR-100 (BN+Aug only)', () => {
    assert.equal(rows.length, 64);
    assert.equal(PAPER_CONFIGS.length, 64);
    assert.equal(rows.filter((r) => r.dataset === 'cifar10').length, 48);
    assert.deepEqual(
      [...new Set(rows.filter((r) => r.dataset === 'cifar100').map((r) => r.setting))],
      ['BN+Aug'],
    );
  });
});

describe('a preset per configuration', () => {
  test('stable, unique names: dataset-net-setting-optimizer-variant', () => {
    const names = PAPER_PRESETS.map((p) => p.name);
    assert.equal(new Set(names).size, 64);
    assert.ok(names.includes('cifar10-vgg16-bn-aug-kfac-g-wd'));
    assert.ok(names.includes('cifar10-resnet32-none-sgd-baseline'));
    assert.ok(names.includes('cifar100-resnet32-bn-aug-kfac-f-baseline'));
    for (const name of names)
      assert.match(
        name,
        /^cifar100?-(vgg16|resnet32)-(none|bn|bn-aug)-(sgd|adam|kfac-f|kfac-g)-(baseline|wd)$/,
      );
  });

  test('each of the 64 specs has exactly the hyperparameters of its row', () => {
    assert.equal(PAPER_PRESETS.length, rows.length);
    PAPER_PRESETS.forEach((preset, i) => {
      const row = rows[i];
      const at = `row ${i + 1} (${preset.name})`;
      const written = presetSpec(preset);
      const spec = resolveSpec(written);
      // Data: the full CIFAR sets; BN+Aug augments.
      assert.equal(spec.data.dataset, row.dataset, at);
      assert.equal(spec.data.trainSize, 50000, at);
      assert.equal(spec.data.testSize, 10000, at);
      assert.equal(spec.data.augment, row.setting === 'BN+Aug', at);
      // Network: VGG16, or the 4x wide ResNet32; BN in BN and BN+Aug.
      const net = { vgg16: ['vgg', 16, 1], resnet32: ['resnet', 32, 4] }[row.net];
      assert.deepEqual([spec.model.arch, spec.model.depth, spec.model.width], net, at);
      assert.equal(spec.model.batchNorm, row.setting !== 'none', at);
      assert.equal(spec.model.batchNormMomentum, 0.99, at);
      // Optimizer.
      const type = { SGD: 'sgd', Adam: 'adam', 'K-FAC-F': 'kfac-f', 'K-FAC-G': 'kfac-g' }[row.optimizer];
      assert.equal(spec.optimizer.type, type, at);
      assert.equal(spec.optimizer.lr, Number(row.lr), at);
      const o = spec.optimizer;
      if (o.type === 'sgd') {
        assert.deepEqual([o.momentum, o.nesterov], [0.9, false], at);
      } else if (o.type === 'adam') {
        assert.deepEqual([o.betas, o.eps], [[0.9, 0.999], 1e-8], at);
      } else {
        assert.ok(o.type === 'kfac-f' || o.type === 'kfac-g', `${at}: the paper's grid has no ${o.type}`);
        assert.equal(o.damping, Number(row.damping), at);
        assert.equal(o.klClip, row.kl_clip === '-' ? undefined : Number(row.kl_clip), at);
        assert.equal('klClip' in written.optimizer, row.kl_clip !== '-', at);
        assert.deepEqual([o.momentum, o.statDecay, o.statsEvery, o.inverseEvery], [0.9, 0.95, 10, 100], at);
        assert.deepEqual([o.dampingScheme, o.initStatsBatches], ['factored', 391], at);
      }
      if (o.type !== 'kfac-f' && o.type !== 'kfac-g') assert.equal(row.damping, '-', at);
      // Regularization: l2 is a loss penalty, wd decoupled weight decay, on every layer.
      if (row.variant === 'baseline') {
        assert.deepEqual([spec.regularization.type, spec.regularization.coefficient], ['none', 0], at);
        assert.equal(Number(row.weight_decay), 0, at);
      } else {
        assert.equal(spec.regularization.type, { l2: 'l2', wd: 'weightDecay' }[row.decay_type], at);
        assert.equal(spec.regularization.coefficient, Number(row.weight_decay), at);
        assert.equal(spec.regularization.apply, 'all', at);
      }
      // Schedule and training.
      assert.deepEqual(
        spec.schedule,
        { type: 'step', factor: 0.1, everySteps: Number(row.lr_decay_every_iters) },
        at,
      );
      assert.equal(spec.training.epochs, Number(row.epochs), at);
      assert.deepEqual(
        [spec.training.batchSize, spec.training.testBatchSize, spec.training.backend],
        [128, 1000, 'auto'],
        at,
      );
      // It names its source.
      assert.equal(spec.name, preset.name, at);
      assert.ok(spec.description.includes(row.source_config), at);
      assert.ok(spec.description.includes(`paper-configs.tsv row ${i + 1} `), at);
    });
  });

  test('the file starts with a comment naming the source config, and parses to the spec', () => {
    for (const preset of PAPER_PRESETS) {
      for (const cpu of [false, true]) {
        const doc = presetDocument(preset.name, { cpu });
        const [first] = doc.text.split('\n');
        assert.equal(first.startsWith('// Source config: '), true, preset.name);
        assert.ok(first.includes(preset.config.sourceConfig), preset.name);
        const parsed = parseSpecDocument(doc.text);
        assert.deepEqual(parsed.problems, [], preset.name);
        assert.deepEqual(plain(parsed.value), plain(presetSpec(preset, { cpu })), preset.name);
        assert.equal(doc.fileName, `${doc.spec.name}.wdlab.json`);
      }
    }
  });

  test('all 64 validate with no errors, paper scale and CPU scale', (t) => {
    let tolerated = 0;
    for (const preset of PAPER_PRESETS) {
      const paper = problemsOf(presetDocument(preset.name).text);
      assert.deepEqual(paper.errors, [], preset.name);
      // The only warning a paper-scale spec earns: K-FAC's factor eigendecompositions are large on a CPU.
      for (const w of paper.warnings)
        assert.match(w.message, /^K-FAC will eigendecompose a \d+ x \d+ factor/, preset.name);
      assert.equal(paper.warnings.length > 0, preset.config.optimizer.startsWith('K-FAC'), preset.name);
      const cpu = problemsOf(presetDocument(preset.name, { cpu: true }).text);
      assert.deepEqual(cpu.errors, [], `${preset.name} --cpu`);
      assert.deepEqual(cpu.warnings, [], `${preset.name} --cpu`);
      tolerated += paper.tolerated + cpu.tolerated;
    }
    if (tolerated > 0)
      t.diagnostic(`tolerated ${tolerated} "dataset not yet available" errors (CIFAR loaders missing)`);
  });

  test('an unknown name fails with a suggestion', () => {
    assert.throws(
      () => presetDocument('cifar10-vgg16-bn-aug-kfac-g-wdd'),
      (e: unknown) => {
        assert.ok(e instanceof PresetError);
        assert.match(
          e.message,
          /unknown preset "cifar10-vgg16-bn-aug-kfac-g-wdd"; did you mean "cifar10-vgg16-bn-aug-kfac-g-wd"\?/,
        );
        return true;
      },
    );
  });
});

describe('filters', () => {
  const names = (list: { name: string }[]) => list.map((p) => p.name);
  const expected = (pick: (r: Record<string, string>) => boolean) =>
    PAPER_PRESETS.filter((_, i) => pick(rows[i])).map((p) => p.name);

  test('each filter keeps exactly the rows with that value, in table order', () => {
    assert.equal(filterPresets({}).length, 64);
    assert.deepEqual(
      names(filterPresets({ dataset: 'cifar100' })),
      expected((r) => r.dataset === 'cifar100'),
    );
    assert.equal(filterPresets({ dataset: 'cifar100' }).length, 16);
    assert.deepEqual(
      names(filterPresets({ net: 'vgg16' })),
      expected((r) => r.net === 'vgg16'),
    );
    assert.deepEqual(
      names(filterPresets({ setting: 'BN' })),
      expected((r) => r.setting === 'BN'),
    );
    assert.deepEqual(
      names(filterPresets({ optimizer: 'Adam' })),
      expected((r) => r.optimizer === 'Adam'),
    );
    assert.deepEqual(
      names(filterPresets({ variant: 'baseline' })),
      expected((r) => r.variant === 'baseline'),
    );
  });

  test('filters combine, ignoring case and punctuation', () => {
    const kfacGwd = expected(
      (r) => r.optimizer === 'K-FAC-G' && r.variant === 'WD' && r.setting === 'BN+Aug',
    );
    assert.equal(kfacGwd.length, 4);
    assert.deepEqual(
      names(filterPresets({ optimizer: 'kfac-g', variant: 'wd', setting: 'bn-aug' })),
      kfacGwd,
    );
    assert.deepEqual(
      names(filterPresets({ optimizer: 'K-FAC-G', variant: 'WD', setting: 'BN+Aug' })),
      kfacGwd,
    );
    assert.deepEqual(filterPresets({ dataset: 'cifar100', setting: 'none' }), []);
  });

  test('an unknown value fails with the allowed ones', () => {
    assert.throws(
      () => filterPresets({ optimizer: 'kfac' }),
      /--optimizer "kfac" is not one of SGD, Adam, K-FAC-F, K-FAC-G/,
    );
    assert.throws(() => filterPresets({ net: 'vgg19' }), /did you mean "vgg16"/);
  });
});

describe('--cpu', () => {
  test('scales data, width, epochs and the lr decay step; everything else is the paper', () => {
    for (const preset of PAPER_PRESETS) {
      const c = preset.config;
      const paper = resolveSpec(presetSpec(preset));
      const cpu = resolveSpec(presetSpec(preset, { cpu: true }));
      const at = preset.name;
      assert.equal(cpu.name, `${preset.name}-cpu`);
      assert.match(cpu.description, /Scaled for a CPU/);
      assert.deepEqual([cpu.data.trainSize, cpu.data.testSize], [2048, 1000], at);
      assert.equal(cpu.model.width, c.net === 'vgg16' ? 0.125 : 0.25, at);
      assert.equal(cpu.training.epochs, 2, at);
      // The same fraction of the run between decays: 2 epochs x 16 steps vs the paper's epochs x 391.
      const every = Math.max(1, Math.round((c.lrDecayEveryIters * 32) / (c.epochs * 391)));
      assert.equal(cpu.schedule.type === 'step' && cpu.schedule.everySteps, every, at);
      assert.equal(cpu.model.batchNormMomentum, cpu.model.batchNorm ? CPU_SCALE.batchNormMomentum : 0.99, at);
      const scaled = (s: ExperimentSpec) => {
        const out = withoutNames(s) as unknown as Record<string, Record<string, unknown>>;
        out.data = { ...out.data, trainSize: 0, testSize: 0 };
        out.model = { ...out.model, width: 0, batchNormMomentum: 0 };
        out.training = { ...out.training, epochs: 0 };
        out.schedule = { ...out.schedule, everySteps: 0 };
        if ('initStatsBatches' in out.optimizer) out.optimizer = { ...out.optimizer, initStatsBatches: 0 };
        return out;
      };
      assert.deepEqual(scaled(cpu), scaled(paper), at);
      // K-FAC's initial statistics stay one pass over the (smaller) training set.
      if (cpu.optimizer.type === 'kfac-f' || cpu.optimizer.type === 'kfac-g')
        assert.equal(cpu.optimizer.initStatsBatches, 16);
    }
  });

  test('a decay step beyond the run stays beyond it (CIFAR-100 ResNet32 SGD decays after 100000 of 78200 steps)', () => {
    const preset = PAPER_PRESETS.find((p) => p.name === 'cifar100-resnet32-bn-aug-sgd-wd')!;
    const cpu = presetSpec(preset, { cpu: true });
    assert.equal(cpu.schedule.everySteps, 41);
    assert.ok(cpu.schedule.everySteps > 32);
  });
});

describe('Table 1: the whole grid as one sweep', () => {
  for (const cpu of [false, true]) {
    test(`expands to the 64 configurations, each trial equal to its preset${cpu ? ' (--cpu)' : ''}`, () => {
      const spec = resolveSpec(table1Spec({ cpu }));
      const trials = expandSweep(spec);
      assert.equal(trials.length, 64);
      trials.forEach((trial, i) => {
        const preset = PAPER_PRESETS[i];
        assert.equal(trialLabel(trial), preset.name);
        assert.equal(trial.case?.label, preset.name);
        const own = withoutNames(resolveSpec(presetSpec(preset, { cpu })));
        const got = withoutNames(trial.spec);
        // The base's BN momentum is unused without BN.
        if (!own.model.batchNorm) got.model.batchNormMomentum = own.model.batchNormMomentum;
        assert.deepEqual(got, own, preset.name);
        // And against the table itself.
        const row = rows[i];
        assert.equal(trial.spec.optimizer.lr, Number(row.lr), preset.name);
        assert.equal(trial.spec.regularization.coefficient, Number(row.weight_decay), preset.name);
        assert.equal(trial.spec.data.dataset, row.dataset, preset.name);
        if (!cpu) {
          assert.equal(trial.spec.training.epochs, Number(row.epochs), preset.name);
          assert.equal(
            trial.spec.schedule.type === 'step' && trial.spec.schedule.everySteps,
            Number(row.lr_decay_every_iters),
          );
        }
      });
      assert.equal(new Set(trials.map(trialLabel)).size, 64);
    });
  }

  test('validates: no errors but the CIFAR availability, and counts 64 trials once CIFAR loads', () => {
    for (const cpu of [false, true]) {
      const text = presetDocument('table1', { cpu }).text;
      const { errors } = problemsOf(text);
      assert.deepEqual(errors, []);
      const r = loadSpecText(text);
      if (r.spec) assert.equal(r.trials.length, 64);
    }
  });

  test('examples/paper-table1.wdlab.json is the generated spec (wdlab preset new table1 -o ...)', () => {
    const text = readFileSync(join(ROOT, 'examples', 'paper-table1.wdlab.json'), 'utf8');
    const parsed = parseSpecDocument(text);
    assert.deepEqual(parsed.problems, []);
    const { $schema: _schema, ...value } = plain(parsed.value) as Record<string, unknown>;
    assert.deepEqual(value, plain(table1Spec()));
  });
});
