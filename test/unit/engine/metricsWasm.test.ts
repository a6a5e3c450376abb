// Metrics on the wasm backend. Its Sum adds sequentially (relative error ~3e-3 at 4e6 terms): the
// two-stage sums of metrics/reduce.ts, and the angular update and weight norm of a kernel of VGG16's size,
// against float64. Its convs train through the custom gradient of ops/conv.ts, which the Jacobian norm
// runs with the filter half skipped: same value, and training gradients untouched.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { createRng } from '../../../src/engine/data/random';
import { angularUpdates } from '../../../src/engine/metrics/angularUpdate';
import { jacobianNormExact } from '../../../src/engine/metrics/jacobian';
import { weightNorms } from '../../../src/engine/metrics/mechanism1';
import { sumAll } from '../../../src/engine/metrics/reduce';
import { buildModel } from '../../../src/engine/models/build';
import type { LinearLayer } from '../../../src/engine/models/model';
import { conv2dCustomGradient, inputGradientsOnly } from '../../../src/engine/ops/conv';
import { tf } from '../../../src/engine/tf';
import { wasmDir } from '../../helpers/backend';

before(async () => {
  await initBackend('wasm', { wasmDir: wasmDir() });
});

describe('accurate reductions (wasm)', () => {
  test('sumAll of 4e6 positive terms is within 1e-5 of float64', () => {
    const rng = createRng('sum');
    const data = Float32Array.from({ length: 4_000_003 }, () => rng.uniform());
    let reference = 0;
    for (const v of data) reference += v;
    const t = tf.tensor1d(data);
    const [accurate, naive] = [sumAll(t).dataSync()[0], tf.sum(t).dataSync()[0]];
    console.log(
      `# 4e6 terms: two-stage ${(accurate / reference - 1).toExponential(2)}, tf.sum ${(naive / reference - 1).toExponential(2)}`,
    );
    assert.ok(Math.abs(accurate / reference - 1) < 1e-5);
    tf.dispose(t);
  });

  test('weight norm and angular update of a 3x3x512x512 kernel match float64', async () => {
    const rng = createRng('big-kernel');
    const shape = [3, 3, 512, 512];
    const size = 3 * 3 * 512 * 512;
    const a = Float32Array.from({ length: size }, () => rng.normal());
    // b = a + a small random step: an angle of ~1e-3.
    const b = Float32Array.from(a, (v) => v + 1e-3 * rng.normal());
    let [aa, ab, bb] = [0, 0, 0];
    for (let i = 0; i < size; i++) {
      aa += a[i] * a[i];
      ab += a[i] * b[i];
      bb += b[i] * b[i];
    }
    const reference = Math.atan2(Math.sqrt(Math.max(0, aa * bb - ab * ab)), ab);
    const kernel = tf.variable(tf.tensor4d(a, shape as [number, number, number, number]));
    const layer = { name: 'big', kernel } as unknown as LinearLayer;
    const [norm] = await weightNorms([layer]);
    assert.ok(Math.abs(norm / Math.sqrt(aa) - 1) < 1e-5, `norm ${norm} vs ${Math.sqrt(aa)}`);
    const [angle] = await angularUpdates(
      [kernel],
      [tf.tensor4d(b, shape as [number, number, number, number])],
    );
    console.log(`# 2.4e6-element kernel: angle ${angle} vs float64 ${reference}`);
    assert.ok(Math.abs(angle / reference - 1) < 1e-4, `angle ${angle} vs ${reference}`);
  });
});

describe('Jacobian norm through the custom conv gradient (wasm)', () => {
  test('skipping the filter gradient changes neither the Jacobian norm nor training gradients', async () => {
    const model = buildModel(
      { arch: 'vgg', depth: 11, width: 1 / 16, batchNorm: true, batchNormMomentum: 0.9, hidden: [] },
      [8, 8, 3],
      10,
      4,
    );
    const x = tf.randomNormal([6, 8, 8, 3], 0, 1, 'float32', 5);
    // The reference: every class's input gradient with the full custom gradient (filter half computed).
    const full = tf.tidy(() => {
      let total = 0;
      for (let c = 0; c < 10; c++) {
        const g = tf.grad((input: tf.Tensor) =>
          tf.sum(tf.slice(model.forward(input, false), [0, c], [-1, 1])),
        )(x);
        total += tf.sum(tf.square(g)).dataSync()[0];
      }
      return total / 6;
    });
    const skipped = await jacobianNormExact(model, x);
    console.log(
      `# VGG11/16 on wasm: jacobianNorm ${skipped} (filter gradient skipped) vs ${full} (computed)`,
    );
    assert.ok(Math.abs(skipped / full - 1) < 1e-5, `${skipped} vs ${full}`);
    // Outside inputGradientsOnly the filter gradient is back.
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 6));
    const loss = () =>
      tf.sum(conv2dCustomGradient(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 1, 'same')) as tf.Scalar;
    const inside = inputGradientsOnly(() => tf.variableGrads(loss, [w]).grads[w.name]);
    const outside = tf.variableGrads(loss, [w]).grads[w.name];
    assert.equal(tf.max(tf.abs(inside)).dataSync()[0], 0, 'skipped inside');
    assert.ok(tf.max(tf.abs(outside)).dataSync()[0] > 0, 'computed outside');
    model.dispose();
  });
});
