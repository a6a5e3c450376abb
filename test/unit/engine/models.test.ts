// The three architectures built from a ModelSpec: parameter counts against the PyTorch definitions
// (torch_anchor_bench.py; an independent oracle), layer names and flags, output shapes, seeded init, no
// tensor leak over training-style steps on wasm, and wasm gradients against cpu.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { kernelFans } from '../../../src/engine/init';
import { buildModel } from '../../../src/engine/models/build';
import type { Model } from '../../../src/engine/models/model';
import { tf } from '../../../src/engine/tf';
import type { ModelSpec } from '../../../src/spec/types';
import { wasmDir } from '../../helpers/backend';

const vgg = (depth: number, width: number, batchNorm = true): ModelSpec => ({
  arch: 'vgg',
  depth,
  width,
  batchNorm,
  batchNormMomentum: 0.99,
  hidden: [],
});
const resnet = (depth: number, width: number, batchNorm = true): ModelSpec => ({
  arch: 'resnet',
  depth,
  width,
  batchNorm,
  batchNormMomentum: 0.99,
  hidden: [],
});
const mlp = (hidden: number[], batchNorm = true): ModelSpec => ({
  arch: 'mlp',
  depth: 0,
  width: 1,
  batchNorm,
  batchNormMomentum: 0.99,
  hidden,
});

const CIFAR: number[] = [32, 32, 3];

/** Builds, runs `check`, disposes (the model and anything the check leaves). */
function withModel(spec: ModelSpec, inputShape: number[], seed: number, check: (m: Model) => void): void {
  const model = buildModel(spec, inputShape, 10, seed);
  try {
    check(model);
  } finally {
    model.dispose();
  }
}

describe('parameter counts equal the PyTorch definitions (BN has no parameters)', () => {
  // torch_anchor_bench.py: VGG16 and ResNet32 with bias on every conv, BatchNorm2d(affine=False).
  const cases: [string, ModelSpec, number][] = [
    ['VGG16 width 1, BN', vgg(16, 1), 14_719_818],
    ['VGG16 width 1, no BN', vgg(16, 1, false), 14_719_818],
    ['ResNet32 width 4, BN', resnet(32, 4), 7_422_986],
    ['ResNet32 width 1, BN', resnet(32, 1), 465_674],
  ];
  for (const [label, spec, expected] of cases) {
    test(label, async () => {
      await initBackend('cpu');
      withModel(spec, CIFAR, 1, (m) => assert.equal(m.parameterCount(), expected));
    });
  }

  test('MLP 784-256-256-10 (the anchor MLP)', async () => {
    await initBackend('cpu');
    withModel(mlp([256, 256], false), [28, 28, 1], 1, (m) => assert.equal(m.parameterCount(), 269_322));
  });
});

