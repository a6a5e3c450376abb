// Where the native training engines are found (docs/engines.md). The bundles carry tfjs-core and the
// wasm/cpu backends; the native engines are packages with native code that a bundle cannot hold:
//
//   tensorflow      @tensorflow/tfjs-node      libtensorflow with oneDNN on the CPU
//   tensorflow-gpu  @tensorflow/tfjs-node-gpu  libtensorflow with CUDA
//   webgpu          webgpu                     Dawn (Vulkan, Metal, D3D12)
//
// Each is looked up first beside the running bundle (a development checkout's node_modules, where a normal
// `npm install` put it), then in the engines folder, where `wdlab engine install` (and the extension's
// "Install Training Engine" command) put it: one npm project per engine, `<engines>/<engine>/node_modules`.
// An extension installed from a VSIX has no node_modules, so the engines folder is its only route.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export type EngineName = 'tensorflow' | 'tensorflow-gpu' | 'webgpu';

export const ENGINE_PACKAGES: Record<EngineName, string> = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: 'webgpu',
};

export const ENGINE_NAMES = Object.keys(ENGINE_PACKAGES) as EngineName[];

/** The engines folder: $WDLAB_ENGINES (the extension passes `wdlab.enginePath`), else the cache folder. */
export function enginesDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.WDLAB_ENGINES?.trim();
  if (fromEnv) return fromEnv;
  const cache = env.XDG_CACHE_HOME?.trim();
  return join(cache && isAbsolute(cache) ? cache : join(homedir(), '.cache'), 'wdlab', 'engines');
}

/** One engine's npm project inside the engines folder. */
export const engineFolder = (engine: EngineName, dir = enginesDirectory()): string => join(dir, engine);

/** What `wdlab engine install` records beside an engine it installed (engine.json). */
export interface EngineManifest {
  engine: EngineName;
  package: string;
  version: string;
  /** How its native library was obtained, e.g. "libtensorflow 2.9.1 (download)" or "tensorflow-cpu 2.21.0 wheel". */
  library: string;
  installedAt: string;
}

export function readEngineManifest(folder: string): EngineManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, 'engine.json'), 'utf8')) as EngineManifest;
  } catch {
    return undefined;
  }
}

/** Where a package was loaded from, for run.json and the Runs view. */
export interface LoadedEngine<T> {
  module: T;
  /** The package's folder. */
  path: string;
  /** `bundle` (beside the running code) or `engines` (the engines folder). */
  source: 'bundle' | 'engines';
  library?: string;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

const isMissing = (e: unknown, pkg: string): boolean =>
  (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && errorText(e).includes(pkg);

/**
 * The places an engine is resolved from, in order: [require base, source]. $WDLAB_ENGINE_FOLDER names one
 * engine folder to use alone (the installer's check of a folder before it is moved into place).
 */
function candidates(engine: EngineName, env: NodeJS.ProcessEnv): [string, 'bundle' | 'engines'][] {
  const only = env.WDLAB_ENGINE_FOLDER?.trim();
  if (only) return [[join(only, 'package.json'), 'engines']];
  // createRequire keeps the bundler from resolving (and failing on) the optional package at build time.
  return [
    [__filename, 'bundle'],
    [join(engineFolder(engine, enginesDirectory(env)), 'package.json'), 'engines'],
  ];
}

/** Tries each place in turn with `load` (resolve or require); the error names every place tried. */
function fromFirstPlace<T>(
  engine: EngineName,
  env: NodeJS.ProcessEnv,
  load: (req: NodeJS.Require, pkg: string) => T,
): LoadedEngine<T> {
  const pkg = ENGINE_PACKAGES[engine];
  const errors: string[] = [];
  for (const [base, source] of candidates(engine, env)) {
    const where = source === 'bundle' ? 'beside the bundle' : dirnameOf(base);
    try {
      const req = createRequire(base);
      const path = packageFolder(req.resolve(pkg), pkg);
      const module = load(req, pkg);
      const manifest = source === 'engines' ? readEngineManifest(dirnameOf(base)) : undefined;
      return { module, path, source, library: manifest?.library };
    } catch (e) {
      errors.push(
        isMissing(e, pkg)
          ? `not ${source === 'bundle' ? where : `in ${where}`}`
          : `${where}: ${errorText(e)}`,
      );
    }
  }
  throw new Error(`${pkg}: ${errors.join('; ')}`);
}

/** Resolves an engine's entry file without loading it (webgpu is an ES module its caller imports). */
export const resolveEngine = (
  engine: EngineName,
  env: NodeJS.ProcessEnv = process.env,
): LoadedEngine<string> => fromFirstPlace(engine, env, (req, pkg) => req.resolve(pkg));

/** Loads a CommonJS engine package (tfjs-node) from the first place that has it. */
export const requireEngine = <T>(engine: EngineName, env: NodeJS.ProcessEnv = process.env): LoadedEngine<T> =>
  fromFirstPlace(engine, env, (req, pkg) => req(pkg) as T);

const dirnameOf = (file: string): string => file.slice(0, file.lastIndexOf('/')) || '/';

/** The folder of `pkg` from its resolved entry file (…/node_modules/<pkg>/dist/index.js). */
function packageFolder(entry: string, pkg: string): string {
  const marker = `/node_modules/${pkg}/`;
  const at = entry.lastIndexOf(marker);
  return at >= 0 ? entry.slice(0, at + marker.length - 1) : dirnameOf(entry);
}
