// The documentation stays true to the repository: every Markdown file a code comment cites exists, no
// comment cites an issue tracker number instead of saying what it means, every relative link in the README
// and docs/ resolves (to a file, and to a heading where it names one), the README stays a short user's
// guide, and docs/spec.md documents every field of the spec schema.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/backend';

const ROOT = repoRoot();

/** Folders whose code comments are checked, and what is left out of them. */
const COMMENTED_DIRS = ['src', 'webview', 'test', 'bench', 'scripts', 'examples'];
const SKIPPED = new Set(['node_modules', 'fixtures', '.tmp']);
const SLASH_COMMENTS = /\.(ts|mts|cts|js|mjs|cjs|json)$/;
const HASH_COMMENTS = /\.(py|sh)$/;

const README_LIMIT_BYTES = 16_000;

/** Repository-relative paths of the files under `dir` whose comments are checked. */
function commentedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    if (SKIPPED.has(name)) continue;
    const path = join(dir, name);
    const full = join(ROOT, path);
    if (statSync(full).isDirectory()) out.push(...commentedFiles(path));
    else if (SLASH_COMMENTS.test(name) || HASH_COMMENTS.test(name) || isScript(full, name)) out.push(path);
  }
  return out;
}

/** An executable script without an extension (e.g. a `#!/usr/bin/env bash` wrapper). */
function isScript(full: string, name: string): boolean {
  return !name.includes('.') && readFileSync(full, 'utf8').startsWith('#!');
}

interface Comment {
  line: number;
  text: string;
}

/**
 * The comments of a JavaScript-like file (TypeScript, JavaScript, JSON with comments), `//` and `/* *\/`,
 * and its string and template literals (test names cite too); regular-expression literals are skipped, and
 * a `//` inside a string (a URL) is not a comment.
 */
function slashComments(source: string): Comment[] {
  const comments: Comment[] = [];
  let line = 1;
  let i = 0;
  /** The last character that was not whitespace or inside a comment: decides whether `/` starts a regex. */
  let previous = '';
  const advance = (to: number) => {
    for (let k = i; k < to && k < source.length; k++) if (source[k] === '\n') line++;
    i = to;
  };
  const skipQuoted = (quote: string) => {
    let k = i + 1;
    while (k < source.length && source[k] !== quote) {
      if (source[k] === '\\') k++;
      else if (quote !== '`' && source[k] === '\n') break;
      k++;
    }
    comments.push({ line, text: source.slice(i + 1, k) });
    advance(k + 1);
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      comments.push({ line, text: source.slice(i + 2, stop) });
      advance(stop);
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      comments.push({ line, text: source.slice(i + 2, stop) });
      advance(stop);
    } else if (c === "'" || c === '"' || c === '`') {
      skipQuoted(c);
      previous = c;
    } else if (c === '/' && (previous === '' || '(,=:[!&|?{};+-*%<>~^'.includes(previous))) {
      // A regular-expression literal: up to the closing slash outside a character class.
      let k = i + 1;
      let inClass = false;
      while (k < source.length && source[k] !== '\n') {
        if (source[k] === '\\') k++;
        else if (source[k] === '[') inClass = true;
        else if (source[k] === ']') inClass = false;
        else if (source[k] === '/' && !inClass) break;
        k++;
      }
      advance(k + 1);
      previous = '/';
    } else {
      if (!/\s/.test(c)) previous = c;
      advance(i + 1);
    }
  }
  return comments;
}