describe('layers: names, kinds, flags', () => {
  test('VGG11: conv<block>_<i> then fc; all but fc scale-invariant with BN', async () => {
    await initBackend('cpu');
    withModel(vgg(11, 1 / 16), CIFAR, 1, (m) => {
      assert.equal(m.arch, 'vgg');
      assert.deepEqual(
        m.layers.map((l) => l.name),
        ['conv1_1', 'conv2_1', 'conv3_1', 'conv3_2', 'conv4_1', 'conv4_2', 'conv5_1', 'conv5_2', 'fc'],
      );
      assert.deepEqual(
        m.layers.map((l) => [l.kind, l.scaleInvariant, l.isLast]),
        [...Array(8).fill(['conv', true, false]), ['dense', false, true]],
      );
      assert.deepEqual(m.layers[0].kernel.shape, [3, 3, 3, 4]);
      assert.deepEqual(m.layers[8].kernel.shape, [32, 10]);
      assert.equal(m.stateVariables().size, 16);
    });
  });

  test('without BN nothing is scale-invariant and there is no BN state', async () => {
    await initBackend('cpu');
    for (const spec of [vgg(11, 1 / 16, false), resnet(20, 0.25, false), mlp([8], false)]) {
      withModel(spec, spec.arch === 'mlp' ? [20] : CIFAR, 1, (m) => {
        assert.ok(m.layers.every((l) => !l.scaleInvariant));
        assert.equal(m.stateVariables().size, 0);
        assert.deepEqual(
          m.layers.map((l) => l.isLast),
          m.layers.map((_, i) => i === m.layers.length - 1),
        );
      });
    }
  });

  test('ResNet20: stem, three stages of 3 blocks, 1x1 stride-2 shortcuts where the shape changes, fc', async () => {
    await initBackend('cpu');
    withModel(resnet(20, 1), CIFAR, 1, (m) => {
      const names = m.layers.map((l) => l.name);
      assert.equal(names.length, 1 + 9 * 2 + 2 + 1);
      assert.deepEqual(names.slice(0, 4), [
        'stem',
        'stage1.block1.conv1',
        'stage1.block1.conv2',
        'stage1.block2.conv1',
      ]);
      assert.deepEqual(
        names.filter((n) => n.endsWith('shortcut')),
        ['stage2.block1.shortcut', 'stage3.block1.shortcut'],
      );
      const byName = new Map(m.layers.map((l) => [l.name, l]));
      const shortcut = byName.get('stage2.block1.shortcut')!;
      assert.deepEqual(
        [shortcut.kernel.shape, shortcut.strides, shortcut.padding],
        [[1, 1, 16, 32], 2, 'valid'],
      );
      assert.deepEqual(
        [byName.get('stage3.block1.conv1')!.strides, byName.get('stage3.block1.conv2')!.strides],
        [2, 1],
      );
      assert.deepEqual(byName.get('fc')!.kernel.shape, [64, 10]);
      assert.ok(m.layers.every((l) => l.scaleInvariant === !l.isLast));
      assert.equal(m.layers.filter((l) => l.isLast).length, 1);
      assert.ok(m.layers.every((l) => l.bias.shape[0] === l.kernel.shape[l.kernel.shape.length - 1]));
    });
  });

  test('MLP: fc1, fc2, ..., fc', async () => {
    await initBackend('cpu');
    withModel(mlp([16, 8]), [20], 1, (m) => {
      assert.deepEqual(
        m.layers.map((l) => [l.name, l.kind, l.kernel.shape]),
        [
          ['fc1', 'dense', [20, 16]],
          ['fc2', 'dense', [16, 8]],
          ['fc', 'dense', [8, 10]],
        ],
      );
      assert.equal(m.trainableVariables().length, 6);
    });
  });

  test('bad specs fail with a reason', async () => {
    await initBackend('cpu');
    assert.throws(() => buildModel(vgg(12, 1), CIFAR, 10, 1), /vgg depth 12/);
    assert.throws(() => buildModel(resnet(21, 1), CIFAR, 10, 1), /6n \+ 2/);
    assert.throws(() => buildModel(resnet(20, 1), [20], 10, 1), /image inputs/);
  });
});

describe('output shapes', () => {
  const cases: [string, ModelSpec, number[], number[]][] = [
    ['vgg11 width 1/16', vgg(11, 1 / 16), CIFAR, [2, 32, 32, 3]],
    ['vgg16 width 1/16', vgg(16, 1 / 16), CIFAR, [2, 32, 32, 3]],
    ['vgg11 width 1/16 on 28x28x1 (MNIST)', vgg(11, 1 / 16), [28, 28, 1], [2, 28, 28, 1]],
    ['resnet20 width 0.25', resnet(20, 0.25), CIFAR, [2, 32, 32, 3]],
    ['resnet32 width 0.25', resnet(32, 0.25), CIFAR, [2, 32, 32, 3]],
    ['resnet20 width 0.25 on 7x7 (odd sizes)', resnet(20, 0.25), [7, 7, 3], [2, 7, 7, 3]],
    ['mlp on vectors', mlp([16, 8]), [20], [3, 20]],
    ['mlp on images (flattened)', mlp([16]), [8, 8, 3], [3, 8, 8, 3]],
  ];
  for (const [label, spec, inputShape, batchShape] of cases) {
    test(`${label}: logits [N, 10] in both modes`, async () => {
      await initBackend('cpu');
      withModel(spec, inputShape, 1, (m) => {
        assert.deepEqual(m.inputShape, inputShape);
        const x = tf.randomNormal(batchShape, 0, 1, 'float32', 3);
        for (const training of [true, false]) {
          const logits = m.forward(x, training);
          assert.deepEqual(logits.shape, [batchShape[0], 10]);
          assert.ok(logits.dataSync().every(Number.isFinite));
          logits.dispose();
        }
        x.dispose();
      });
    });
  }

  test('a wrongly shaped input is refused with the expected shape in the message', async () => {
    await initBackend('cpu');
    withModel(vgg(11, 1 / 16), CIFAR, 1, (m) => {
      const x = tf.zeros([2, 28, 28, 1]);
      assert.throws(() => m.forward(x, false), /\[N, 32, 32, 3\]/);
      x.dispose();
    });
  });
});

