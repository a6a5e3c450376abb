// The manifest's walkthrough and Runs-view welcome, as VS Code 1.139 shows them: titles and the welcome
// text are plain text (backticks would show as backticks), step titles fit the step list, the media
// files exist, and the walkthrough's count of "New Experiment" templates is the real one.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SPEC_TEMPLATES } from '../../../src/extension/templates';
import { repoRoot } from '../../helpers/backend';

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string };
}
const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));
const walkthrough = manifest.contributes.walkthroughs[0] as {
  title: string;
  description: string;
  steps: Step[];
};

test('no markdown in the plain-text places: walkthrough and step titles, category description, view welcome', () => {
  const plain = [
    walkthrough.title,
    walkthrough.description,
    ...walkthrough.steps.flatMap((s) => [s.title, s.description]),
    ...manifest.contributes.viewsWelcome.map((w: { contents: string }) => w.contents),
  ];
  for (const text of plain) assert.doesNotMatch(text, /`|\*\*/, text);
});

test('step titles are short enough not to be cut off; every step has its markdown', () => {
  for (const step of walkthrough.steps) {
    assert.ok(step.title.length <= 32, `"${step.title}" has ${step.title.length} characters`);
    assert.ok(step.media.markdown && existsSync(join(repoRoot(), step.media.markdown)), step.id);
  }
});

test('the walkthrough names every template, and their number', () => {
  const step = walkthrough.steps.find((s) => s.id === 'createSpec');
  assert.ok(step?.media.markdown);
  const create = readFileSync(join(repoRoot(), step.media.markdown), 'utf8');
  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  assert.match(create, new RegExp(`offers ${words[SPEC_TEMPLATES.length]} templates`));
  for (const t of SPEC_TEMPLATES) assert.ok(create.includes(`**${t.label}**`), t.label);
});

test('the Runs view welcome says nothing of workspace trust (Run asks for it when clicked)', () => {
  const welcome = manifest.contributes.viewsWelcome as { contents: string; when?: string }[];
  assert.equal(welcome.length, 1);
  assert.equal(welcome[0].when, undefined);
  assert.doesNotMatch(welcome[0].contents, /trust/i);
});
