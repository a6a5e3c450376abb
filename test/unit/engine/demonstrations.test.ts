// The example specs demonstrate the paper's mechanisms: each runs here in-process, scaled down (fewer
// epochs, the same model, data and hyperparameters), over several seeds, and must show its signature
// with margins (docs/science.md sections 3 and 4):
//   mechanism-1-effective-lr  none: the effective LR of every BN layer falls steadily (end < 0.5x start);
//                             weightDecay: the angular update over the last quarter is within 25% of
//                             theory/angularUpdate and the effective LR has levelled off (< 15% change);
//                             l2 and weightDecay give identical records (SGD, docs/science.md section 7 item 7).
//   mechanism-1-adam          AdamW matches its own prediction the same way; Adam + L2 ends elsewhere.
//   mechanism-2-jacobian      jacobianNorm, gnNorm and generalizationGap present and finite; the final
//                             Jacobian norm is lower with weight decay than without, for every seed.
//   mechanism-2-kfac-g        the same under K-FAC-G (the paper's no-BN setting): the final Jacobian norm and
//                             kfacGnNorm are lower with weight decay (below 0.8x / 0.9x), for every seed.
//   mechanism-3-damping       K-FAC-F on a BN MLP (docs/science.md section 5): effectiveDamping per layer present
//                             and finite; the BN layers' effective damping (mean over the last quarter of
//                             the records) is lower with weight decay, below 0.8x the run without, per seed.
//   mechanism-3-ekfac         the same for E-KFAC-F (docs/science.md section 8), its damping measured against
//                             its corrected eigenvalues.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../../src/engine/backend';
import type { LoadedDataset } from '../../../src/engine/data/dataset';
import { loadDataset } from '../../../src/engine/data/registry';
import { layerFacts } from '../../../src/engine/metrics/monitor';
import { createTrainingState, train } from '../../../src/engine/trainer';
import type { MetricRecord } from '../../../src/protocol/records';
import { loadSpecFile, loadSpecText, setAtPath, type Trial } from '../../../src/spec';
import { repoRoot, wasmDir } from '../../helpers/backend';