describe('initialization (docs/science.md section 1)', () => {
  test('same seed, identical weights; another seed, different weights; layers differ from each other', async () => {
    await initBackend('cpu');
    const weights = (seed: number) => {
      const m = buildModel(resnet(20, 0.25), CIFAR, 10, seed);
      const out = m.trainableVariables().map((v) => Array.from(v.dataSync()));
      m.dispose();
      return out;
    };
    const a = weights(42);
    assert.deepEqual(weights(42), a);
    const b = weights(43);
    assert.notDeepEqual(b[0], a[0]);
    assert.notDeepEqual(b[b.length - 2], a[a.length - 2]);
    // stage1.block1.conv2 and stage1.block2.conv1 have the same shape: their seeds must still differ.
    assert.notDeepEqual(a[4], a[6]);
  });

  test('Glorot uniform kernels within +-sqrt(6 / (fan_in + fan_out)) with the uniform variance; zero biases', async () => {
    await initBackend('cpu');
    withModel(vgg(11, 1 / 4), CIFAR, 7, (m) => {
      for (const layer of m.layers) {
        const { fanIn, fanOut } = kernelFans(layer.kernel.shape);
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        const w = layer.kernel.dataSync() as Float32Array;
        assert.ok(
          w.every((v) => Math.abs(v) <= limit),
          `${layer.name} exceeds the Glorot limit`,
        );
        if (w.length >= 2000) {
          const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
          const expected = (limit * limit) / 3;
          assert.ok(
            Math.abs(variance / expected - 1) < 0.1,
            `${layer.name}: variance ${variance} vs ${expected}`,
          );
        }
        assert.ok(
          layer.bias.dataSync().every((v) => v === 0),
          `${layer.name} bias not zero`,
        );
      }
    });
  });
});

/** Mean softmax cross-entropy (docs/science.md section 1). */
const crossEntropy = (logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar =>
  tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;

/** One SGD step as a trainer would run it: gradients on the tape, the BN update, then the update. */
function trainingStep(model: Model, x: tf.Tensor, labels: tf.Tensor2D): void {
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.forward(x, true), labels),
      model.trainableVariables(),
    );
    value.dataSync();
    model.updateBatchNormStats(x);
    for (const v of model.trainableVariables()) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
  });
}

describe('wasm: training steps', () => {
  const cases: [string, ModelSpec, number[]][] = [
    ['mlp', mlp([16, 16]), [20]],
    ['vgg11 width 1/16 on 16x16', vgg(11, 1 / 16), [16, 16, 3]],
    ['resnet20 width 0.25 on 16x16', resnet(20, 0.25), [16, 16, 3]],
  ];
  for (const [label, spec, inputShape] of cases) {
    test(`${label}: tensor count constant over 5 steps`, async () => {
      await initBackend('wasm', { wasmDir: wasmDir() });
      withModel(spec, inputShape, 3, (m) => {
        const x = tf.randomNormal([4, ...inputShape], 0, 1, 'float32', 4);
        const labels = tf.oneHot(tf.tensor1d([1, 3, 5, 7], 'int32'), 10) as tf.Tensor2D;
        trainingStep(m, x, labels);
        const after = tf.memory().numTensors;
        for (let i = 0; i < 5; i++) {
          trainingStep(m, x, labels);
          assert.equal(tf.memory().numTensors, after, `step ${i + 2}`);
        }
        // an update with no preceding forward and an eval forward do not leak either
        m.updateBatchNormStats(x);
        tf.dispose(m.forward(x, false));
        assert.equal(tf.memory().numTensors, after);
        tf.dispose([x, labels]);
      });
    });
  }

  test('resnet20 width 0.25 kernel gradients on wasm match cpu (relative L2 < 5e-3)', async () => {
    const kernelGradients = () =>
      withGradients((m, x, labels) =>
        tf.tidy(() => {
          const kernels = m.layers.map((l) => l.kernel);
          const { grads } = tf.variableGrads(() => crossEntropy(m.forward(x, true), labels), kernels);
          return kernels.map((k) => Array.from(grads[k.name].dataSync()));
        }),
      );
    await initBackend('cpu');
    const cpu = kernelGradients();
    await initBackend('wasm', { wasmDir: wasmDir() });
    const wasm = kernelGradients();
    const flat = (g: number[][]) => g.flat();
    const [a, b] = [flat(wasm), flat(cpu)];
    const err = Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / b.reduce((s, v) => s + v * v, 0));
    assert.ok(err < 5e-3, `relative L2 error ${err}`);
  });
});

function withGradients<T>(f: (m: Model, x: tf.Tensor, labels: tf.Tensor2D) => T): T {
  const m = buildModel(resnet(20, 0.25), [8, 8, 3], 10, 9);
  // identical inputs on both backends: tfjs's seeded generators run in JavaScript
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 5);
  const labels = tf.oneHot(tf.tensor1d([0, 2, 4, 6], 'int32'), 10) as tf.Tensor2D;
  try {
    return f(m, x, labels);
  } finally {
    tf.dispose([x, labels]);
    m.dispose();
  }
}
