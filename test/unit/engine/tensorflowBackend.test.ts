// The native engine (`tensorflow`: tfjs-node on libtensorflow, installed by `wdlab engine install
// tensorflow`) trains as the other backends do: one step agrees with the cpu reference (the cases of
// helpers/crossBackend.ts); every optimizer and both K-FAC inverse methods train through the real CLI and
// trainer process; a resume continues bit for bit; `auto` chooses it; and no tensor is left behind over
// 1,000 steps. CI builds the engine from a local tensorflow-cpu wheel and sets WDLAB_REQUIRE_TENSORFLOW=1,
// so there these tests run; elsewhere they skip, saying why.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import { loadDataset } from '../../../src/engine/data/registry';
import { KfacOptimizer } from '../../../src/engine/optimizers';
import { tf } from '../../../src/engine/tf';
import { createTrainingState, releaseTrainingState, train } from '../../../src/engine/trainer';
import type { MetricRecord } from '../../../src/protocol/records';
import { parseJsonl, type RunInfo, runFiles } from '../../../src/runner/runStore';
import { loadSpecText } from '../../../src/spec';
import type { ExperimentSpec } from '../../../src/spec/types';
import { requireTensorflow } from '../../helpers/backend';
import { runCli } from '../../helpers/cli';
import { cases, compareWithCpu } from '../../helpers/crossBackend';
import { recorder } from '../../helpers/recorder';
import { scratchCheckpointDir } from '../../helpers/scratch';

function spec(over: object): ExperimentSpec {
  const loaded = loadSpecText(JSON.stringify({ name: 'tf', ...over }));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.spec!;
}

let unavailable: string | undefined;

