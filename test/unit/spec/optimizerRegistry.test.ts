// The optimizer descriptors (src/spec/optimizers/) are the one place an optimizer is declared: the schema
// users' editors read is generated from them, every declared optimizer has an update rule in the engine,
// resolves with its declared defaults, and an unknown name is an error at each layer, never a silent gap.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { createOptimizer } from '../../../src/engine/optimizers';
import { createTrainingState } from '../../../src/engine/trainer';
import { loadSpecText } from '../../../src/spec';
import { OPTIMIZERS, optimizerDescriptor, optimizerSchemaFragment } from '../../../src/spec/optimizers';
import { paperSetup } from '../../../src/spec/setup';
import type { OptimizerSpec } from '../../../src/spec/types';
import { repoRoot } from '../../helpers/backend';

before(async () => {
  await initBackend('cpu');
});

describe('optimizer descriptors', () => {
  test('schemas/experiment.schema.json holds exactly the descriptors’ part (npm run schema writes it)', () => {
    const schema = JSON.parse(readFileSync(join(repoRoot(), 'schemas', 'experiment.schema.json'), 'utf8'));
    const optimizer = schema.properties.optimizer;
    const fragment = optimizerSchemaFragment();
    assert.deepEqual(optimizer.properties.type.enum, fragment.enum);
    assert.deepEqual(optimizer.properties.type.enumDescriptions, fragment.enumDescriptions);
    assert.deepEqual(optimizer.allOf, fragment.allOf);
    // Every field a descriptor names is defined in the schema's optimizer properties.
    for (const o of OPTIMIZERS)
      for (const f of o.fields)
        assert.ok(f in optimizer.properties, `${o.type}.${f} has no schema definition`);
  });

  for (const o of OPTIMIZERS) {
    test(`${o.type}: resolves with its declared fields and lr, builds its update rule, names its paper cell`, async () => {
      const loaded = loadSpecText(
        JSON.stringify({
          name: 'registry',
          data: { dataset: 'synthetic-vectors', trainSize: 32, testSize: 8 },
          model: { arch: 'mlp', hidden: [4] },
          training: { batchSize: 16 },
          optimizer: { type: o.type },
        }),
      );
      assert.deepEqual(
        loaded.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      const spec = loaded.spec!;
      assert.deepEqual(
        Object.keys(spec.optimizer).sort(),
        ['type', ...o.fields.filter((f) => f !== 'klClip')].sort(),
      );
      assert.equal(spec.optimizer.lr, o.lrDefault);
      const state = createTrainingState(spec, await loadDataset(spec.data));
      assert.equal(state.optimizer.type, o.type);
      assert.equal(state.optimizer.describeInverses !== undefined, o.secondOrder !== undefined);
      state.optimizer.dispose();
      state.model.dispose();
      assert.equal(paperSetup(spec).optimizer, o.displayName);
    });
  }

  test('an unknown optimizer is an error in the spec, the descriptors and the engine', () => {
    const loaded = loadSpecText(JSON.stringify({ name: 'x', optimizer: { type: 'lion' } }));
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    assert.ok(
      errors.some((d) => d.path === 'optimizer.type'),
      JSON.stringify(errors),
    );
    assert.throws(() => optimizerDescriptor('lion'), /unknown optimizer "lion" \(known: sgd, adam, kfac-f/);
    assert.throws(
      () =>
        createOptimizer({ type: 'lion', lr: 1 } as unknown as OptimizerSpec, {
          params: [],
          regularization: { type: 'none', coefficient: 0, apply: 'all' },
        }),
      /no update rule for optimizer "lion"/,
    );
  });
});
