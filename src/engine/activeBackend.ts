// The descriptor (src/spec/backends/) of the backend tfjs runs now: the ops ask it which workarounds
// apply instead of comparing backend names.
import { type BackendDescriptor, backendDescriptor } from '../spec/backends';
import { tf } from './tf';

let cached: BackendDescriptor | undefined;

export function activeBackend(): BackendDescriptor {
  const name = tf.getBackend();
  if (cached?.name !== name) cached = backendDescriptor(name);
  return cached;
}
