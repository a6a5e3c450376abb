// Reading values back from the device, always asynchronously: WebGPU in Node has no synchronous
// readback (tfjs-backend-webgpu's readSync needs an OffscreenCanvas), and on a GPU an asynchronous read
// lets the queue keep running. Every number the engine logs comes through here.
import type { tf } from './tf';

/** The values of `t` (float32 or int32 as stored), without disposing it. */
export async function read(t: tf.Tensor): Promise<Float32Array | Int32Array> {
  return (await t.data()) as Float32Array | Int32Array;
}

/** Reads `t`, then disposes it. */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array | Int32Array> {
  try {
    return await read(t);
  } finally {
    t.dispose();
  }
}
