import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SPEC_TEMPLATES, templateStem, templateText } from '../../../src/extension/templates';
import { loadSpecText } from '../../../src/spec';
import { repoRoot } from '../../helpers/backend';

const examples = () => join(repoRoot(), 'examples');

test('every New Experiment template is a shipped example and a valid spec with a sweep to compare', () => {
  assert.deepEqual(
    SPEC_TEMPLATES.map((t) => t.id),
    ['quickstart', 'mechanism-1', 'mechanism-1-adam', 'mechanism-2'],
  );
  for (const template of SPEC_TEMPLATES) {
    assert.ok(existsSync(join(examples(), template.file)), template.file);
    const text = templateText(examples(), template);
    // A new spec in a user's workspace must not point at the repository's schema folder.
    assert.doesNotMatch(text, /"\$schema"/, template.id);
    const result = loadSpecText(text);
    assert.deepEqual(
      result.diagnostics.filter((d) => d.severity === 'error'),
      [],
      template.id,
    );
    assert.ok(result.trials.length >= 2, `${template.id}: a comparison needs at least two trials`);
    assert.equal(result.spec!.name, templateStem(template), template.id);
  }
  const byId = Object.fromEntries(
    SPEC_TEMPLATES.map((t) => [t.id, loadSpecText(templateText(examples(), t)).spec!]),
  );
  assert.equal(byId['mechanism-1'].model.batchNorm, true);
  assert.equal(byId['mechanism-2'].model.batchNorm, false);
  assert.equal(byId['mechanism-1-adam'].optimizer.type, 'adam');
});
