// The backend descriptors (src/spec/backends/) against what the engine really does with each backend it
// can start here: the names are tfjs's backend ids, the workarounds apply exactly where the descriptor says
// (the op's result is tfjs's own either way), and an unknown backend is an error at each layer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { activeBackend } from '../../../src/engine/activeBackend';
import { initBackend } from '../../../src/engine/backend';
import { channelMean, channelSum } from '../../../src/engine/ops/channels';
import { matMulT } from '../../../src/engine/ops/matmul';
import { resolveThreads } from '../../../src/engine/parallel/threads';
import { tf } from '../../../src/engine/tf';
import { loadSpecText } from '../../../src/spec';
import { BACKENDS, backendDescriptor } from '../../../src/spec/backends';
import { resolveInverseMethod } from '../../../src/spec/inverseMethod';
import type { BackendName } from '../../../src/spec/types';
import { wasmDir } from '../../helpers/backend';

describe('backend descriptors', () => {
  test('the schema offers exactly auto and the registered backends, in auto’s order', () => {
    const loaded = loadSpecText(JSON.stringify({ name: 'x', training: { backend: 'opencl' } }));
    const error = loaded.diagnostics.find((d) => d.path === 'training.backend');
    assert.ok(error, 'an unknown backend is a spec error');
    for (const b of BACKENDS) assert.match(error.message, new RegExp(b.name));
    assert.deepEqual(
      BACKENDS.map((b) => b.name),
      ['tensorflow', 'webgpu', 'wasm', 'cpu'],
    );
    assert.throws(
      () => backendDescriptor('opencl'),
      /unknown backend "opencl" \(known: tensorflow, webgpu, wasm, cpu\)/,
    );
  });

  for (const name of ['cpu', 'wasm'] as const) {
    test(`${name}: the engine's ops follow its descriptor and give tfjs's own values`, async () => {
      const info = await initBackend(name as BackendName, { wasmDir: wasmDir() });
      assert.equal(info.tfjsBackend, name, 'the descriptor name is tfjs’s backend id');
      const d = activeBackend();
      assert.equal(d.name, name);
      const a = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
      const b = tf.randomNormal([7, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
      const want = tf.matMul(a, b, true, false);
      const got = matMulT(a, b, true, false);
      assert.ok(tf.max(tf.abs(tf.sub(want, got))).dataSync()[0] < 1e-5);
      assert.ok(tf.max(tf.abs(tf.sub(channelMean(a), tf.mean(a, 0, true)))).dataSync()[0] < 1e-6);
      assert.ok(tf.max(tf.abs(tf.sub(channelSum(a), tf.sum(a, 0)))).dataSync()[0] < 1e-5);
      tf.dispose([a, b, want, got]);
      // What the descriptor says, the engine does: gradient threads and K-FAC's inverse method.
      const spec = loadSpecText(
        JSON.stringify({
          name: 'x',
          model: { arch: 'vgg' },
          data: { dataset: 'synthetic-images' },
          optimizer: { type: 'sgd' },
        }),
      ).spec!;
      const threads = resolveThreads(spec, name, 4);
      assert.equal(
        threads > 1,
        d.capabilities.gradientThreads === 'auto',
        `auto threads on ${name}: ${threads}`,
      );
      assert.equal(
        resolveInverseMethod({ inverseMethod: 'auto', dampingScheme: 'factored' }, name) === 'newtonSchulz',
        d.capabilities.deviceInverses,
      );
    });
  }

  test('descriptors of the backends not started here still decide the spec-side rules', () => {
    for (const d of BACKENDS) {
      assert.equal(
        resolveInverseMethod({ inverseMethod: 'auto', dampingScheme: 'factored' }, d.name),
        d.capabilities.deviceInverses ? 'newtonSchulz' : 'eigendecomposition',
        d.name,
      );
      assert.equal(
        resolveThreads({ training: { threads: 3, batchSize: 8 }, model: { arch: 'vgg' } } as never, d.name),
        d.capabilities.gradientThreads === 'none' ? 1 : 3,
        d.name,
      );
    }
    assert.throws(
      () => resolveInverseMethod({ inverseMethod: 'auto', dampingScheme: 'factored' }, 'opencl'),
      /unknown backend/,
    );
  });
});
