// One esbuild script for every target (docs/architecture.md): the CLI, the trainer child process, the VS Code
// extension host entry, the results webview, and each unit test file.
//
// Everything that touches TensorFlow.js must be bundled: tfjs-core's CommonJS build registers no
// gradients, and its ES modules use extension-less imports that Node cannot load (docs/engines.md).
// `mainFields: module,main` makes every tfjs package resolve to one ES copy of tfjs-core.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { tfjsTapeReleasesGradients } from './tfjsTapeReleasesGradients.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
// `--tests DIR` builds only the test bundles under DIR (fast inner loop while other modules are in flux).
const testsOnly = process.argv.includes('--tests') ? process.argv[process.argv.indexOf('--tests') + 1] : null;

/** The optional native backends are loaded at run time only if installed, never bundled (webgpu = Dawn). */
const optionalNative = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'];

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
  external: optionalNative,
  logLevel: 'warning',
  absWorkingDir: root,
  // tfjs-core's backward pass keeps every intermediate gradient to its end; this frees each once used.
  plugins: [tfjsTapeReleasesGradients],
};

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) out.push(...listTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const builds = [
  {
    ...node,
    entryPoints: {
      cli: 'src/cli/main.ts',
      trainer: 'src/runner/trainerProcess.ts',
      // K-FAC's eigendecomposition worker thread, loaded from beside the bundle (kfac/eigenPool.ts).
      kfacWorker: 'src/engine/optimizers/kfac/eigenWorker.ts',
      // Data-parallel gradient threads (training.threads), loaded from beside the bundle (parallel/).
      gradientWorker: 'src/engine/parallel/gradientWorker.ts',
    },
    outdir: 'dist',
  },
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'media',
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
  },
  {
    // Benchmarks (npm run bench): the training-step throughput of the paper's networks, K-FAC's step
    // against SGD's, and one K-FAC inverse round per factor size and method.
    ...node,
    entryPoints: {
      training: 'bench/training.ts',
      'kfac-step': 'bench/kfac-step.ts',
      'kfac-inverse': 'bench/kfac-inverse.ts',
    },
    outdir: 'out/bench',
  },
  {
    ...node,
    entryPoints: listTests(testsOnly ?? 'test/unit'),
    outbase: '.',
    outdir: 'out',
    sourcemap: 'inline',
  },
];

// The wasm backend loads its .wasm binaries from disk next to the bundle (dist/wasm/).
const wasmSrc = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
mkdirSync(join(root, 'dist/wasm'), { recursive: true });
for (const f of readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) {
  copyFileSync(join(wasmSrc, f), join(root, 'dist/wasm', f));
}

// Built once per change: every test:* script starts with a build, so a CI run would otherwise bundle
// everything five times. The stamp is a hash of every input's path, size and mtime; `--force` rebuilds.
const INPUTS = ['src', 'webview', 'test', 'bench', 'scripts', 'schemas', 'package.json', 'package-lock.json'];
const SKIP = new Set(['node_modules', '.tmp']);
function inputStamp() {
  const hash = createHash('sha1');
  const walk = (p) => {
    const st = statSync(join(root, p));
    if (st.isDirectory()) {
      for (const name of readdirSync(join(root, p)).sort()) if (!SKIP.has(name)) walk(join(p, name));
    } else hash.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
  };
  for (const p of INPUTS) if (existsSync(join(root, p))) walk(p);
  return hash.digest('hex');
}
const stampFile = join(root, 'out', '.build-stamp');
const outputs = ['dist/cli.js', 'dist/trainer.js', 'dist/extension.js', 'media/webview.js'];
const stamp = testsOnly || watch ? undefined : inputStamp();
const upToDate =
  stamp !== undefined &&
  !process.argv.includes('--force') &&
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8') === stamp &&
  outputs.every((f) => existsSync(join(root, f)));

if (upToDate) {
  console.log('build up to date (dist/, media/webview.js, test bundles); --force rebuilds');
} else if (testsOnly) {
  await esbuild.build(builds[4]);
  console.log(`built ${builds[4].entryPoints.length} test bundles under ${testsOnly}`);
} else if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching', builds.length, 'targets');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  const tests = builds[4].entryPoints.length;
  mkdirSync(join(root, 'out'), { recursive: true });
  writeFileSync(stampFile, stamp);
  console.log(
    `built dist/, media/webview.js and ${tests} test bundles in ${relative(process.cwd(), root) || '.'}`,
  );
}
