// The backend registry: one line per backend (docs/architecture.md, Adding a backend). An unknown name is
// an error, never a silent fallback to a default.
import type { BackendName } from '../types';
import type { BackendDescriptor } from './descriptor';

export type { BackendDescriptor } from './descriptor';

const tensorflow: BackendDescriptor = {
  name: 'tensorflow',
  nativeEngine: true,
  device: 'cpu',
  autoRank: 0,
  capabilities: { deviceInverses: true, gradientThreads: 'none' },
  workarounds: { explicitTranspose: false, channelReductionByMatmul: false },
};

const webgpu: BackendDescriptor = {
  name: 'webgpu',
  nativeEngine: true,
  device: 'gpu',
  autoRank: 1,
  capabilities: { deviceInverses: true, gradientThreads: 'none' },
  workarounds: { explicitTranspose: false, channelReductionByMatmul: false },
};

const wasm: BackendDescriptor = {
  name: 'wasm',
  nativeEngine: false,
  device: 'cpu',
  autoRank: 2,
  // tfjs runs wasm kernels on one thread under Node: the cores are used by data parallelism instead.
  capabilities: { deviceInverses: false, gradientThreads: 'auto', memoryLimitBytes: 4 * 1024 ** 3 },
  workarounds: { explicitTranspose: true, channelReductionByMatmul: true },
};

const cpu: BackendDescriptor = {
  name: 'cpu',
  nativeEngine: false,
  device: 'cpu',
  autoRank: 3,
  capabilities: { deviceInverses: false, gradientThreads: 'explicit' },
  workarounds: { explicitTranspose: false, channelReductionByMatmul: false },
};

const REGISTRY: { [B in Exclude<BackendName, 'auto'>]: BackendDescriptor } = {
  tensorflow,
  webgpu,
  wasm,
  cpu,
};

/** Every backend, in `auto`'s order of preference. */
export const BACKENDS: readonly BackendDescriptor[] = Object.values(REGISTRY).sort(
  (a, b) => a.autoRank - b.autoRank,
);

export function backendDescriptor(name: string): BackendDescriptor {
  const d = (REGISTRY as Record<string, BackendDescriptor | undefined>)[name];
  if (!d) throw new Error(`unknown backend "${name}" (known: ${BACKENDS.map((b) => b.name).join(', ')})`);
  return d;
}
