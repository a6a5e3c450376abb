// Which K-FAC inverse method `inverseMethod: "auto"` means on a backend: Newton-Schulz on the
// training backend where matmuls are cheap (a GPU through webgpu, or native TensorFlow) and the factored
// scheme allows it, else the float64 eigendecomposition. One rule for the engine (kfac.ts, with the backend
// that runs) and the validator (semantic.ts, with the spec's training.backend).
import { backendDescriptor } from './backends';
import type { KfacInverseMethod, KfacSpec } from './types';

export function resolveInverseMethod(
  spec: Pick<KfacSpec, 'inverseMethod' | 'dampingScheme'>,
  backend: string,
): KfacInverseMethod {
  if (spec.inverseMethod !== 'auto') return spec.inverseMethod;
  return spec.dampingScheme === 'factored' && backendDescriptor(backend).capabilities.deviceInverses
    ? 'newtonSchulz'
    : 'eigendecomposition';
}
