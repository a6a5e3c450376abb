// Backend selection (docs/architecture.md, Engine): `auto` tries the native TensorFlow binding
// (tfjs-node-gpu, then tfjs-node: optional dependencies whose install downloads libtensorflow and so is
// absent on machines without internet), then WebGPU on a real GPU (Dawn from the optional `webgpu`
// package, docs/engines.md), then wasm (XNNPACK + SIMD), then the pure-JS cpu backend.
// Probing never throws: every skipped backend is reported with the reason, for run.json and the UI.
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import util from 'node:util';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendReport } from '../protocol/records';
import { BACKENDS, backendDescriptor } from '../spec/backends';
import type { BackendName } from '../spec/types';
import { ENGINE_PACKAGES, requireEngine } from './engines';
import { tf } from './tf';
import { tryWebgpu } from './webgpu';

/** The run.json backend report (src/protocol/records.ts), with the name narrowed to a backend that runs. */
export type BackendInfo = BackendReport & { name: Exclude<BackendName, 'auto'> };

/** What `auto` says when it ran on wasm or cpu because no native TensorFlow engine was found. */
export const NATIVE_ENGINE_HINT =
  'native TensorFlow trains several times faster on a CPU: install it with "wdlab engine install tensorflow" or the command "Weight Decay Lab: Install Training Engine"';

export interface BackendOptions {
  /** Folder with tfjs-backend-wasm's .wasm files; defaults to `wasm/` beside the running bundle. */
  wasmDir?: string;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/**
 * tfjs-node 4.22 calls `util.isNullOrUndefined` and `util.isArray`, which Node 23 removed (code-server's
 * extension host runs Node 24): put them back, as they were, before it loads.
 */
function restoreUtilPredicates(): void {
  const legacy = util as unknown as Record<string, unknown>;
  legacy.isNullOrUndefined ??= (value: unknown) => value === null || value === undefined;
  legacy.isArray ??= Array.isArray;
}

/**
 * Runs `load` with tfjs's and TensorFlow's start-up messages off: tfjs-node brings the whole tfjs union package, whose second copy of
 * the cpu backend re-registers ~200 kernels in the shared registry, each with a warning on stderr.
 */
function quietly<T>(load: () => T): T {
  restoreUtilPredicates();
  // Fewer of TensorFlow's own INFO lines; those printed before its logging starts are filtered from a
  // failed run's reason instead (runner/failures.ts).
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    return load();
  } finally {
    tf.env().set('PROD', prod);
  }
}

/** The native engines `tensorflow` tries, GPU first; the engine that loaded is named in the device. */
async function tryTensorflow(): Promise<string> {
  const errors: string[] = [];
  for (const engine of ['tensorflow-gpu', 'tensorflow'] as const) {
    try {
      const loaded = quietly(() => requireEngine(engine));
      const where = loaded.source === 'engines' ? `from ${loaded.path}` : 'from node_modules';
      // The binding registers itself in the global tfjs engine, which its own copy of tfjs-core shares
      // with the one bundled here (tfjs keeps its engine and kernel registry on the global object).
      if (!tf.findBackendFactory('tensorflow')) {
        errors.push(
          `${ENGINE_PACKAGES[engine]} loaded ${where} but registered no backend with this engine's tfjs-core`,
        );
        continue;
      }
      if (await tf.setBackend('tensorflow'))
        return `${ENGINE_PACKAGES[engine]} ${where}${loaded.library ? `, ${loaded.library}` : ''}`;
      errors.push(`${ENGINE_PACKAGES[engine]} could not initialise`);
    } catch (e) {
      errors.push(errorText(e));
    }
  }
  throw new Error(`${errors.join('; ')}; install it with "wdlab engine install tensorflow"`);
}

async function tryWasm(options: BackendOptions): Promise<string> {
  const dir = options.wasmDir ?? join(__dirname, 'wasm');
  setWasmPaths(dir.endsWith('/') ? dir : `${dir}/`);
  // tfjs-backend-wasm registers itself on import; initialisation compiles the module.
  if (!(await tf.setBackend('wasm'))) throw new Error(`could not initialise from ${dir}`);
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, ${ONE_THREAD})`;
}

/** tfjs runs each wasm instance on one thread under Node (docs/engines.md, Backends). */
const ONE_THREAD = '1 thread';

/** The backend as a data-parallel run uses it: its device says over how many threads a step runs. */
export function withThreads(info: BackendInfo, threads: number): BackendInfo {
  if (threads <= 1) return info;
  const split = `${threads} threads, the batch split between them`;
  const device = info.device.includes(ONE_THREAD)
    ? info.device.replace(ONE_THREAD, split)
    : `${info.device}, ${split}`;
  return { ...info, device };
}

async function tryCpu(): Promise<string> {
  if (!(await tf.setBackend('cpu'))) throw new Error('could not initialise');
  return 'CPU (pure JavaScript)';
}

const versions = (): Record<string, string> => ({
  'tfjs-core': tf.version_core,
  node: process.versions.node,
});

type Starter = Exclude<BackendName, 'auto'>;

/** How each backend is started (one line per backend); the device description it reports. */
const STARTERS: { [B in Starter]: (requested: BackendName, options: BackendOptions) => Promise<string> } = {
  tensorflow: async () => `TensorFlow native (${await tryTensorflow()})`,
  // Asked for by name, a software adapter (Mesa llvmpipe) is accepted; `auto` wants a real GPU.
  webgpu: (requested) => tryWebgpu({ allowSoftware: requested === 'webgpu' }),
  wasm: (_requested, options) => tryWasm(options),
  cpu: () => tryCpu(),
};

/** Selects and initialises the backend the spec asks for; `auto` picks the fastest usable one. */
export async function initBackend(
  requested: BackendName,
  options: BackendOptions = {},
): Promise<BackendInfo> {
  // `auto`: every backend in its descriptor's order of preference (src/spec/backends/).
  const order = requested === 'auto' ? BACKENDS.map((b) => b.name as Starter) : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      const start = STARTERS[name];
      if (!start) throw new Error(`unknown backend (known: ${Object.keys(STARTERS).join(', ')})`);
      const device = await start(requested, options);
      await tf.ready();
      // A portable backend ran although a native engine was asked for first: say how to install it.
      const slow = !backendDescriptor(name).nativeEngine;
      const hint = slow && skipped.some((s) => s.name === 'tensorflow') ? NATIVE_ENGINE_HINT : undefined;
      return {
        name,
        tfjsBackend: tf.getBackend(),
        device,
        skipped,
        versions: versions(),
        ...(hint ? { hint } : {}),
      };
    } catch (e) {
      skipped.push({ name, reason: errorText(e) });
    }
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(`no usable backend for "${requested}" (${why})`);
}
