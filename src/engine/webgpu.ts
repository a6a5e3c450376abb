// The WebGPU backend in Node (docs/engines.md): Dawn from the optional npm package `webgpu` (it ships
// its binaries; nothing is downloaded) under @tensorflow/tfjs-backend-webgpu. Any vendor's GPU works without
// a CUDA install; Linux needs the Vulkan loader (libvulkan1) and the GPU's Vulkan driver (ICD). Without a
// GPU, Dawn can still run on Mesa's llvmpipe through its OpenGL backend (compatibility feature level,
// EGL_PLATFORM=surfaceless; Debian libegl1 libgl1-mesa-dri): slow, but the same kernels, which is what the
// cross-backend tests use. tfjs-backend-webgpu registers itself only if navigator.gpu exists when it
// loads, so this module registers the backend itself once Dawn has an adapter.
import { pathToFileURL } from 'node:url';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { resolveEngine } from './engines';
import { tf } from './tf';

/** The parts of the `webgpu` package's API used here (its own types need the DOM's WebGPU typings). */
interface DawnAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}
interface DawnAdapter {
  info: DawnAdapterInfo;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: object): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(options?: object): Promise<DawnAdapter | null>;
}
interface Dawn {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** Why a Linux machine shows no adapter, and what to install (docs/engines.md). */
export const WEBGPU_LINUX_HELP =
  'Dawn found no GPU through Vulkan: install the Vulkan loader (Debian/Ubuntu: libvulkan1) and your GPU driver’s Vulkan ICD ' +
  '(NVIDIA: the driver’s nvidia_icd.json, pointed to by VK_DRIVER_FILES if it is not under /usr/share/vulkan/icd.d)';

let dawn: Promise<Dawn> | undefined;

/** `webgpu` is an ES module around a native addon: imported at run time from node_modules, never bundled. */
function loadDawn(): Promise<Dawn> {
  if (!dawn) {
    const url = pathToFileURL(resolveEngine('webgpu').module).href;
    // A real dynamic import (esbuild would turn `import()` into require(), which cannot load ES modules).
    const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Dawn>;
    dawn = importModule(url);
  }
  return dawn;
}

const isSoftware = (info: DawnAdapterInfo): boolean =>
  /llvmpipe|lavapipe|swiftshader|softpipe/i.test(`${info.device} ${info.description}`);

export const describeAdapter = (info: DawnAdapterInfo): string =>
  [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ') ||
  'unknown adapter';

let registered: string | undefined;

/**
 * Finds an adapter (a real GPU; with allowSoftware also llvmpipe), registers and selects tfjs's `webgpu`
 * backend on it, and returns the device description. Throws with the reason (and what to install) otherwise.
 */
export async function tryWebgpu(options: { allowSoftware: boolean }): Promise<string> {
  if (registered && (await tf.setBackend('webgpu'))) return registered;
  let d: Dawn;
  try {
    d = await loadDawn();
  } catch (e) {
    dawn = undefined;
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'MODULE_NOT_FOUND'
        ? 'the optional package "webgpu" (Dawn) is not installed: npm install webgpu'
        : `the "webgpu" package did not load: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  // GPUBufferUsage, GPUMapMode, ...: the constants tfjs-backend-webgpu reads from globalThis.
  Object.assign(globalThis, d.globals);
  let gpu = d.create([]);
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if ((!adapter || isSoftware(adapter.info)) && options.allowSoftware) {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    gpu = d.create(['backend=opengl']);
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
  }
  if (!adapter) {
    throw new Error(
      process.platform === 'linux'
        ? `no WebGPU adapter: ${WEBGPU_LINUX_HELP}`
        : 'no WebGPU adapter: Dawn found no usable GPU',
    );
  }
  if (isSoftware(adapter.info) && !options.allowSoftware) {
    throw new Error(`only a software adapter (${describeAdapter(adapter.info)}), slower than wasm`);
  }
  const found = adapter;
  // tfjs-backend-webgpu checks navigator.gpu (Node 21+ has a read-only navigator: redefine it).
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', {
    value: { ...nav, gpu },
    configurable: true,
    writable: true,
  });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  // The registration tfjs-backend-webgpu's base.ts would make, on our adapter.
  tf.registerBackend('webgpu', async () => {
    const limits = found.limits;
    const device = await found.requestDevice({
      requiredFeatures: found.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    // biome-ignore lint/suspicious/noExplicitAny: Dawn's GPUDevice is the DOM's, which tfjs types as GPUDevice.
    return new WebGPUBackend(device as any, found.info as any);
  });
  if (!(await tf.setBackend('webgpu')))
    throw new Error(`could not initialise on ${describeAdapter(found.info)}`);
  registered = `WebGPU (Dawn, ${describeAdapter(found.info)}${isSoftware(found.info) ? ', software rendering' : ''})`;
  return registered;
}
