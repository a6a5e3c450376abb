// The step-memory estimate (spec/memory.ts) and what the validator does with it: a step wasm cannot address
// is refused at training.batchSize with the parameter count and where the bytes go; on `auto` it is a
// warning; the paper's networks that are known to train on wasm pass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSpecText } from '../../../src/spec';
import { ACTIVATION_COPIES, estimateStepMemory } from '../../../src/spec/memory';

const load = (over: object) =>
  loadSpecText(
    JSON.stringify({
      name: 'm',
      data: { dataset: 'synthetic-images' },
      optimizer: { type: 'sgd', lr: 0.1 },
      ...over,
    }),
  );

describe('step memory', () => {
  test('an MLP in closed form: weights and gradients 8P, momentum 4P, activations 4 x copies x batch x units', () => {
    const { spec } = loadSpecText(
      JSON.stringify({
        name: 'mlp',
        data: { dataset: 'mnist' },
        model: { arch: 'mlp', hidden: [256, 256] },
        optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
        training: { batchSize: 128 },
      }),
    );
    const m = estimateStepMemory(spec!);
    const P = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10; // 269,322: the PyTorch count
    assert.equal(m.parameters, P);
    assert.equal(m.weights, 8 * P);
    assert.equal(m.optimizer, 4 * P);
    assert.equal(m.activations, 4 * ACTIVATION_COPIES * 128 * (784 + 256 + 256 + 10));
    assert.equal(m.total, m.weights + m.optimizer + m.activations);
  });

  test('VGG19 width 64 at batch 4096 on wasm: refused, located, with the parameter count and the estimate', () => {
    const { diagnostics } = load({
      model: { arch: 'vgg', depth: 19, width: 64, batchNorm: true },
      training: { batchSize: 4096, backend: 'wasm' },
    });
    const d = diagnostics.find((x) => x.message.startsWith('one training step needs'));
    assert.ok(d, diagnostics.map((x) => x.message).join('\n'));
    assert.equal(d.severity, 'error');
    assert.equal(d.path, 'training.batchSize');
    assert.match(d.message, /81,991,045,130 parameters/);
    assert.match(
      d.message,
      /more than the 4 GB the wasm backend can address: use a smaller training\.batchSize/,
    );
  });

  test('the same on auto is a warning naming the wasm fallback', () => {
    const { diagnostics, trials } = load({
      model: { arch: 'vgg', depth: 19, width: 2, batchNorm: true },
      training: { batchSize: 4096, backend: 'auto' },
    });
    const d = diagnostics.find((x) => x.message.startsWith('one training step needs'));
    assert.ok(d);
    assert.equal(d.severity, 'warning');
    assert.equal(trials.length, 1);
  });

  test("the paper's ResNet32-BN x4 at batch 128, which trains on wasm, is not refused (regression guard)", () => {
    const { diagnostics } = load({
      model: { arch: 'resnet', depth: 32, width: 4, batchNorm: true },
      training: { batchSize: 128, backend: 'wasm' },
    });
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
  });
});
