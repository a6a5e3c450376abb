// Bundles the extension integration tests into out/test/integration/index.js: test/integration/index.ts
// plus every test/integration/suite/*.itest.ts (named .itest.ts so scripts/build.mjs, which bundles
// every *.test.ts for node's test runner, leaves them alone). `vscode` stays external: the extension
// host provides it.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suiteDir = join(repoRoot, 'test', 'integration', 'suite');
const suites = readdirSync(suiteDir)
  .filter((f) => f.endsWith('.itest.ts'))
  .sort();
if (suites.length === 0) throw new Error(`no *.itest.ts in ${suiteDir}`);

// One generated entry: the runner's registry is shared because every suite lands in the same bundle.
const entry = [
  "export { run } from './index';",
  ...suites.map((f) => `import './suite/${f.replace(/\.ts$/, '')}';`),
].join('\n');

await esbuild.build({
  stdin: {
    contents: entry,
    resolveDir: join(repoRoot, 'test', 'integration'),
    sourcefile: 'entry.ts',
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  external: ['vscode'],
  sourcemap: 'inline',
  logLevel: 'warning',
  absWorkingDir: repoRoot,
  outfile: join(repoRoot, 'out', 'test', 'integration', 'index.js'),
});
console.log(`built out/test/integration/index.js with ${suites.length} suite file(s): ${suites.join(', ')}`);
