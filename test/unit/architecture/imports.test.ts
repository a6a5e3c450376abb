// The import direction of docs/architecture.md, checked on every source file: src/protocol <- src/spec <-
// src/engine <- src/runner <- src/cli | src/extension, and webview/ sees src/protocol only. A file that
// imports against that direction fails here with the import named.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../helpers/backend';

/** The layer of a repository path, and the layers it may import from (its own included). */
const LAYERS: { layer: string; prefix: string; mayImport: string[] }[] = [
  { layer: 'protocol', prefix: 'src/protocol/', mayImport: ['protocol'] },
  { layer: 'spec', prefix: 'src/spec/', mayImport: ['protocol', 'spec', 'schemas'] },
  { layer: 'engine', prefix: 'src/engine/', mayImport: ['protocol', 'spec', 'engine'] },
  {
    layer: 'runner',
    prefix: 'src/runner/',
    mayImport: ['protocol', 'spec', 'engine', 'runner', 'package.json'],
  },
  // The CLI and the extension embed the results page (webview/html.ts renders its HTML shell).
  {
    layer: 'cli',
    prefix: 'src/cli/',
    mayImport: ['protocol', 'spec', 'engine', 'runner', 'cli', 'webview/html', 'package.json'],
  },
  {
    layer: 'extension',
    prefix: 'src/extension/',
    mayImport: ['protocol', 'spec', 'engine', 'runner', 'extension', 'webview/html'],
  },
  { layer: 'webview', prefix: 'webview/', mayImport: ['protocol', 'webview', 'webview/html'] },
  { layer: 'schemas', prefix: 'schemas/', mayImport: [] },
];

function layerOf(path: string): string | undefined {
  if (path === 'package.json') return 'package.json';
  if (path === 'webview/html.ts' || path === 'webview/html') return 'webview/html';
  if (path.startsWith('schemas/')) return 'schemas';
  // `../spec` is the folder's index.ts.
  return LAYERS.find((l) => `${path}/`.startsWith(l.prefix))?.layer;
}

/** Which packages a layer may import: `vscode` in the extension only, tfjs in the engine only. */
function packageAllowed(layer: string, pkg: string): boolean {
  if (pkg === 'vscode') return layer === 'extension';
  if (pkg.startsWith('@tensorflow/') || pkg === 'webgpu') return layer === 'engine';
  if (layer === 'protocol') return false;
  if (layer === 'webview') return !pkg.startsWith('node:') && pkg !== 'fs' && pkg !== 'path';
  return true;
}

function sourceFiles(dir: string, root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) out.push(...sourceFiles(p, root));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm;

/** Every import of a source file: relative ones resolved to a repository path, packages by name. */
function importsOf(file: string, text: string): { spec: string; path?: string; pkg?: string }[] {
  const out: { spec: string; path?: string; pkg?: string }[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1];
    if (spec.startsWith('.')) out.push({ spec, path: relative('.', join(dirname(file), spec)) });
    else
      out.push({
        spec,
        pkg: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0],
      });
  }
  return out;
}

/** The imports against the direction among `files` (repository path -> source text). */
function violations(files: Map<string, string>): string[] {
  const bad: string[] = [];
  for (const [file, text] of files) {
    const layer = layerOf(file);
    if (!layer) {
      bad.push(`${file}: in no layer of docs/architecture.md`);
      continue;
    }
    const rule = LAYERS.find((l) => l.layer === (layer === 'webview/html' ? 'webview' : layer))!;
    for (const imp of importsOf(file, text)) {
      if (imp.pkg !== undefined) {
        if (!packageAllowed(layer, imp.pkg))
          bad.push(`${file}: imports package '${imp.spec}' (${layer} layer)`);
        continue;
      }
      const target = layerOf(imp.path!) ?? imp.path!;
      if (!rule.mayImport.includes(target))
        bad.push(`${file}: imports '${imp.spec}' (${layer} -> ${target})`);
    }
  }
  return bad;
}

test('every import in src/ and webview/ points down the layers of docs/architecture.md', () => {
  const root = repoRoot();
  const files = new Map(
    [...sourceFiles('src', root), ...sourceFiles('webview', root)].map((f) => [
      f,
      readFileSync(join(root, f), 'utf8'),
    ]),
  );
  assert.ok(files.size > 100, `found ${files.size} source files`);
  assert.deepEqual(violations(files), []);
});

test('the check flags imports against the direction (regression guard of the rule itself)', () => {
  const files = new Map([
    ['src/engine/trainer.ts', "import type { StartMessage } from '../runner/protocol';"],
    [
      'webview/app.ts',
      "import type { ExperimentSpec } from '../src/spec/types';\nimport { readFileSync } from 'node:fs';",
    ],
    ['src/runner/runStore.ts', "import * as vscode from 'vscode';"],
    ['src/protocol/runs.ts', "import type { RunInfo } from '../runner/runStore';"],
    ['src/spec/parse.ts', "const m = require('../engine/tf');"],
    ['src/cli/report.ts', "import { renderResultsHtml } from '../../webview/html';"],
    ['src/extension/commands.ts', "import { x } from '../cli/main';"],
  ]);
  assert.deepEqual(violations(files), [
    "src/engine/trainer.ts: imports '../runner/protocol' (engine -> runner)",
    "webview/app.ts: imports '../src/spec/types' (webview -> spec)",
    "webview/app.ts: imports package 'node:fs' (webview layer)",
    "src/runner/runStore.ts: imports package 'vscode' (runner layer)",
    "src/protocol/runs.ts: imports '../runner/runStore' (protocol -> runner)",
    "src/spec/parse.ts: imports '../engine/tf' (spec -> engine)",
    "src/extension/commands.ts: imports '../cli/main' (extension -> cli)",
  ]);
});