/** The comments of a shell script: from a `#` that starts a word to the end of the line. */
function hashComments(source: string): Comment[] {
  return source.split('\n').flatMap((text, i) => {
    const at = text.search(/(^|\s)#/);
    return at === -1 ? [] : [{ line: i + 1, text: text.slice(at) }];
  });
}

function commentsOf(path: string): Comment[] {
  const source = readFileSync(join(ROOT, path), 'utf8');
  if (SLASH_COMMENTS.test(path)) return slashComments(source);
  if (path.endsWith('.py')) {
    // Docstrings are the comments of Python: the whole text is checked.
    return source.split('\n').map((text, i) => ({ line: i + 1, text }));
  }
  return hashComments(source);
}

/** The line of a position inside a comment. */
const lineOf = (c: Comment, index: number): number => c.line + c.text.slice(0, index).split('\n').length - 1;

/** Markdown paths a comment names, e.g. `docs/science.md` or `test/harness/README.md` (from the root). */
const MD_CITATION = /(?:\/?[\w.-]+\/)*[\w.-]+\.md\b/g;
const ISSUE_NUMBER = /\b[Ii]ssue #?\d+/;

const files = COMMENTED_DIRS.filter((d) => existsSync(join(ROOT, d))).flatMap(commentedFiles);

describe('code comments', () => {
  test('every cited Markdown file exists in the repository (paths from the repository root)', () => {
    assert.ok(files.length > 100, `only ${files.length} files scanned`);
    const missing: string[] = [];
    for (const file of files) {
      for (const c of commentsOf(file)) {
        for (const m of c.text.matchAll(MD_CITATION)) {
          if (!existsSync(join(ROOT, m[0]))) missing.push(`${file}:${lineOf(c, m.index)}: ${m[0]}`);
        }
      }
    }
    assert.deepEqual(missing, [], `cited files that do not exist:\n${missing.join('\n')}`);
  });

  test('no comment cites an issue number (say what is meant instead)', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const c of commentsOf(file)) {
        const m = ISSUE_NUMBER.exec(c.text);
        if (m) found.push(`${file}:${lineOf(c, m.index)}: ${m[0]}`);
      }
    }
    assert.deepEqual(found, [], `comments citing issue numbers:\n${found.join('\n')}`);
  });
});

/** README.md and every Markdown file under docs/, repository-relative. */
function documents(): string[] {
  const docs = existsSync(join(ROOT, 'docs'))
    ? readdirSync(join(ROOT, 'docs'))
        .filter((n) => n.endsWith('.md'))
        .map((n) => join('docs', n))
    : [];
  return ['README.md', ...docs];
}

/** The text of a Markdown file without fenced code blocks and inline code, where brackets are not links. */
function proseOf(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

describe('README and docs/', () => {
  test('every relative link resolves to a file of the repository (and to a heading where it names one)', () => {
    const broken: string[] = [];
    for (const doc of documents()) {
      const full = join(ROOT, doc);
      proseOf(readFileSync(full, 'utf8')).forEach((line, i) => {
        const targets = [
          ...[...line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
          ...[...line.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]),
        ];
        for (const target of targets) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, vscode:
          const [pathPart, anchor] = target.split('#');
          const resolved = pathPart === '' ? full : join(dirname(full), decodeURI(pathPart));
          const where = `${doc}:${i + 1}: ${target}`;
          if (!existsSync(resolved)) {
            broken.push(`${where} (no ${relative(ROOT, resolved)})`);
          } else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
            broken.push(`${where} (no heading #${anchor} in ${relative(ROOT, resolved)})`);
          }
        }
      });
    }
    assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  });

  test(`the README is a user's guide of at most ${README_LIMIT_BYTES} bytes`, () => {
    const bytes = statSync(join(ROOT, 'README.md')).size;
    assert.ok(bytes <= README_LIMIT_BYTES, `README.md is ${bytes} bytes; move detail to docs/`);
  });

  test('docs/spec.md documents every field of schemas/experiment.schema.json', () => {
    type Node = { properties?: Record<string, Node> };
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/experiment.schema.json'), 'utf8')) as Node;
    const spec = readFileSync(join(ROOT, 'docs/spec.md'), 'utf8');
    const paths: string[] = [];
    const walk = (node: Node, prefix: string) => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        const path = prefix ? `${prefix}.${key}` : key;
        paths.push(path);
        // The sweep's keys are the other fields' paths again; only its own (cases) are listed.
        if (path !== 'sweep') walk(child, path);
      }
    };
    walk(schema, '');
    paths.push('sweep.cases');
    const undocumented = paths.filter((p) => !spec.includes(`\`${p}\``));
    assert.deepEqual(undocumented, [], `fields missing from docs/spec.md: ${undocumented.join(', ')}`);
  });
});
