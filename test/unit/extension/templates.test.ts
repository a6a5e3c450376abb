import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPEC_TEMPLATES } from '../../../src/extension/templates';
import { loadSpecText } from '../../../src/spec';

test('every New Experiment template is a valid spec with the sweep it promises', () => {
  assert.deepEqual(
    SPEC_TEMPLATES.map((t) => t.id),
    ['quickstart', 'mechanism-1', 'mechanism-2'],
  );
  for (const template of SPEC_TEMPLATES) {
    const result = loadSpecText(template.text);
    assert.deepEqual(result.diagnostics, [], template.id);
    assert.equal(result.trials.length, 2, template.id);
    assert.deepEqual(
      result.trials.map((t) => t.values['regularization.type']),
      ['none', 'weightDecay'],
      template.id,
    );
  }
  const byId = Object.fromEntries(SPEC_TEMPLATES.map((t) => [t.id, loadSpecText(t.text).spec!]));
  assert.equal(byId['mechanism-1'].model.batchNorm, true);
  assert.equal(byId['mechanism-2'].model.batchNorm, false);
});
