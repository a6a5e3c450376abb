// `wdlab explain` on real runs trained by the CLI bundle: the mechanism examples, scaled down as in
// test/unit/engine/demonstrations.test.ts (same model, data and hyperparameters, fewer epochs), must get the
// verdicts the paper expects (mechanism-1-effective-lr: Mechanism 1 shows; mechanism-3-damping: Mechanism 3;
// both mechanism-2 examples: Mechanism 2; and without BN, Mechanism 1 cannot apply), `wdlab run` prints the
// same table after its summary, two seeds per arm of a configuration whose arms do not differ compare as
// "within seed noise", and the command's input errors. The verdict's branches on hand-made records:
// test/unit/protocol/verdict.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Contrast, VerdictReport } from '../../../src/protocol/verdict';
import { loadSpecFile, setAtPath } from '../../../src/spec';
import { repoRoot } from '../../helpers/backend';
import { runCli } from '../../helpers/cli';

const work = mkdtempSync(join(tmpdir(), 'wdlab-explain-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** An example spec with `overrides` (dotted paths) applied, on the wasm backend. */
function example(name: string, overrides: Record<string, unknown>): Record<string, unknown> {
  const { spec } = loadSpecFile(join(repoRoot(), 'examples', `${name}.wdlab.json`));
  assert.ok(spec, `${name} is a valid spec`);
  const raw = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
  delete raw.$schema;
  for (const [path, value] of Object.entries({ 'training.backend': 'wasm', ...overrides }))
    setAtPath(raw, path, value);
  return raw;
}

/** Trains the spec's sweep with `wdlab run` into its own runs directory; returns it and run's stdout. */
async function train(id: string, spec: object): Promise<{ runsDir: string; stdout: string }> {
  const file = join(work, `${id}.wdlab.json`);
  writeFileSync(file, JSON.stringify(spec));
  const runsDir = join(work, id);
  const r = await runCli(['run', file, '--runs-dir', runsDir, '--quiet'], work);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return { runsDir, stdout: r.stdout };
}

async function explainJson(args: string[]): Promise<VerdictReport> {
  const r = await runCli(['explain', ...args, '--json'], work);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as VerdictReport;
}

/** The one contrast against `none`, with its rows as [mechanism, verdict, expected]. */
function noneContrast(report: VerdictReport): Contrast {
  const c = report.contrasts.filter((x) => x.baseline.type === 'none');
  assert.equal(c.length, 1, JSON.stringify(report.contrasts.map((x) => x.title)));
  for (const row of c[0].rows) console.log(`# ${c[0].name}: ${row.title}: ${row.verdict} — ${row.signature}`);
  console.log(`# ${c[0].name}: ${c[0].accuracy.text}`);
  return c[0];
}

const verdicts = (c: Contrast) => c.rows.map((r) => [r.mechanism, r.verdict, r.expected]);

describe('wdlab explain on real runs', () => {
  test('mechanism-1-effective-lr: Mechanism 1 shows, as the paper expects for SGD + BN; `wdlab run` prints the table', async () => {
    // 8 epochs = 256 steps (of the example's 1280), as in the demonstrations test.
    const { runsDir, stdout } = await train(
      'm1',
      example('mechanism-1-effective-lr', { 'training.epochs': 8 }),
    );
    const c = noneContrast(await explainJson([runsDir]));
    assert.equal(c.optimizer, 'SGD');
    assert.deepEqual(verdicts(c), [
      [1, 'shows', true],
      [2, 'not measured', false],
      [3, 'cannot apply', false],
    ]);
    const [eff, eq] = c.rows[0].measurements;
    assert.equal(eff.metric, 'effectiveLr');
    assert.equal(eff.layers, 2, 'fc1 and fc2, the BN layers');
    assert.ok(eff.value >= 1.5 && eq.value >= 0.5 && eq.value <= 2, JSON.stringify(c.rows[0].measurements));
    assert.equal(c.accuracy.spread, undefined);
    assert.match(c.accuracy.text, /one run per arm, so the seed-to-seed spread is unknown/);
    // `wdlab run` ends with the same table, after its summary.
    const at = stdout.indexOf('What weight decay did here (wdlab explain):');
    assert.ok(at > stdout.indexOf('Results: '), stdout);
    assert.match(
      stdout.slice(at),
      /Mechanism 1 · effective learning rate\s+shows\s+expected here\s+effective LR ×/,
    );
    // The plain-text table of `wdlab explain` itself.
    const text = await runCli(['explain', runsDir], work);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^mechanism-1-effective-lr · SGD \+ BN · weight decay λ = 0\.005 vs none {2}\(1 run vs 1 run\)$/m,
    );
    assert.match(
      text.stdout,
      /^mechanism\s+verdict\s+paper\s+measured, weight decay \/ none at the end of the runs$/m,
    );
    assert.match(
      text.stdout,
      /^Mechanism 3 · effective damping\s+cannot apply here\s+-\s+SGD has no damping/m,
    );
    assert.match(text.stdout, /^paper: SGD with BN: Mechanism 1/m);
  });

  test('mechanism-3-damping: Mechanism 3 shows under K-FAC-F + BN; Mechanism 1 cannot apply', async () => {
    // 12 epochs = 384 steps (of the example's 640), as in the demonstrations test.
    const { runsDir } = await train('m3', example('mechanism-3-damping', { 'training.epochs': 12 }));
    const c = noneContrast(await explainJson([runsDir]));
    assert.deepEqual(verdicts(c), [
      [1, 'cannot apply', false],
      [2, 'not measured', false],
      [3, 'shows', true],
    ]);
    assert.ok(c.rows[2].measurements[0].value <= 1 / 1.5);
    assert.equal(c.expectation.mechanism, 3);
  });

  test('mechanism-2-kfac-g: Mechanism 2 shows, as the paper expects for K-FAC-G without BN; no BN: Mechanisms 1 and 3 cannot apply', async () => {
    // 10 epochs = 320 steps (of the example's 640): at 6 the Jacobian norm ratio is ~0.66, at the threshold.
    const { runsDir } = await train('m2g', example('mechanism-2-kfac-g', { 'training.epochs': 10 }));
    const c = noneContrast(await explainJson([runsDir]));
    assert.deepEqual(verdicts(c), [
      [1, 'cannot apply', false],
      [2, 'shows', true],
      [3, 'cannot apply', false],
    ]);
    assert.match(c.rows[0].signature, /no BN/);
    assert.deepEqual(
      c.rows[1].measurements.map((m) => m.metric),
      ['jacobianNorm', 'gnNorm', 'generalizationGap'],
    );
  });

  test('mechanism-2-jacobian (SGD without BN): Mechanism 2 shows; the paper names no mechanism there', async () => {
    // 8 epochs = 256 steps (of the example's 1280).
    const { runsDir } = await train('m2', example('mechanism-2-jacobian', { 'training.epochs': 8 }));
    const c = noneContrast(await explainJson([runsDir]));
    assert.deepEqual(verdicts(c), [
      [1, 'cannot apply', false],
      [2, 'shows', false],
      [3, 'cannot apply', false],
    ]);
    assert.equal(c.expectation.mechanism, undefined);
    assert.match(c.expectation.text, /none of its three mechanisms/);
  });

  test('two seeds per arm of one configuration (weight decay too weak to matter): the accuracy difference is within seed noise', async () => {
    const spec = {
      name: 'seeds',
      data: { dataset: 'synthetic-vectors', trainSize: 512, testSize: 512 },
      model: { arch: 'mlp', hidden: [32], batchNorm: true },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
      // λ = 1e-7: the two arms are the same training but for rounding; the seeds are not.
      regularization: { type: 'weightDecay', coefficient: 1e-7 },
      training: { epochs: 2, batchSize: 32, backend: 'wasm', logEverySteps: 8 },
      metrics: { jacobian: 'off', gaussNewton: false, trainEvalSize: 0 },
      sweep: { 'regularization.type': ['none', 'weightDecay'], 'training.seed': [1, 2] },
    };
    const { runsDir } = await train('seeds', spec);
    const report = await explainJson([runsDir]);
    const c = noneContrast(report);
    assert.deepEqual(c.regularized.seeds, [1, 2]);
    assert.deepEqual(c.baseline.seeds, [1, 2]);
    assert.equal(c.accuracy.wd.length, 2);
    assert.ok(c.accuracy.spread! > 0, `the seeds differ: ${c.accuracy.text}`);
    assert.equal(c.accuracy.withinNoise, true, c.accuracy.text);
    assert.match(c.accuracy.text, /within seed noise/);
    assert.equal(c.rows[0].verdict, 'does not show', 'no effective-LR difference without a real decay');
    // The same runs by sweep group id, as `wdlab report` takes them.
    const group = c.regularized.runIds[0].replace(/-t\d+$/, '');
    const byGroup = await explainJson([group, '--runs-dir', runsDir]);
    assert.deepEqual(byGroup.contrasts, report.contrasts);
    // One run alone: nothing to explain (exit 0).
    const alone = await runCli(['explain', join(runsDir, c.regularized.runIds[0])], work);
    assert.equal(alone.code, 0, alone.stderr);
    assert.match(alone.stdout, /No two completed runs here differ only in the regularizer/);
  });

  test('input errors: no run given, a missing run directory (exit 2)', async () => {
    const none = await runCli(['explain'], work);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /explain needs run directories/);
    const missing = await runCli(['explain', join(work, 'nope')], work);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope: no such run directory/);
  });
});
