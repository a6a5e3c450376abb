// `npm run docs:metrics`: writes the README's metric table (between its metric-table markers) from the
// metric registry, through `wdlab metrics --markdown` of the built CLI; test/unit/cli/metricTable.test.ts
// fails when they differ.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const table = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'metrics', '--markdown'], {
  encoding: 'utf8',
}).trimEnd();
const file = join(root, 'README.md');
const readme = readFileSync(file, 'utf8');
const start = '<!-- metric-table:start -->';
const end = '<!-- metric-table:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error(`README.md has no ${start} ... ${end} section`);
writeFileSync(file, `${readme.slice(0, a + start.length)}\n${table}\n${readme.slice(b)}`);
console.log(`README.md: metric table of ${table.split('\n').length - 2} metrics written`);
