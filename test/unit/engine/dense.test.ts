// The dense layer's written-out gradient (ops/dense.ts, which routes the transposed products around wasm's
// slow transposed MatMul, ops/matmul.ts) against tfjs's own gradient of matMul + add, on cpu and on wasm,
// and matMulT against tf.matMul with the flags for every transpose combination.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { dense } from '../../../src/engine/ops/dense';
import { matMulT } from '../../../src/engine/ops/matmul';
import { tf } from '../../../src/engine/tf';
import { wasmDir } from '../../helpers/backend';

const maxRelative = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.div(tf.max(tf.abs(tf.sub(a, b))), tf.add(tf.max(tf.abs(b)), 1e-12)).dataSync()[0]);

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`dense and matMulT on ${backend}`, () => {
    test('dX, dW and db equal tfjs’s gradient of matMul + bias', async () => {
      await initBackend(backend, { wasmDir: wasmDir() });
      tf.tidy(() => {
        const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
        const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
        const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
        const r = tf.randomNormal([7, 3], 0, 1, 'float32', 4);
        const ours = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(dense(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), r)),
        )([x, w, b]);
        const theirs = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(tf.add(tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D), bi), r)),
        )([x, w, b]);
        assert.ok(maxRelative(dense(x, w, b), tf.add(tf.matMul(x, w), b)) < 1e-6, 'value');
        ['dX', 'dW', 'db'].forEach((name, i) => {
          assert.deepEqual(ours[i].shape, theirs[i].shape, name);
          const err = maxRelative(ours[i], theirs[i]);
          assert.ok(err < 1e-5, `${name}: ${err}`);
        });
      });
    });

    test('matMulT equals tf.matMul with the transpose flags', async () => {
      await initBackend(backend, { wasmDir: wasmDir() });
      tf.tidy(() => {
        const a = tf.randomNormal([4, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
        const b = tf.randomNormal([6, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
        for (const [ta, tb] of [
          [false, false],
          [true, true],
        ] as const) {
          assert.ok(maxRelative(matMulT(a, b, ta, tb), tf.matMul(a, b, ta, tb)) < 1e-6, `${ta} ${tb}`);
        }
        const sq = tf.randomNormal([6, 6], 0, 1, 'float32', 7) as tf.Tensor2D;
        assert.ok(maxRelative(matMulT(sq, b, true, false), tf.matMul(sq, b, true, false)) < 1e-6, 'A^T B');
        assert.ok(maxRelative(matMulT(a, sq, false, true), tf.matMul(a, sq, false, true)) < 1e-6, 'A B^T');
      });
    });
  });
}
