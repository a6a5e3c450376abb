// The build's patch of tfjs-core's backward pass (scripts/tfjsTapeReleasesGradients.mjs): each
// intermediate gradient is freed once used, so a backward pass holds the saved activations and a few
// gradients instead of one gradient per intermediate tensor. Checked on a chain whose saved activations are
// known exactly, with gradients against their closed form, on cpu and wasm.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { customOp } from '../../../src/engine/ops/customOp';
import { tf } from '../../../src/engine/tf';
import { wasmDir } from '../../helpers/backend';

const N = 50_000;
const DEPTH = 40;

/** The backend's live data buffers (real memory; tf.memory() counts a tensor's clones twice). */
const liveBuffers = (): number => tf.engine().backend.numDataIds();

/** Identity whose backward notes the most live buffers seen while the backward pass runs. */
function bufferWatch(): { op: (t: tf.Tensor) => tf.Tensor; peak: () => number } {
  let peak = 0;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      peak = Math.max(peak, liveBuffers());
      return [tf.clone(dy)];
    },
  }));
  return { op: (t) => op(t) as tf.Tensor, peak: () => peak };
}

/** x -> sin(sin(...sin(x))) DEPTH times, summed: each Sin saves its input (one [N] buffer per layer). */
const sinChain = (x: tf.Tensor, watch: (t: tf.Tensor) => tf.Tensor): tf.Scalar => {
  let h = x;
  for (let k = 0; k < DEPTH; k++) h = watch(tf.sin(h));
  return tf.sum(h);
};

/** d/dx of sum(sin^DEPTH(x)) = prod_k cos(h_k), h_0 = x, in float64. */
function sinChainGradient(x: Float32Array): Float64Array {
  return Float64Array.from(x, (v) => {
    let h = v;
    let g = 1;
    for (let k = 0; k < DEPTH; k++) {
      g *= Math.cos(h);
      h = Math.sin(h);
    }
    return g;
  });
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tol, `${what}: max abs error ${worst}`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`backward pass memory (${backend})`, () => {
    test('a 40-layer chain peaks at its saved activations plus a few gradients, with exact gradients', async () => {
      await initBackend(backend, { wasmDir: wasmDir() });
      const data = Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.37) * 2);
      const x = tf.tensor1d(data);
      const tensorsBefore = tf.memory().numTensors;
      const buffersBefore = liveBuffers();
      const watch = bufferWatch();
      const gradient = tf.grad((t: tf.Tensor) => sinChain(t, watch.op))(x);
      // Saved: the DEPTH inputs of Sin (x, allocated before, among them). Unpatched, the pass also holds
      // every intermediate gradient until it ends: about 2 x DEPTH buffers by the last layer.
      const peak = watch.peak() - buffersBefore;
      assert.ok(peak <= DEPTH + 8, `${peak} [N]-buffers live during the backward pass (saved: ${DEPTH - 1})`);
      assertClose(await gradient.data(), sinChainGradient(data), 1e-5, 'gradient');
      gradient.dispose();
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
      x.dispose();
    });

    test('customOp frees what its gradient function creates; a bare tf.customGrad keeps it to the end', async () => {
      await initBackend(backend, { wasmDir: wasmDir() });
      const x = tf.tensor1d(Float32Array.from({ length: N }, (_, i) => Math.cos(i)));
      /** Doubles its input; the gradient builds 2 dy the long way (4 temporaries). */
      const doubling = (make: typeof customOp) =>
        make((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
          value: tf.mul(args[0] as tf.Tensor, 2),
          gradFunc: (dy: tf.Tensor) =>
            tf.add(tf.add(tf.mul(dy, 0.5), tf.mul(dy, 0.5)), tf.add(dy, tf.mul(dy, 0))),
        }));
      const peakWith = (make: typeof customOp): { peak: number; gradient: tf.Tensor } => {
        const before = liveBuffers();
        const watch = bufferWatch();
        const op = doubling(make);
        const gradient = tf.grad((t: tf.Tensor) => {
          let h = t;
          for (let k = 0; k < DEPTH; k++) h = watch.op(op(h));
          return tf.sum(h);
        })(x);
        return { peak: watch.peak() - before, gradient };
      };
      const scoped = peakWith(customOp);
      const bare = peakWith(tf.customGrad as unknown as typeof customOp);
      // Nothing is saved, so the scoped chain holds a few buffers; the bare one keeps 4 per layer.
      assert.ok(scoped.peak <= 8, `customOp: ${scoped.peak} buffers live`);
      assert.ok(
        bare.peak >= 3 * DEPTH,
        `bare tf.customGrad: ${bare.peak} buffers live (the oracle's premise)`,
      );
      const expected = 2 ** DEPTH;
      for (const { gradient } of [scoped, bare]) {
        assertClose(await gradient.data(), new Float64Array(N).fill(expected), expected * 1e-6, 'gradient');
        gradient.dispose();
      }
      x.dispose();
    });

    test('a gradient returned for two inputs, and the caller’s dy, survive the release', async () => {
      await initBackend(backend, { wasmDir: wasmDir() });
      const data = Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i * 0.11));
      const x = tf.tensor1d(data);
      // sum(a + b) whose gradient function hands the same dy object to both inputs.
      const addSharingDy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [a, b] = args as tf.Tensor[];
        return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor) => [dy, dy] };
      });
      // y = 3 * (sin x + cos x): dy/dx = 3 (cos x - sin x), the shared dy being 3 (not a seed).
      const f = (t: tf.Tensor) => tf.mul(addSharingDy(tf.sin(t), tf.cos(t)) as tf.Tensor, 3);
      const dy = tf.fill([1000], 0.5);
      const [g] = tf.grads(f)([x], dy);
      assert.equal(dy.isDisposed, false, 'the caller’s dy is the caller’s');
      const expected = Float64Array.from(data, (v) => 0.5 * 3 * (Math.cos(v) - Math.sin(v)));
      assertClose(await g.data(), expected, 1e-5, 'gradient through a shared dy');
      tf.dispose([x, dy, g]);
    });
  });
}