const SEEDS = [1, 2];
const scratch = mkdtempSync(join(tmpdir(), 'wdlab-demo-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The trials of an example spec with `overrides` (dotted paths) applied and `sweep` keys added. */
function exampleTrials(
  name: string,
  overrides: Record<string, unknown>,
  sweep: Record<string, unknown[]>,
): Trial[] {
  const { spec } = loadSpecFile(join(repoRoot(), 'examples', `${name}.wdlab.json`));
  assert.ok(spec, `${name} is a valid spec`);
  const raw = JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) setAtPath(raw, path, value);
  raw.sweep = { ...spec.sweep, ...sweep };
  const loaded = loadSpecText(JSON.stringify(raw));
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return loaded.trials;
}

interface Outcome {
  trial: Trial;
  records: MetricRecord[];
  /** Names of the scale-invariant (BN) layers. */
  bnLayers: string[];
}

const datasets = new Map<string, LoadedDataset>();

async function run(trial: Trial): Promise<Outcome> {
  const { spec } = trial;
  const key = JSON.stringify(spec.data);
  if (!datasets.has(key)) datasets.set(key, await loadDataset(spec.data));
  const data = datasets.get(key)!;
  const state = createTrainingState(spec, data);
  const records: MetricRecord[] = [];
  const outcome = await train(
    spec,
    data,
    state,
    { record: (r) => records.push(r), progress: () => {}, checkpoint: () => {}, stopRequested: () => false },
    { checkpointDir: mkdtempSync(join(scratch, 'ckpt-')), resume: false },
  );
  assert.equal(outcome.status, 'completed', outcome.reason);
  const bnLayers = layerFacts(state.model.layers, spec.regularization)
    .filter((l) => l.scaleInvariant)
    .map((l) => l.name);
  state.model.dispose();
  state.optimizer.dispose();
  return { trial, records, bnLayers };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const label = (o: Outcome) => `${JSON.stringify(o.trial.values)}`;
const lastQuarter = (records: MetricRecord[]) => records.slice(Math.floor((3 * records.length) / 4));
/** Every field but the wall-clock ones. */
const withoutTimes = (r: MetricRecord) =>
  Object.fromEntries(Object.entries(r).filter(([k]) => !/^time\b/.test(k)));

/** Angular update over the last quarter vs theory, and the effective LR levelled off, for every BN layer. */
function assertEquilibrium(o: Outcome, effectiveKey: 'effectiveLr' | 'effectiveLrAdam'): void {
  const tail = lastQuarter(o.records);
  for (const layer of o.bnLayers) {
    const theory = tail.at(-1)![`theory/angularUpdate/${layer}`];
    assert.ok(theory > 0, `${label(o)} ${layer}: a prediction`);
    const measured = mean(tail.map((r) => r[`angularUpdate/${layer}`]));
    // The effective LR: the mean of the first and of the last three records of the last quarter.
    const eff = tail.map((r) => r[`${effectiveKey}/${layer}`]);
    const change = mean(eff.slice(-3)) / mean(eff.slice(0, 3)) - 1;
    console.log(
      `# ${label(o)} ${layer}: angular update ${measured.toFixed(5)} vs theory ${theory.toFixed(5)} (${(100 * (measured / theory - 1)).toFixed(1)}%), ${effectiveKey} change over the last quarter ${(100 * change).toFixed(1)}%`,
    );
    assert.ok(
      Math.abs(measured / theory - 1) < 0.25,
      `${label(o)} ${layer}: ${measured} vs theory ${theory}`,
    );
    assert.ok(Math.abs(change) < 0.15, `${label(o)} ${layer}: effective LR changed by ${change}`);
  }
}

before(async () => {
  await initBackend('wasm', { wasmDir: wasmDir() });
});

/** Mechanism 3: per seed, the BN layers' effective damping (last quarter) with WD below 0.8x the run without. */
function assertDampingLowerWithWd(outcomes: Outcome[], optimizer: string): void {
  for (const seed of SEEDS) {
    const rho = (type: string, layer: string) =>
      mean(
        lastQuarter(
          outcomes.find(
            (o) => o.trial.spec.training.seed === seed && o.trial.spec.regularization.type === type,
          )!.records,
        ).map((r) => r[`effectiveDamping/${layer}`]),
      );
    for (const layer of ['fc1', 'fc2']) {
      const [none, wd] = [rho('none', layer), rho('weightDecay', layer)];
      console.log(
        `# mechanism 3 (${optimizer}) seed ${seed} ${layer}: effective damping ${none.toFixed(4)} -> ${wd.toFixed(4)} (none -> weightDecay)`,
      );
      assert.ok(wd < 0.8 * none, `seed ${seed} ${layer}: ${wd} vs ${none}`);
    }
  }
}

describe('example specs show their mechanism (scaled down, several seeds)', () => {
  test('mechanism-1-effective-lr: without WD the effective LR falls steadily; with WD it levels off at theory', async () => {
    // 8 epochs = 256 steps (of the example's 1280): heavy ball with lr * lambda = 1e-3 equilibrates in ~100.
    const trials = exampleTrials(
      'mechanism-1-effective-lr',
      { 'training.epochs': 8 },
      { 'training.seed': SEEDS },
    );
    for (const trial of trials) {
      const o = await run(trial);
      assert.ok(o.bnLayers.length === 2, 'fc1 and fc2 are followed by BN');
      if (trial.spec.regularization.type === 'none') {
        for (const layer of o.bnLayers) {
          // Five checkpoints: start, quarters, end.
          const n = o.records.length - 1;
          const eff = [0, 0.25, 0.5, 0.75, 1].map(
            (f) => o.records[Math.round(f * n)][`effectiveLr/${layer}`],
          );
          console.log(
            `# ${label(o)} ${layer}: effectiveLr at 0, 1/4, 1/2, 3/4, end: ${eff.map((e) => e.toExponential(2)).join(', ')}`,
          );
          eff.slice(1).forEach((e, i) => {
            assert.ok(e < eff[i], `${label(o)} ${layer}: effective LR rose from ${eff[i]} to ${e}`);
          });
          assert.ok(eff[4] < 0.5 * eff[0], `${label(o)} ${layer}: ${eff[4]} is not below half of ${eff[0]}`);
          assert.ok(
            !Object.keys(o.records.at(-1)!).some((k) => k.startsWith('theory/')),
            'no prediction without decay',
          );
        }
      } else {
        assertEquilibrium(o, 'effectiveLr');
      }
    }
  });

  test('mechanism-1-effective-lr: for SGD, l2 and weightDecay give identical records', async () => {
    const trials = exampleTrials(
      'mechanism-1-effective-lr',
      { 'training.epochs': 2 },
      { 'regularization.type': ['l2', 'weightDecay'] },
    );
    const [l2, wd] = await Promise.all(trials.map(run));
    assert.deepEqual(l2.records.map(withoutTimes), wd.records.map(withoutTimes));
  });

  test('mechanism-1-adam: AdamW levels off at its theory; Adam + L2 is a different run', async () => {
    // 10 epochs = 320 steps: ||W||^2 relaxes by e every 1 / (2 lr lambda) = 100 steps.
    const trials = exampleTrials(
      'mechanism-1-adam',
      { 'training.epochs': 10 },
      { 'regularization.type': ['l2', 'weightDecay'], 'training.seed': SEEDS },
    );
    const outcomes: Outcome[] = [];
    for (const trial of trials) outcomes.push(await run(trial));
    for (const seed of SEEDS) {
      const of = (type: string) =>
        outcomes.find(
          (o) => o.trial.spec.training.seed === seed && o.trial.spec.regularization.type === type,
        )!;
      const [l2, wd] = [of('l2'), of('weightDecay')];
      assertEquilibrium(wd, 'effectiveLrAdam');
      assert.ok(
        !Object.keys(l2.records.at(-1)!).some((k) => k.startsWith('theory/')),
        'no closed form for Adam + L2',
      );
      for (const layer of wd.bnLayers) {
        const [a, b] = [l2.records.at(-1)![`weightNorm/${layer}`], wd.records.at(-1)![`weightNorm/${layer}`]];
        console.log(
          `# adam seed ${seed} ${layer}: final ||W|| l2 ${a.toFixed(3)} vs weightDecay ${b.toFixed(3)}`,
        );
        assert.ok(
          Math.abs(Math.log(a / b)) > Math.log(1.5),
          `${layer}: L2 and AdamW norms differ by more than 1.5x`,
        );
      }
    }
  });

  test('mechanism-2-jacobian: WD lowers the Jacobian norm; jacobianNorm, gnNorm, generalizationGap logged', async () => {
    const trials = exampleTrials(
      'mechanism-2-jacobian',
      // 6 epochs = 192 steps (of the example's 1280).
      { 'training.epochs': 6 },
      { 'training.seed': SEEDS },
    );
    const outcomes: Outcome[] = [];
    for (const trial of trials) outcomes.push(await run(trial));
    for (const o of outcomes) {
      const measured = o.records.filter((r) => 'jacobianNorm' in r);
      // Step 0 and every epoch end.
      assert.equal(measured.length, 7, label(o));
      for (const r of measured) {
        for (const k of ['jacobianNorm', 'gnNorm', 'generalizationGap', 'time/metrics'])
          assert.ok(Number.isFinite(r[k]), `${label(o)} ${k} at ${r.step}`);
      }
    }
    for (const seed of SEEDS) {
      const final = (type: string) =>
        outcomes
          .find((o) => o.trial.spec.training.seed === seed && o.trial.spec.regularization.type === type)!
          .records.filter((r) => 'jacobianNorm' in r)
          .at(-1)!;
      const [none, wd] = [final('none'), final('weightDecay')];
      console.log(
        `# mechanism 2 seed ${seed}: jacobianNorm ${none.jacobianNorm.toFixed(1)} -> ${wd.jacobianNorm.toFixed(1)}, gnNorm ${none.gnNorm.toFixed(0)} -> ${wd.gnNorm.toFixed(0)}, gap ${none.generalizationGap.toFixed(3)} -> ${wd.generalizationGap.toFixed(3)} (none -> weightDecay)`,
      );
      assert.ok(
        wd.jacobianNorm < 0.8 * none.jacobianNorm,
        `seed ${seed}: ${wd.jacobianNorm} vs ${none.jacobianNorm}`,
      );
    }
  });

  test('mechanism-3-damping: with WD the effective damping of the BN layers stays lower (K-FAC-F)', async () => {
    const trials = exampleTrials(
      'mechanism-3-damping',
      // 12 epochs = 384 steps (of the example's 640).
      { 'training.epochs': 12 },
      { 'training.seed': SEEDS },
    );
    const outcomes: Outcome[] = [];
    for (const trial of trials) outcomes.push(await run(trial));
    for (const o of outcomes) {
      assert.deepEqual(o.bnLayers, ['fc1', 'fc2']);
      for (const r of o.records.slice(1))
        for (const layer of ['fc1', 'fc2', 'fc'])
          assert.ok(r[`effectiveDamping/${layer}`] > 0, `${label(o)} ${layer} at ${r.step}`);
    }
    assertDampingLowerWithWd(outcomes, 'K-FAC-F');
  });

  test('mechanism-3-ekfac: with E-KFAC too, WD keeps the effective damping of the BN layers lower', async () => {
    const trials = exampleTrials(
      'mechanism-3-ekfac',
      // The E-KFAC arm (the K-FAC arm is mechanism-3-damping's); 12 epochs = 384 steps (of 640). The
      // resolved spec carries K-FAC's inversion defaults, which E-KFAC does not take.
      {
        'training.epochs': 12,
        'optimizer.dampingScheme': undefined,
        'optimizer.inverseMethod': undefined,
        'optimizer.inverseSchedule': undefined,
      },
      { 'optimizer.type': ['ekfac-f'], 'training.seed': SEEDS },
    );
    const outcomes: Outcome[] = [];
    for (const trial of trials) outcomes.push(await run(trial));
    assertDampingLowerWithWd(outcomes, 'E-KFAC-F');
  });

  test('mechanism-2-kfac-g: under K-FAC-G, WD lowers the Jacobian norm and the K-FAC GN norm', async () => {
    const trials = exampleTrials(
      'mechanism-2-kfac-g',
      // 6 epochs = 192 steps (of the example's 640).
      { 'training.epochs': 6 },
      { 'training.seed': SEEDS },
    );
    const outcomes: Outcome[] = [];
    for (const trial of trials) outcomes.push(await run(trial));
    for (const seed of SEEDS) {
      const final = (type: string) =>
        outcomes
          .find((o) => o.trial.spec.training.seed === seed && o.trial.spec.regularization.type === type)!
          .records.filter((r) => 'jacobianNorm' in r)
          .at(-1)!;
      const [none, wd] = [final('none'), final('weightDecay')];
      console.log(
        `# mechanism 2 (K-FAC-G) seed ${seed}: jacobianNorm ${none.jacobianNorm.toFixed(1)} -> ${wd.jacobianNorm.toFixed(1)}, kfacGnNorm ${none.kfacGnNorm.toFixed(1)} -> ${wd.kfacGnNorm.toFixed(1)}, gap ${none.generalizationGap.toFixed(3)} -> ${wd.generalizationGap.toFixed(3)} (none -> weightDecay)`,
      );
      assert.ok(
        wd.jacobianNorm < 0.8 * none.jacobianNorm,
        `seed ${seed}: ${wd.jacobianNorm} vs ${none.jacobianNorm}`,
      );
      assert.ok(
        wd.kfacGnNorm < 0.9 * none.kfacGnNorm,
        `seed ${seed}: ${wd.kfacGnNorm} vs ${none.kfacGnNorm}`,
      );
    }
  });
});
