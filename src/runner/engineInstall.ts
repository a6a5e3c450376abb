// `wdlab engine install ENGINE` and the extension's "Install Training Engine": puts a native training
// engine (engine/engines.ts) into the engines folder, as its own npm project, so that an extension
// installed from a VSIX (no node_modules) and a CLI on an offline machine can train natively
// (docs/engines.md).
//
// Routes for `tensorflow` (tfjs-node):
//   download  `npm install @tensorflow/tfjs-node`: its install script downloads libtensorflow 2.9.1.
//   wheel     where that download cannot be reached: the package's files with `--ignore-scripts`, and its
//             binding compiled with node-gyp against the C API of a local `tensorflow-cpu` wheel (pip's
//             index, or a file the user gives): the wheel's libtensorflow_cc.so.2 exports the TF_* and
//             TFE_* functions the binding calls, and its include/ has their headers.
//   auto      download, then wheel.
// Everything is built in a staging folder and renamed into place only once a child process has loaded the
// engine and trained on it (`wdlab engine check`), so a failed install never leaves a broken engine behind.
import { type SpawnOptions, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import {
  ENGINE_PACKAGES,
  type EngineManifest,
  type EngineName,
  engineFolder,
  enginesDirectory,
} from '../engine/engines';
import { isEngineNoise } from './failures';

/** The versions installed: tfjs-node at the tfjs-core version this project bundles. */
export const ENGINE_VERSIONS: Record<EngineName, string> = {
  tensorflow: '4.22.0',
  'tensorflow-gpu': '4.22.0',
  webgpu: '0.6.2',
};

/** The N-API version the binding is built for (node-pre-gyp picks the highest the package lists). */
const NAPI_BUILD_VERSION = 8;
/** node-gyp, installed into the engine's project for the wheel route (Node >= 18.17). */
const NODE_GYP = 'node-gyp@11';

export type EngineSource = 'auto' | 'download' | 'wheel';

export interface EngineInstallOptions {
  engine: EngineName;
  /** The engines folder; default enginesDirectory(). */
  dir?: string;
  source?: EngineSource;
  /** A tensorflow-cpu wheel to build from (skips pip). */
  wheel?: string;
  /** The Python whose pip finds the wheel; default python3. */
  python?: string;
  /** The CLI bundle that checks the engine in a child process; default cli.js beside this bundle. */
  cliPath?: string;
  /** Each step, for a progress notification or a line on stderr. */
  onStep?: (step: string) => void;
  /** Every command run and everything it printed, for the log. */
  onLog?: (text: string) => void;
  signal?: AbortSignal;
}

export interface EngineInstallResult {
  folder: string;
  manifest: EngineManifest;
  /** What the check printed: the backend and a matMul's time. */
  check: string;
}

/** A failure the user can act on: the message says what failed and what to do. */
export class EngineInstallError extends Error {}

interface Run {
  code: number | null;
  output: string;
}

function run(
  command: string,
  args: string[],
  options: SpawnOptions & { log: (t: string) => void; signal?: AbortSignal },
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    options.log(`$ ${[command, ...args].join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}\n`);
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (b: Buffer) => {
      const text = b.toString();
      output += text;
      options.log(text);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

const lastLines = (text: string, n = 3): string =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join(' | ');

/** True where `command --version` runs. */
async function has(command: string, log: (t: string) => void): Promise<boolean> {
  try {
    return (await run(command, ['--version'], { log })).code === 0;
  } catch {
    return false;
  }
}

/** Installs an engine into the engines folder; resolves with where, or rejects with an EngineInstallError. */
export async function installEngine(options: EngineInstallOptions): Promise<EngineInstallResult> {
  const { engine } = options;
  const dir = options.dir ?? enginesDirectory();
  const log = options.onLog ?? (() => {});
  const step = options.onStep ?? (() => {});
  const source: EngineSource = options.wheel ? 'wheel' : (options.source ?? 'auto');
  if (engine !== 'tensorflow' && source === 'wheel')
    throw new EngineInstallError(
      `${engine} cannot be built from a tensorflow-cpu wheel (that wheel has no ${engine === 'webgpu' ? 'Dawn' : 'CUDA'}); install it with --source download`,
    );
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new EngineInstallError(`cannot create the engines folder ${dir}: ${(e as Error).message}`);
  }
  if (!(await has('npm', log)))
    throw new EngineInstallError(
      'npm not found on PATH: install Node.js 20 or newer with npm, then try again',
    );

  const folder = engineFolder(engine, dir);
  const staging = `${folder}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const pkg = ENGINE_PACKAGES[engine];
  const spec = `${pkg}@${ENGINE_VERSIONS[engine]}`;
  writeFileSync(
    join(staging, 'package.json'),
    `${JSON.stringify({ name: `wdlab-engine-${engine}`, private: true, description: `Weight Decay Lab training engine: ${pkg}` }, null, 2)}\n`,
  );
  const npm = (args: string[]) =>
    run('npm', ['install', '--no-audit', '--no-fund', '--no-progress', '--no-package-lock', ...args], {
      cwd: staging,
      log,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      shell: process.platform === 'win32',
    });
  try {
    let library: string | undefined;
    if (source !== 'wheel') {
      step(`npm install ${spec}${engine.startsWith('tensorflow') ? ' (downloads libtensorflow)' : ''}`);
      const r = await npm([spec]);
      if (r.code === 0 && existsSync(join(staging, 'node_modules', ...pkg.split('/'), 'package.json'))) {
        library =
          engine === 'webgpu' ? `Dawn (webgpu ${ENGINE_VERSIONS.webgpu})` : 'libtensorflow 2.9.1 (download)';
      } else if (source === 'download' || engine !== 'tensorflow') {
        throw new EngineInstallError(`npm install ${spec} failed: ${lastLines(r.output)}`);
      } else {
        log(`The download route failed; building the binding from a local tensorflow-cpu wheel instead.\n`);
      }
    }
    if (!library) library = await buildFromWheel(staging, spec, options, npm, step, log);
    if (options.signal?.aborted) throw new EngineInstallError('cancelled');

    const manifest: EngineManifest = {
      engine,
      package: pkg,
      version: ENGINE_VERSIONS[engine],
      library,
      installedAt: new Date().toISOString(),
    };
    writeFileSync(join(staging, 'engine.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    step('checking the engine: load it and run a conv gradient in a child process');
    const check = await checkEngine(engine, staging, options.cliPath, log);
    // Into place: the previous install (if any) goes only now.
    rmSync(folder, { recursive: true, force: true });
    renameSync(staging, folder);
    return { folder, manifest, check };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The wheel route: the package's files, the wheel's library and headers, and the binding compiled. */
async function buildFromWheel(
  staging: string,
  spec: string,
  options: EngineInstallOptions,
  npm: (args: string[]) => Promise<Run>,
  step: (s: string) => void,
  log: (t: string) => void,
): Promise<string> {
  const python = options.python ?? 'python3';
  if (!(await has('c++', log)) || !(await has('make', log)))
    throw new EngineInstallError(
      'no C++ compiler (c++) or make on PATH, needed to build the TensorFlow binding: install them (Debian/Ubuntu: apt-get install g++ make; Fedora: dnf install gcc-c++ make)',
    );
  if (!(await has(python, log)))
    throw new EngineInstallError(
      `${python} not found: the binding is built with node-gyp, which needs Python 3 (and pip to find the wheel); install Python 3, or pass --python`,
    );

  // The wheel first: every check that needs no download fails before npm fetches anything.
  const wheel = options.wheel ?? (await wheelFromPip(python, join(dirname(staging), 'wheels'), step, log));
  if (!existsSync(wheel)) throw new EngineInstallError(`no such wheel: ${wheel}`);
  const listed = await run(python, ['-c', LIST, wheel], { log });
  if (listed.code !== 0)
    throw new EngineInstallError(
      `${wheel} is not a TensorFlow wheel with the C API (libtensorflow_cc.so.2, libtensorflow_framework.so.2, include/tensorflow/c/c_api.h): ${lastLines(listed.output, 1)}`,
    );

  step(`npm install --ignore-scripts ${spec} ${NODE_GYP} (the package's files, without its download)`);
  const r = await npm(['--ignore-scripts', spec, NODE_GYP]);
  if (r.code !== 0) throw new EngineInstallError(`npm install ${spec} failed: ${lastLines(r.output)}`);
  const pkgDir = join(staging, 'node_modules', '@tensorflow', 'tfjs-node');

  step(`extracting libtensorflow and its C API headers from ${wheel}`);
  const x = await run(python, ['-c', EXTRACT, wheel, join(pkgDir, 'deps')], { log });
  if (x.code !== 0) throw new EngineInstallError(`extracting ${wheel} failed: ${lastLines(x.output)}`);
  const wheelVersion = /tensorflow(?:_cpu)?-([0-9][^-]*)-/.exec(wheel)?.[1] ?? 'unknown version';

  step('compiling the binding with node-gyp');
  const gyp = join(staging, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const nodedir = nodeHeaders();
  const args = [
    gyp,
    'rebuild',
    `--module_name=tfjs_binding`,
    `--module_path=lib/napi-v${NAPI_BUILD_VERSION}`,
    `--napi_build_version=${NAPI_BUILD_VERSION}`,
    ...(nodedir ? [`--nodedir=${nodedir}`] : []),
  ];
  // node-gyp runs under a plain Node (the extension host's process.execPath is Electron).
  const node = nodeOnPath() ?? process.execPath;
  const b = await run(node, args, { cwd: pkgDir, log, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  if (b.code !== 0)
    throw new EngineInstallError(
      `compiling the binding failed${nodedir ? '' : " (no Node.js headers found here, and node-gyp could not download them: install Node.js's headers, e.g. Debian's libnode-dev)"}: ${lastLines(b.output)}`,
    );
  // Where tfjs-node looks for its binding (node-pre-gyp's path for this package and this Node).
  const binding = (
    createRequire(join(pkgDir, 'package.json'))('@mapbox/node-pre-gyp') as {
      find(p: string): string;
    }
  ).find(join(pkgDir, 'package.json'));
  mkdirSync(dirname(binding), { recursive: true });
  renameSync(join(pkgDir, 'build', 'Release', 'tfjs_binding.node'), binding);
  step('checking that the wheel exports every C API function the binding imports');
  await checkSymbols(pkgDir, binding, log);
  // What the compile needed and the engine does not: objects and 13,000 header files.
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
  rmSync(join(pkgDir, 'deps', 'include'), { recursive: true, force: true });
  return `tensorflow-cpu ${wheelVersion} wheel (libtensorflow_cc.so.2, built here)`;
}

/** Exits non-zero, naming what is missing, unless the wheel has the libraries and headers the binding needs. */
const LIST = `
import sys, zipfile
try:
    names = set(zipfile.ZipFile(sys.argv[1]).namelist())
except Exception as e:
    sys.exit('not a zip archive (%s)' % e)
need = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2',
        'tensorflow/include/tensorflow/c/c_api.h', 'tensorflow/include/tensorflow/c/eager/c_api.h']
missing = [n for n in need if n not in names]
if missing:
    sys.exit('it has no ' + ', '.join(missing))
`;

/** Unpacks the wheel's two libraries into deps/lib (with the names the binding links) and include/. */
const EXTRACT = `
import os, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
libs = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    for lib in libs:
        if 'tensorflow/' + lib not in names:
            sys.exit('the wheel has no tensorflow/' + lib)
    os.makedirs(os.path.join(deps, 'lib'), exist_ok=True)
    for name in names:
        if name.startswith('tensorflow/include/'):
            z.extract(name, deps)
    for lib in libs:
        z.extract('tensorflow/' + lib, deps)
        os.replace(os.path.join(deps, 'tensorflow', lib), os.path.join(deps, 'lib', lib))
os.replace(os.path.join(deps, 'tensorflow', 'include'), os.path.join(deps, 'include'))
os.rmdir(os.path.join(deps, 'tensorflow'))
lib = os.path.join(deps, 'lib')
# binding.gyp links -ltensorflow -ltensorflow_framework; at run time the binding asks for the sonames.
for link, target in [('libtensorflow.so', 'libtensorflow_cc.so.2'), ('libtensorflow.so.2', 'libtensorflow_cc.so.2'),
                     ('libtensorflow_framework.so', 'libtensorflow_framework.so.2')]:
    os.symlink(target, os.path.join(lib, link))
`;

/** Downloads the tensorflow-cpu wheel with pip into `cache` (kept there for the next install). */
async function wheelFromPip(
  python: string,
  cache: string,
  step: (s: string) => void,
  log: (t: string) => void,
): Promise<string> {
  const cached = () =>
    existsSync(cache)
      ? readdirSync(cache)
          .filter((f) => /^tensorflow_cpu-.*\.whl$/.test(f))
          .sort()
      : [];
  if (cached().length === 0) {
    step('pip download --no-deps tensorflow-cpu (about 270 MB)');
    mkdirSync(cache, { recursive: true });
    const r = await run(
      python,
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', 'tensorflow-cpu', '-d', cache],
      { log },
    );
    if (r.code !== 0) {
      const noPip = /No module named pip/.test(r.output);
      throw new EngineInstallError(
        noPip
          ? `${python} has no pip: install pip (Debian/Ubuntu: apt-get install python3-pip), or pass --wheel FILE`
          : `pip found no tensorflow-cpu wheel for this machine (${lastLines(r.output, 1)}); download one where there is internet and pass --wheel FILE`,
      );
    }
  }
  const found = cached();
  if (found.length === 0) throw new EngineInstallError(`pip left no tensorflow-cpu wheel in ${cache}`);
  return join(cache, found[found.length - 1]);
}

/** Every TF_/TFE_ function the compiled binding imports must be exported by the wheel's libraries. */
async function checkSymbols(pkgDir: string, binding: string, log: (t: string) => void): Promise<void> {
  const names = async (file: string, which: string): Promise<string[] | undefined> => {
    let nm: Run;
    try {
      nm = await run('nm', ['-D', which, file], { log: () => {} });
    } catch {
      return undefined;
    }
    if (nm.code !== 0)
      throw new EngineInstallError(`cannot read the symbols of ${file}: ${lastLines(nm.output)}`);
    // `U TFE_NewContext` / `T TFE_NewContext@@tensorflow`: the name before any version tag.
    return nm.output.split('\n').map((line) => line.trim().split(/\s+/).pop()?.split('@')[0] ?? '');
  };
  const imported = await names(binding, '--undefined-only');
  if (!imported) {
    log('nm not found: the C API check is left to loading the binding\n');
    return;
  }
  const called = imported.filter((n) => /^TFE?_/.test(n));
  // The binding links both libraries; some of the C API (TF_Status, TF_Tensor) lives in the framework one.
  const libs = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'].map((l) =>
    join(pkgDir, 'deps', 'lib', l),
  );
  const defined = new Set<string>();
  for (const lib of libs) {
    for (const name of (await names(lib, '--defined-only')) ?? []) defined.add(name);
  }
  const lib = 'libtensorflow_cc.so.2';
  const missing = called.filter((s) => !defined.has(s)).sort();
  log(
    `${called.length} C API functions called by the binding; ${missing.length} missing from the wheel's libraries\n`,
  );
  if (missing.length > 0)
    throw new EngineInstallError(
      `the wheel's ${lib} and libtensorflow_framework.so.2 do not export C API functions the binding calls: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''}; use a tensorflow-cpu 2.x wheel (2.21 is known to work)`,
    );
}

/** A `node` on PATH (real Node.js), for node-gyp. */
function nodeOnPath(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(d, 'node');
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/** A Node.js installation prefix with the N-API headers (include/node/node_api.h), so node-gyp need not download them. */
function nodeHeaders(): string | undefined {
  const prefixes = [
    process.env.npm_config_nodedir,
    ...[process.execPath, nodeOnPath()].map((p) => p && dirname(dirname(realpathSync(p)))),
  ];
  return prefixes.find((p) => p && existsSync(join(p, 'include', 'node', 'node_api.h')));
}

/** Loads the engine from `folder` in a child process (as a trainer would) and trains one step on it. */
async function checkEngine(
  engine: EngineName,
  folder: string,
  cliPath: string | undefined,
  log: (t: string) => void,
): Promise<string> {
  const cli = cliPath ?? join(__dirname, 'cli.js');
  const node = process.execPath;
  // The check resolves the engine through the engines folder alone, as an installed extension would.
  const r = await run(node, [cli, 'engine', 'check', engine], {
    log,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', WDLAB_ENGINE_FOLDER: folder },
  });
  // What the engine said, less TensorFlow's start-up notices, which would hide the error.
  const said = r.output
    .split('\n')
    .filter((line) => !isEngineNoise(line))
    .join('\n');
  if (r.code !== 0) throw new EngineInstallError(`the installed engine does not load: ${lastLines(said)}`);
  return lastLines(said, 1);
}
