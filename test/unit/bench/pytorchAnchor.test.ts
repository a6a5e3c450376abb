// The bench's PyTorch anchor runner (bench/pytorchAnchor.ts), driven through a stand-in interpreter: a
// shell script that answers like torch_anchor_bench.py, so the test needs no PyTorch.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findTorchPython, parseAnchorOutput, runAnchor } from '../../../bench/pytorchAnchor';

const dir = mkdtempSync(join(tmpdir(), 'wdlab-anchor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in "python": `-c ...` succeeds (torch imports), a script run echoes its arguments as figures. */
function fakePython(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('parses one figure per case and skips warnings and other JSON', () => {
  const figures = parseAnchorOutput(
    [
      'UserWarning: something',
      '{"anchor": "pytorch-1.13.0a0", "device": "cpu", "case": "vgg16-bn", "batch": 128, "images_per_s": 115.1, "threads": 2}',
      '{"note": "no case here"}',
      '{"anchor": "pytorch-2.11", "device": "cuda", "case": "mlp", "batch": 128, "images_per_s": 83718, "threads": 16}',
    ].join('\n'),
  );
  assert.deepEqual([...figures.keys()], ['vgg16-bn', 'mlp']);
  assert.deepEqual(figures.get('vgg16-bn'), {
    images_per_s: 115.1,
    anchor: 'pytorch-1.13.0a0',
    device: 'cpu',
    threads: 2,
  });
  assert.equal(figures.get('mlp')?.images_per_s, 83718);
});

test('runs the script with the device and cases asked for, and OpenMP given every core', () => {
  // Prints one figure per requested case, with OMP_NUM_THREADS as its thread count.
  const python = fakePython(
    'python-ok',
    `[ "$1" = "-c" ] && exit 0
for c in $(echo "$3" | tr ',' ' '); do
  echo "{\\"anchor\\": \\"fake\\", \\"device\\": \\"$2\\", \\"case\\": \\"$c\\", \\"images_per_s\\": 7.5, \\"threads\\": $OMP_NUM_THREADS}"
done`,
  );
  const saved = process.env.OMP_NUM_THREADS;
  delete process.env.OMP_NUM_THREADS;
  try {
    const figures = runAnchor(python, 'cuda', ['mlp', 'resnet20-small', 'resnet32-bn'], 'script.py');
    assert.deepEqual([...figures.keys()], ['mlp', 'resnet32-bn'], 'a case the anchor lacks is not asked for');
    assert.equal(figures.get('resnet32-bn')?.device, 'cuda');
    assert.equal(figures.get('mlp')?.threads, availableParallelism());
  } finally {
    if (saved !== undefined) process.env.OMP_NUM_THREADS = saved;
  }
  assert.equal(findTorchPython(python), python);
  assert.equal(runAnchor(join(dir, 'no-such-python'), 'cpu', ['resnet20-small']).size, 0, 'nothing to run');
});

test('a failing anchor says which command failed and its last error line', () => {
  const python = fakePython(
    'python-fails',
    'echo "Traceback" >&2\necho "RuntimeError: no CUDA GPUs" >&2\nexit 1',
  );
  assert.throws(
    () => runAnchor(python, 'cuda', ['vgg16-bn'], 'script.py'),
    (e: Error) =>
      e.message.includes('python-fails script.py exited with 1') &&
      e.message.endsWith('RuntimeError: no CUDA GPUs'),
  );
  assert.equal(findTorchPython(python), undefined, 'an interpreter that cannot import torch is not used');
  assert.equal(findTorchPython(join(dir, 'no-such-python')), undefined);
});
