// `wdlab summary SPEC` through the real CLI bundle: the layer table of the spec's network with its total,
// one table per distinct network of a sweep, and located errors for a bad spec.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliPath, repoRoot } from '../../helpers/backend';
import { scratchDir } from '../../helpers/scratch';

const wdlab = (args: string[]) => spawnSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8' });

function specFile(spec: object | string): string {
  const file = join(scratchDir('wdlab-summary-'), 'net.wdlab.json');
  writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return file;
}

describe('wdlab summary', () => {
  test('VGG16 on CIFAR-shaped images: 13 convs + fc, 14,719,818 parameters (the PyTorch count)', () => {
    const r = wdlab([
      'summary',
      specFile({
        name: 'vgg16',
        data: { dataset: 'synthetic-images' },
        model: { arch: 'vgg', depth: 16, width: 1, batchNorm: true },
        optimizer: { type: 'sgd' },
        regularization: { type: 'weightDecay', coefficient: 5e-4, apply: 'conv' },
      }),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /total: 14,719,818 parameters in 14 linear layers; 13 scale-invariant/);
    // conv5_3: 3x3x512x512 at 2x2, BN, decayed by wd-conv; fc: 512x10, no BN, not decayed by wd-conv.
    assert.match(
      r.stdout,
      /conv5_3\s+conv\s+3x3x512x512\s+2x2x512\s+2,359,808\s+yes\s+yes\s+4609x4609\s+512x512\s+4/,
    );
    assert.match(r.stdout, /fc\s+dense\s+512x10\s+10\s+5,130\s+no\s+-\s+513x513\s+10x10\s+1/);
  });

  test('a sweep over the model prints one table per network, labelled by its trials', () => {
    const r = wdlab([
      'summary',
      specFile({
        name: 'depths',
        data: { dataset: 'synthetic-images' },
        model: { arch: 'resnet', width: 0.25 },
        optimizer: { type: 'sgd' },
        sweep: { 'model.depth': [20, 32], 'training.seed': [1, 2] },
      }),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /trials 1, 2: model\.depth=20/);
    assert.match(r.stdout, /trials 3, 4: model\.depth=32/);
    assert.equal(r.stdout.match(/^total: /gm)?.length, 2);
  });

  test('every bundled example has a summary', () => {
    for (const name of [
      'quickstart',
      'mechanism-1-effective-lr',
      'mechanism-2-jacobian',
      'mechanism-3-damping',
    ]) {
      const r = wdlab(['summary', join(repoRoot(), 'examples', `${name}.wdlab.json`)]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, /^total: [\d,]+ parameters/m, name);
    }
  });

  test('a bad spec: exit 2 with the located error, no table', () => {
    const r = wdlab([
      'summary',
      specFile(
        '{\n  "name": "x",\n  "data": { "dataset": "cifar10" },\n  "model": { "arch": "vgg", "depth": 12 },\n  "optimizer": { "type": "sgd" }\n}\n',
      ),
    ]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /net\.wdlab\.json:4:\d+/);
    assert.doesNotMatch(r.stdout, /total:/);
  });
});
