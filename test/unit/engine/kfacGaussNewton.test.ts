// The K-FAC Gauss-Newton norm (metrics/kfacGaussNewton.ts) against closed forms, on the cpu backend:
//
// 1. One dense layer, f(x) = W^T [x; 1]. Its pre-activation is the output, so ds_c = e_c and S = I for
//    every input: K-FAC is exact, and kfacGnNorm = E||f(x)||^2 = gnNorm (H = I), for any inputs and biases.
// 2. A deep linear network of K bias-free dense layers, f(x) = M x with M = W_K^T ... W_1^T, on inputs with
//    E[x x^T] = I. Layer l's output gradient to logit c is the fixed row c of B_l = W_K^T ... W_{l+1}^T, so
//    S_l = B_l^T B_l; with A_l = E[a_l a_l^T] (the homogeneous row meets a zero bias row of W_l),
//    T_l tr(W_l^T A_l W_l S_l) = E||B_l W_l^T a_l||^2 = E||f(x)||^2 = ||M||_F^2 for every l. Hence
//      kfacGnNorm = K ||M||_F^2 = K ||J_x||_F^2      (the paper's (L+1) ||J_x||^2 with L + 1 = K layers),
//    while the exact GN norm is K^2 ||J_x||_F^2 (J_theta theta = K f(x): f is homogeneous of degree K in
//    theta), and jacobianNorm = ||M||_F^2 (exact estimator). The three are measured independently here.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { gaussNewtonNorm } from '../../../src/engine/metrics/gaussNewton';
import { jacobianNormExact } from '../../../src/engine/metrics/jacobian';
import { kfacGaussNewtonNorm } from '../../../src/engine/metrics/kfacGaussNewton';
import type { LinearLayer, Model } from '../../../src/engine/models/model';
import type { LinearTap } from '../../../src/engine/models/network';
import { tf } from '../../../src/engine/tf';

/** A stack of dense layers with no activation and no BN: the deep linear network of the paper's §4. */
function linearNetwork(
  sizes: number[],
  seed: number,
  withBias: boolean,
): Model & {
  forward(x: tf.Tensor, training: boolean, tap?: LinearTap): tf.Tensor2D;
} {
  const layers: LinearLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    layers.push({
      name: `fc${l + 1}`,
      kind: 'dense',
      kernel: tf.variable(
        tf.randomNormal([sizes[l], sizes[l + 1]], 0, 1 / Math.sqrt(sizes[l]), 'float32', seed + l),
      ),
      bias: tf.variable(
        withBias
          ? tf.randomNormal([sizes[l + 1]], 0, 0.5, 'float32', seed + 100 + l)
          : tf.zeros([sizes[l + 1]]),
      ),
      scaleInvariant: false,
      isLast: l + 2 === sizes.length,
    });
  }
  return {
    arch: 'mlp',
    inputShape: [sizes[0]],
    numClasses: sizes.at(-1)!,
    layers,
    forward(x: tf.Tensor, _training: boolean, tap?: LinearTap): tf.Tensor2D {
      return tf.tidy(() => {
        let h = x as tf.Tensor2D;
        for (const layer of layers) {
          const pre = tf.add(
            tf.matMul(h, layer.kernel as tf.Variable<tf.Rank.R2>),
            layer.bias,
          ) as tf.Tensor2D;
          h = (tap ? tap(layer, h, pre) : pre) as tf.Tensor2D;
        }
        return h;
      });
    },
    updateBatchNormStats: () => {},
    trainableVariables: () => layers.flatMap((l) => [l.kernel, l.bias]),
    stateVariables: () => new Map(),
    parameterCount: () => layers.reduce((s, l) => s + l.kernel.size + l.bias.size, 0),
    dispose: () => tf.dispose(layers.flatMap((l) => [l.kernel, l.bias])),
  };
}

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(
    Math.abs(a - b) <= rel * Math.abs(b),
    `${what}: ${a} vs ${b} (relative ${Math.abs(a - b) / Math.abs(b)})`,
  );

describe('K-FAC Gauss-Newton norm (kfacGnNorm)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  test('one dense layer with a bias, any inputs: K-FAC is exact, kfacGnNorm = gnNorm = E||f(x)||^2', async () => {
    const model = linearNetwork([6, 4], 3, true);
    const x = tf.randomNormal([32, 6], 0.3, 1.7, 'float32', 11);
    try {
      const live = tf.memory().numTensors;
      const kfac = await kfacGaussNewtonNorm(model, x, 4);
      assert.equal(tf.memory().numTensors, live, 'kfacGaussNewtonNorm leaves no tensor behind');
      const gn = await gaussNewtonNorm(model, x);
      const direct = (await tf.tidy(() => tf.div(tf.sum(tf.square(model.forward(x, false))), 32)).data())[0];
      close(kfac, direct, 1e-5, 'kfacGnNorm vs E||f||^2');
      close(gn, direct, 1e-4, 'gnNorm vs E||f||^2');
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  for (const K of [2, 3]) {
    test(`a deep linear network of ${K} layers on whitened inputs: kfacGnNorm = ${K}·jacobianNorm, gnNorm = ${K * K}·jacobianNorm`, async () => {
      const sizes = [5, 7, 6, 4].slice(0, K).concat([4]);
      const model = linearNetwork(sizes, 20 + K, false);
      // E[x x^T] = I exactly: x = sqrt(d) I_d over d examples.
      const d = sizes[0];
      const x = tf.mul(tf.eye(d), Math.sqrt(d));
      try {
        const jac = await jacobianNormExact(model, x);
        // ||M||_F^2 from the kernels themselves.
        const M = tf.tidy(() =>
          model.layers.reduce((m, l) => tf.matMul(m, l.kernel) as tf.Tensor2D, tf.eye(d) as tf.Tensor2D),
        );
        const frob = (await tf.tidy(() => tf.sum(tf.square(M))).data())[0];
        M.dispose();
        close(jac, frob, 1e-5, 'jacobianNorm vs ||M||_F^2');
        close(await kfacGaussNewtonNorm(model, x, 4), K * jac, 1e-5, `kfacGnNorm vs ${K}·jacobianNorm`);
        close(await gaussNewtonNorm(model, x), K * K * jac, 1e-4, `gnNorm vs ${K * K}·jacobianNorm`);
      } finally {
        x.dispose();
        model.dispose();
      }
    });
  }
});
