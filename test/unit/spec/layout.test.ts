// The spec-only layer table (spec/layout.ts) against the networks the engine really builds: the same layers
// in the same order with the same kernels, flags and pre-activation shapes (read through the forward-pass
// tap), the same parameter count, and totals equal to the PyTorch definitions (torch_anchor_bench.py). K-FAC
// factor sizes follow docs/science.md section 6: d_A = kh kw C_in + 1, d_S = C_out, T = output locations.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/build';
import type { Network } from '../../../src/engine/models/network';
import { layerIsDecayed } from '../../../src/engine/optimizers/regularization';
import { tf } from '../../../src/engine/tf';
import { DATASET_CLASSES, DATASET_INPUT_SHAPES } from '../../../src/spec/catalog';
import { largestKfacFactor, networkLayout } from '../../../src/spec/layout';
import type { DatasetName, DecayScope, ModelSpec } from '../../../src/spec/types';

const model = (over: Partial<ModelSpec>): ModelSpec => ({
  arch: 'vgg',
  depth: 11,
  width: 1,
  batchNorm: true,
  batchNormMomentum: 0.99,
  hidden: [],
  ...over,
});

const layoutOf = (m: ModelSpec, dataset: DatasetName = 'cifar10', apply: DecayScope = 'all') =>
  networkLayout({
    data: { dataset, trainSize: 1, testSize: 1, augment: false },
    model: m,
    regularization: { type: 'weightDecay', coefficient: 1e-4, apply },
  });

before(async () => {
  await initBackend('cpu');
});

describe('network layout (spec only) equals the built network', () => {
  const cases: [string, ModelSpec, DatasetName, DecayScope][] = [
    ['vgg11 width 1/8 BN, CIFAR', model({ depth: 11, width: 0.125 }), 'cifar10', 'all'],
    [
      'vgg16 width 1/16 no BN, MNIST (28 -> 14 -> 7 -> 3 -> 1 -> 1)',
      model({ depth: 16, width: 1 / 16, batchNorm: false }),
      'mnist',
      'conv',
    ],
    ['vgg19 width 1/16 BN, CIFAR-100', model({ depth: 19, width: 1 / 16 }), 'cifar100', 'fc'],
    ['resnet20 width 0.25 BN', model({ arch: 'resnet', depth: 20, width: 0.25 }), 'cifar10', 'all'],
    [
      'resnet32 width 0.5 no BN, fashion-mnist',
      model({ arch: 'resnet', depth: 32, width: 0.5, batchNorm: false }),
      'fashion-mnist',
      'conv',
    ],
    ['mlp [32, 16] BN on images', model({ arch: 'mlp', hidden: [32, 16] }), 'synthetic-images', 'all'],
    [
      'mlp [] (logistic regression) on vectors',
      model({ arch: 'mlp', hidden: [], batchNorm: false }),
      'synthetic-vectors',
      'fc',
    ],
  ];
  for (const [label, m, dataset, apply] of cases) {
    test(label, () => {
      const layout = layoutOf(m, dataset, apply);
      const inputShape = [...DATASET_INPUT_SHAPES[dataset]];
      const net = buildModel(m, inputShape, DATASET_CLASSES[dataset], 1) as Network;
      try {
        const shapes = new Map<string, number[]>();
        tf.tidy(() => {
          net.forward(tf.zeros([2, ...inputShape]), true, (layer, _input, pre) => {
            shapes.set(layer.name, pre.shape.slice(1));
            return pre;
          });
        });
        assert.deepEqual(
          layout.layers.map((l) => l.name),
          net.layers.map((l) => l.name),
        );
        net.layers.forEach((real, i) => {
          const row = layout.layers[i];
          assert.equal(row.kind, real.kind, real.name);
          assert.deepEqual(row.kernelShape, real.kernel.shape, real.name);
          assert.equal(row.parameters, real.kernel.size + real.bias.size, real.name);
          assert.equal(row.scaleInvariant, real.scaleInvariant, real.name);
          assert.equal(row.decayed, layerIsDecayed(real, apply), real.name);
          assert.deepEqual(row.outputShape, shapes.get(real.name), real.name);
          const [kh, kw, cin] = real.kind === 'conv' ? real.kernel.shape : [1, 1, real.kernel.shape[0]];
          const out = shapes.get(real.name)!;
          assert.deepEqual(
            row.kfac,
            {
              dA: kh * kw * cin + 1,
              dS: out[out.length - 1],
              locations: real.kind === 'conv' ? out[0] * out[1] : 1,
            },
            real.name,
          );
        });
        assert.equal(layout.parameters, net.parameterCount());
        assert.equal(layout.numClasses, DATASET_CLASSES[dataset]);
      } finally {
        net.dispose();
      }
    });
  }
});

describe('network layout totals equal the PyTorch definitions (torch_anchor_bench.py)', () => {
  test('VGG16 CIFAR-10 14,719,818; ResNet32 width 4 7,422,986; width 1 465,674; MLP 784-256-256-10 269,322', () => {
    assert.equal(layoutOf(model({ depth: 16 })).parameters, 14_719_818);
    assert.equal(layoutOf(model({ depth: 16, batchNorm: false })).parameters, 14_719_818);
    assert.equal(layoutOf(model({ arch: 'resnet', depth: 32, width: 4 })).parameters, 7_422_986);
    assert.equal(layoutOf(model({ arch: 'resnet', depth: 32, width: 1 })).parameters, 465_674);
    assert.equal(layoutOf(model({ arch: 'mlp', hidden: [256, 256] }), 'mnist').parameters, 269_322);
  });

  test('the largest K-FAC factor of VGG16 is 4609 (3x3x512 + 1), of ResNet32 width 4 2305', () => {
    assert.equal(largestKfacFactor(layoutOf(model({ depth: 16 }))), 4609);
    assert.equal(largestKfacFactor(layoutOf(model({ arch: 'resnet', depth: 32, width: 4 }))), 2305);
  });

  test('impossible depths are errors that say why', () => {
    assert.throws(() => layoutOf(model({ depth: 12 })), /vgg depth 12 is not one of 11, 13, 16, 19/);
    assert.throws(() => layoutOf(model({ arch: 'resnet', depth: 21 })), /resnet depth 21 is not 6n \+ 2/);
  });
});
