// The paper's wn-conv through the real CLI: a reference run with weight decay, then a run without it whose
// hidden (BN) layers are rescaled after every epoch to the reference's norms (the path relative to the spec
// file's folder). Its epoch-end weight norms equal the reference's, the last layer keeps its own, the
// factors are recorded, and a missing reference fails the trial with a message that names the path.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MetricRecord } from '../../../src/protocol/records';
import { parseJsonl } from '../../../src/runner/runStore';
import { cliPath } from '../../helpers/backend';
import { scratchDir } from '../../helpers/scratch';

const base = {
  data: { dataset: 'synthetic-vectors', trainSize: 128, testSize: 64 },
  model: { arch: 'mlp', hidden: [16, 16], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.2, momentum: 0.9 },
  training: { epochs: 3, batchSize: 32, backend: 'wasm', logEverySteps: 2 },
};

function wdlab(cwd: string, ...args: string[]) {
  const { WDLAB_RUNS_DIR: _ignored, ...env } = process.env;
  return spawnSync(process.execPath, [cliPath(), ...args], { cwd, env, encoding: 'utf8' });
}

const epochEnds = (runDir: string): MetricRecord[] =>
  parseJsonl<MetricRecord>(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).filter(
    (r) => r.epoch >= 1 && Number.isInteger(r.epoch),
  );

describe('norm transfer (wn-conv) end to end', () => {
  test("the rescaled run's epoch-end norms equal the weight-decay reference's", () => {
    const dir = scratchDir('wdlab-wn-');
    const runs = join(dir, 'runs');
    writeFileSync(
      join(dir, 'wd.wdlab.json'),
      JSON.stringify({ ...base, name: 'wd', regularization: { type: 'weightDecay', coefficient: 0.05 } }),
    );
    const ref = wdlab(dir, 'run', 'wd.wdlab.json', '--runs-dir', runs, '--quiet');
    assert.equal(ref.status, 0, ref.stderr);
    const [refId] = readdirSync(runs);
    writeFileSync(
      join(dir, 'wn.wdlab.json'),
      JSON.stringify({
        ...base,
        name: 'wn',
        regularization: { type: 'none', normTransfer: { referenceRun: `runs/${refId}` } },
      }),
    );
    const wn = wdlab(dir, 'run', 'wn.wdlab.json', '--runs-dir', runs, '--quiet');
    assert.equal(wn.status, 0, wn.stdout + wn.stderr);
    const wnId = readdirSync(runs).find((d) => d !== refId)!;
    const a = epochEnds(join(runs, refId));
    const b = epochEnds(join(runs, wnId));
    assert.deepEqual(
      b.map((r) => r.epoch),
      [1, 2, 3],
    );
    for (const [i, r] of b.entries()) {
      for (const layer of ['fc1', 'fc2']) {
        const want = a[i][`weightNorm/${layer}`];
        const got = r[`weightNorm/${layer}`];
        assert.ok(Math.abs(got - want) < 1e-4 * want, `epoch ${r.epoch} ${layer}: ${got} vs ${want}`);
        assert.ok(r[`normTransfer/${layer}`] > 0, `factor of ${layer} recorded`);
      }
      // apply: conv (the default) leaves the classifier alone.
      assert.equal(r['normTransfer/fc'], undefined);
      assert.notEqual(r['weightNorm/fc'], a[i]['weightNorm/fc']);
    }
    // Without weight decay the norms grow; the reference's shrink relative to them, so the factors are < 1.
    assert.ok(b[b.length - 1]['normTransfer/fc1'] < 1, `${b[b.length - 1]['normTransfer/fc1']}`);
  });

  test('a reference that is not a run folder fails the trial and says which path', () => {
    const dir = scratchDir('wdlab-wn-');
    writeFileSync(
      join(dir, 'wn.wdlab.json'),
      JSON.stringify({
        ...base,
        name: 'wn',
        regularization: { type: 'none', normTransfer: { referenceRun: 'runs/nope' } },
      }),
    );
    const r = wdlab(dir, 'run', 'wn.wdlab.json', '--runs-dir', join(dir, 'runs'));
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /norm transfer: regularization\.normTransfer\.referenceRun "runs\/nope" is not a run folder/,
    );
  });
});