const workspaces: string[] = [];
after(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function workspace(specs: Record<string, object>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wdlab-tf-'));
  workspaces.push(dir);
  for (const [name, s] of Object.entries(specs)) writeFileSync(join(dir, name), JSON.stringify(s, null, 2));
  return dir;
}

const runDirs = (cwd: string): string[] => {
  const runs = join(cwd, '.wdlab', 'runs');
  return readdirSync(runs)
    .sort()
    .map((d) => join(runs, d));
};
const info = (dir: string): RunInfo => JSON.parse(readFileSync(runFiles(dir).run, 'utf8'));
const metrics = (dir: string): MetricRecord[] => parseJsonl(readFileSync(runFiles(dir).metrics, 'utf8'));

describe('the native TensorFlow engine', () => {
  before(async () => {
    try {
      await initBackend('tensorflow');
    } catch (e) {
      unavailable = (e as Error).message;
      assert.ok(!requireTensorflow(), `WDLAB_REQUIRE_TENSORFLOW is set but: ${unavailable}`);
    }
  });

  // libtensorflow 2.21 with oneDNN, TensorFlow's own conv gradients, K-FAC by Newton-Schulz: measured
  // here 4e-7 to 1e-6 on the MLPs, 1e-5 on the ResNet, 6e-6 and 8e-6 under K-FAC-G and -F.
  for (const c of cases) {
    test(`one step agrees with cpu: ${c.label}`, async (t) => {
      if (unavailable) return t.skip(`tensorflow unavailable here: ${unavailable}`);
      await compareWithCpu(t, c, 'tensorflow', 1e-4, (reason) => assert.fail(reason));
    });
  }

  test('auto picks tensorflow where it loads', async (t) => {
    if (unavailable) return t.skip(`tensorflow unavailable here: ${unavailable}`);
    const picked = await initBackend('auto');
    assert.equal(picked.name, 'tensorflow');
    assert.equal(picked.tfjsBackend, 'tensorflow');
    assert.match(picked.device, /^TensorFlow native \(@tensorflow\/tfjs-node/);
    assert.deepEqual(
      picked.skipped.map((s) => s.name),
      [],
    );
  });

  test('auto says why it did not pick tensorflow where no engine is found, and how to get it', async () => {
    // A run with an empty engines folder (and no tfjs-node beside the bundle, as in a VSIX install).
    const engines = mkdtempSync(join(tmpdir(), 'wdlab-no-engines-'));
    workspaces.push(engines);
    const cwd = workspace({
      'auto.wdlab.json': {
        name: 'auto',
        data: { dataset: 'synthetic-vectors', trainSize: 64, testSize: 32 },
        model: { arch: 'mlp', hidden: [8] },
        optimizer: { type: 'sgd', lr: 0.1 },
        training: { epochs: 1, batchSize: 32, backend: 'auto' },
      },
    });
    const r = await runCli(['run', 'auto.wdlab.json', '--quiet'], cwd, { WDLAB_ENGINES: engines });
    assert.equal(r.code, 0, r.stderr);
    const run = info(runDirs(cwd)[0]);
    assert.notEqual(run.backend?.name, 'tensorflow');
    const skipped = run.backend?.skipped.find((s) => s.name === 'tensorflow');
    assert.ok(skipped, JSON.stringify(run.backend));
    assert.match(skipped.reason, /@tensorflow\/tfjs-node: not beside the bundle; not in .*wdlab-no-engines-/);
    assert.match(skipped.reason, /wdlab engine install tensorflow/);
    // run.json says how to get the faster engine, and the CLI printed it.
    assert.match(
      run.backend?.hint ?? '',
      /native TensorFlow .*wdlab engine install tensorflow.*Install Training Engine/,
    );
    const shown = await runCli(['run', 'auto.wdlab.json'], cwd, { WDLAB_ENGINES: engines });
    assert.match(shown.stdout, /faster: native TensorFlow/);
  });

  test('1,000 steps (MLP-BN, AdamW; K-FAC-G with Newton-Schulz inverses): constant live tensors and RSS', async (t) => {
    if (unavailable) return t.skip(`tensorflow unavailable here: ${unavailable}`);
    await initBackend('tensorflow');
    for (const optimizer of [
      { type: 'adam', lr: 1e-3 },
      { type: 'kfac-g', lr: 0.01, damping: 0.03, statsEvery: 5, inverseEvery: 50 },
    ]) {
      const s = spec({
        data: { dataset: 'synthetic-vectors', trainSize: 2000, testSize: 64 },
        model: { arch: 'mlp', hidden: [32, 32], batchNorm: true },
        optimizer,
        regularization: { type: 'weightDecay', coefficient: 0.01 },
        training: { epochs: 16, batchSize: 32, logEverySteps: 100, backend: 'tensorflow' },
        metrics: { everySteps: 250 },
      });
      const data = await loadDataset(s.data);
      const state = createTrainingState(s, data);
      let rssAt100 = 0;
      const { tensors, events } = recorder(Number.POSITIVE_INFINITY, (step) => {
        if (step === 100) rssAt100 = process.memoryUsage().rss;
      });
      const out = await train(s, data, state, events, {
        checkpointDir: scratchCheckpointDir('wdlab-tf-'),
        resume: false,
      });
      assert.equal(out.status, 'completed', out.reason);
      assert.ok(tensors.length >= 1000, `${tensors.length} steps`);
      if (state.optimizer instanceof KfacOptimizer)
        assert.equal(state.optimizer.inverseMethod, 'newtonSchulz');
      // Slots and K-FAC's factors appear in the first steps; after that nothing may accumulate.
      const settled = tensors.slice(60);
      assert.equal(
        Math.max(...settled),
        Math.min(...settled),
        `${optimizer.type}: live tensors ranged ${Math.min(...settled)}..${Math.max(...settled)} after step 60`,
      );
      // The process's resident memory too (libtensorflow's own allocations are not tfjs tensors): after
      // the first 100 steps it may move by the JavaScript heap's drift, not grow with the step count.
      const grown = (process.memoryUsage().rss - rssAt100) / 2 ** 20;
      t.diagnostic(
        `${optimizer.type}: RSS ${grown >= 0 ? '+' : ''}${grown.toFixed(0)} MiB from step 100 to ${tensors.length}`,
      );
      assert.ok(
        grown < 64,
        `${optimizer.type}: RSS grew ${grown.toFixed(0)} MiB over ${tensors.length - 100} steps`,
      );
      releaseTrainingState(state);
      state.model.dispose();
    }
    assert.equal(tf.getBackend(), 'tensorflow');
  });

  test('every optimizer and both K-FAC inverse methods train through the CLI and trainer process', async (t) => {
    if (unavailable) return t.skip(`tensorflow unavailable here: ${unavailable}`);
    const base = {
      data: { dataset: 'synthetic-images', trainSize: 64, testSize: 32 },
      model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
      training: { epochs: 1, batchSize: 16, testBatchSize: 32, backend: 'tensorflow', logEverySteps: 1 },
      regularization: { type: 'weightDecay', coefficient: 5e-4 },
      sweep: { 'regularization.type': ['l2', 'weightDecay'] },
    };
    const kfac = { lr: 0.01, damping: 0.03, statsEvery: 1, inverseEvery: 2 };
    const specs = {
      'sgd.wdlab.json': { ...base, name: 'sgd', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } },
      'adam.wdlab.json': { ...base, name: 'adam', optimizer: { type: 'adam', lr: 1e-3 } },
      'kfac-f.wdlab.json': {
        ...base,
        name: 'kfac-f',
        optimizer: { type: 'kfac-f', ...kfac, inverseMethod: 'eigendecomposition' },
        sweep: { ...base.sweep, 'optimizer.inverseMethod': ['eigendecomposition', 'newtonSchulz'] },
      },
      'kfac-g.wdlab.json': {
        ...base,
        name: 'kfac-g',
        optimizer: { type: 'kfac-g', ...kfac, inverseMethod: 'newtonSchulz' },
        sweep: { ...base.sweep, 'optimizer.inverseMethod': ['eigendecomposition', 'newtonSchulz'] },
      },
    };
    const cwd = workspace(specs);
    for (const file of Object.keys(specs)) {
      const r = await runCli(['run', file, '--quiet'], cwd);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    }
    const dirs = runDirs(cwd);
    assert.equal(dirs.length, 12);
    const methods = new Set<string>();
    for (const dir of dirs) {
      const run = info(dir);
      assert.equal(run.status, 'completed', `${dir}: ${run.error}`);
      assert.equal(run.backend?.name, 'tensorflow', dir);
      const records = metrics(dir);
      assert.equal(records.at(-1)!.step, 4, dir);
      for (const r of records)
        for (const [k, v] of Object.entries(r)) assert.ok(Number.isFinite(v), `${dir}: ${k} = ${v}`);
      const saved = JSON.parse(readFileSync(runFiles(dir).spec, 'utf8')) as ExperimentSpec;
      if (saved.optimizer.type.startsWith('kfac'))
        methods.add(
          `${saved.optimizer.type} ${(saved.optimizer as { inverseMethod: string }).inverseMethod}`,
        );
    }
    assert.deepEqual([...methods].sort(), [
      'kfac-f eigendecomposition',
      'kfac-f newtonSchulz',
      'kfac-g eigendecomposition',
      'kfac-g newtonSchulz',
    ]);
  });

  test('a restored checkpoint continues exactly like the uninterrupted run (K-FAC-F, ResNet20-BN)', async (t) => {
    if (unavailable) return t.skip(`tensorflow unavailable here: ${unavailable}`);
    await initBackend('tensorflow');
    const s = spec({
      data: { dataset: 'synthetic-images', trainSize: 96, testSize: 32 },
      model: { arch: 'resnet', depth: 20, width: 0.25, batchNorm: true },
      optimizer: { type: 'kfac-f', lr: 0.01, damping: 0.03, statsEvery: 2, inverseEvery: 4 },
      regularization: { type: 'weightDecay', coefficient: 1e-3 },
      training: { epochs: 3, batchSize: 32, testBatchSize: 32, logEverySteps: 1, backend: 'tensorflow' },
    });
    const data = await loadDataset(s.data);
    const dir = () => scratchCheckpointDir('wdlab-tf-');
    const whole = recorder();
    const a = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, a, whole.events, { checkpointDir: dir(), resume: false })).status,
      'completed',
    );
    releaseTrainingState(a);
    a.model.dispose();

    const checkpointDir = dir();
    const first = recorder(5);
    const b = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, b, first.events, { checkpointDir, resume: false })).status,
      'cancelled',
    );
    releaseTrainingState(b);
    b.model.dispose();
    const second = recorder();
    const c = createTrainingState(s, data);
    assert.equal(
      (await train(s, data, c, second.events, { checkpointDir, resume: true })).status,
      'completed',
    );
    releaseTrainingState(c);
    c.model.dispose();

    const strip = (r: MetricRecord) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => !/^time\b/.test(k)));
    assert.deepEqual([...first.records, ...second.records].map(strip), whole.records.map(strip));
    assert.equal(whole.records.at(-1)!.step, 9);
  });
});
