// The mechanism verdict (src/protocol/verdict.ts) on hand-made runs and records: every branch of every
// mechanism (shows, does not show, not measured, cannot apply), the accuracy against the seed spread, the
// paper's expectation per optimizer × BN, and which runs form a contrast. Real runs: test/unit/cli/explain.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LayerInfo, MetricRecord } from '../../../src/protocol/records';
import type { RunFacts, RunView } from '../../../src/protocol/runs';
import {
  type Contrast,
  endOfRun,
  explainRuns,
  type MechanismRow,
  paperExpectation,
  VERDICT_THRESHOLDS,
} from '../../../src/protocol/verdict';
import { optimizerDescriptor } from '../../../src/spec/optimizers';

/** What src/runner/runFacts.ts takes from an optimizer's descriptor. */
const optimizerFacts = (type: string) => {
  const d = optimizerDescriptor(type);
  return {
    optimizer: type,
    optimizerName: d.displayName,
    paperOptimizer: d.paper.counterpart,
    inPaper: d.paper.inPaper,
    effectiveLr: d.effectiveLr?.stem,
  };
};

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  ...optimizerFacts(over.optimizer ?? 'sgd'),
  batchNorm: true,
  regularization: 'none',
  coefficient: 0.005,
  apply: 'all',
  seed: 1,
  config: 'config-A',
  ...over,
});

/** fc1, fc2 (scale-invariant when `bn`) and the classifier fc; `decayed`: which the regularizer reaches. */
function layers(bn: boolean, decayed: (name: string) => boolean): LayerInfo[] {
  return ['fc1', 'fc2', 'fc'].map((name) => ({
    name,
    kind: 'dense',
    scaleInvariant: bn && name !== 'fc',
    decayed: decayed(name),
    parameters: 100,
  }));
}

interface RunSpec {
  id: string;
  facts: RunFacts;
  status?: RunView['status'];
  /** The value of each key at record i of n (20 records). */
  values: (i: number) => Record<string, number>;
}

function build(specs: RunSpec[]): { runs: RunView[]; records: Map<string, MetricRecord[]> } {
  const runs: RunView[] = [];
  const records = new Map<string, MetricRecord[]>();
  for (const s of specs) {
    const wd = s.facts.regularization !== 'none' && s.facts.coefficient > 0;
    runs.push({
      id: s.id,
      name: 'hand-made',
      group: 'g',
      values: { 'regularization.type': s.facts.regularization, 'training.seed': s.facts.seed },
      label: s.id,
      status: s.status ?? 'completed',
      layers: layers(s.facts.batchNorm, (n) => wd && (s.facts.apply !== 'fc' || n === 'fc')),
      facts: s.facts,
    });
    records.set(
      s.id,
      Array.from({ length: 20 }, (_, i) => ({ step: 10 * i, epoch: i / 2, time: i, ...s.values(i) })),
    );
  }
  return { runs, records };
}

/** Per-layer keys for fc1 and fc2. */
const perLayer = (stem: string, v: number): Record<string, number> => ({
  [`${stem}/fc1`]: v,
  [`${stem}/fc2`]: v,
});

const mech = (c: Contrast, m: 1 | 2 | 3): MechanismRow => c.rows.find((r) => r.mechanism === m)!;

function one(specs: RunSpec[]): Contrast {
  const { runs, records } = build(specs);
  const { contrasts } = explainRuns(runs, records);
  assert.equal(contrasts.length, 1, JSON.stringify(contrasts.map((c) => c.title)));
  return contrasts[0];
}

/** SGD + BN: the baseline's effective LR falls 4x below WD's; WD's angular update sits at `eq`× theory. */
function sgdBn(effRatio: number, eq: number, acc = { none: 0.8, wd: 0.82 }): RunSpec[] {
  return [
    {
      id: 'none',
      facts: facts(),
      values: () => ({
        ...perLayer('effectiveLr', 0.5),
        ...perLayer('angularUpdate', 0.125),
        'test/accuracy': acc.none,
      }),
    },
    {
      id: 'wd',
      facts: facts({ regularization: 'weightDecay' }),
      values: () => ({
        // Powers of two and 1.5: the ratios are exact, so the thresholds' edges are tested as written.
        ...perLayer('effectiveLr', 0.5 * effRatio),
        ...perLayer('angularUpdate', 0.25 * eq),
        ...perLayer('theory/angularUpdate', 0.25),
        'test/accuracy': acc.wd,
      }),
    },
  ];
}

describe('mechanism verdict', () => {
  test('SGD + BN: Mechanism 1 shows (effective LR ×4, angular update at its equilibrium); 2 not measured; 3 cannot apply', () => {
    const c = one(sgdBn(4, 1));
    assert.equal(c.optimizer, 'SGD');
    assert.equal(c.batchNorm, true);
    assert.deepEqual(
      c.rows.map((r) => [r.mechanism, r.verdict, r.expected]),
      [
        [1, 'shows', true],
        [2, 'not measured', false],
        [3, 'cannot apply', false],
      ],
    );
    const [eff, eq] = mech(c, 1).measurements;
    assert.equal(eff.metric, 'effectiveLr');
    assert.ok(Math.abs(eff.value - 4) < 1e-9);
    assert.equal(eff.layers, 2, 'fc1 and fc2; the classifier is not scale-invariant');
    assert.ok(Math.abs(eq.value - 1) < 1e-9);
    assert.match(mech(c, 1).signature, /effective LR ×4\.0; angular update 1\.0× equilibrium/);
    assert.equal(c.expectation.mechanism, 1);
    assert.deepEqual(c.regularized.runIds, ['wd']);
    assert.deepEqual(c.baseline.runIds, ['none']);
    assert.match(c.summary, /^Measured: the signature of Mechanism 1 shows\. The paper expects Mechanism 1/);
  });

  test('Mechanism 1 does not show: the effective LR ratio under 1.5, or the angular update off its equilibrium', () => {
    assert.equal(mech(one(sgdBn(1.2, 1)), 1).verdict, 'does not show');
    const offEquilibrium = mech(one(sgdBn(4, 3)), 1);
    assert.equal(offEquilibrium.verdict, 'does not show');
    assert.equal(offEquilibrium.measurements[1].meets, false);
    assert.equal(mech(one(sgdBn(4, 0.4)), 1).verdict, 'does not show');
    // The thresholds themselves: exactly 1.5 and the band's edges count as shown.
    assert.equal(mech(one(sgdBn(VERDICT_THRESHOLDS.effectiveLrRatio, 2)), 1).verdict, 'shows');
  });

  test('Mechanism 1 without a prediction: judged on the effective LR alone, and says so', () => {
    const specs = sgdBn(4, 1);
    const wd = specs[1];
    const values = wd.values;
    wd.values = (i) =>
      Object.fromEntries(Object.entries(values(i)).filter(([k]) => !k.startsWith('theory/')));
    const row = mech(one(specs), 1);
    assert.equal(row.verdict, 'shows');
    assert.equal(row.measurements.length, 1);
    assert.match(row.evidence, /no equilibrium prediction/);
  });

  test('Mechanism 1 not measured: no effectiveLr/* in the records', () => {
    const c = one([
      { id: 'none', facts: facts(), values: () => ({ 'test/accuracy': 0.5 }) },
      { id: 'wd', facts: facts({ regularization: 'weightDecay' }), values: () => ({ 'test/accuracy': 0.5 }) },
    ]);
    assert.equal(mech(c, 1).verdict, 'not measured');
  });

  test('Adam + BN: Mechanism 1 reads effectiveLrAdam/*', () => {
    const c = one([
      { id: 'none', facts: facts({ optimizer: 'adam' }), values: () => perLayer('effectiveLrAdam', 0.001) },
      {
        id: 'wd',
        facts: facts({ optimizer: 'adam', regularization: 'weightDecay' }),
        values: () => perLayer('effectiveLrAdam', 0.003),
      },
    ]);
    assert.equal(mech(c, 1).verdict, 'shows');
    assert.equal(mech(c, 1).measurements[0].metric, 'effectiveLrAdam');
    assert.equal(c.expectation.mechanism, 1);
  });

  test('weight decay on the classifier only (apply fc): Mechanism 1 cannot apply', () => {
    const specs = sgdBn(4, 1);
    specs[1].facts = facts({ regularization: 'weightDecay', apply: 'fc' });
    const row = mech(one(specs), 1);
    assert.equal(row.verdict, 'cannot apply');
    assert.match(row.signature, /apply: fc/);
  });

  test('no BN: Mechanisms 1 and 3 cannot apply; Mechanism 2 shows when Jacobian and GN norms fall and the gap with them', () => {
    const run = (id: string, reg: string, jac: number, gn: number, gap: number): RunSpec => ({
      id,
      facts: facts({ batchNorm: false, regularization: reg }),
      // Extra-pass metrics: only on every fifth record, as at epoch ends.
      values: (i): Record<string, number> =>
        i % 5 === 4 ? { jacobianNorm: jac, gnNorm: gn, generalizationGap: gap, 'test/accuracy': 0.9 } : {},
    });
    const c = one([run('none', 'none', 10, 100, 0.3), run('wd', 'weightDecay', 3, 40, 0.1)]);
    assert.deepEqual(
      c.rows.map((r) => r.verdict),
      ['cannot apply', 'shows', 'cannot apply'],
    );
    assert.match(mech(c, 1).evidence, /no BN/);
    const m2 = mech(c, 2);
    assert.deepEqual(
      m2.measurements.map((m) => [m.metric, Number(m.value.toFixed(3))]),
      [
        ['jacobianNorm', 0.3],
        ['gnNorm', 0.4],
        ['generalizationGap', -0.2],
      ],
    );
    assert.equal(c.expectation.mechanism, undefined, 'SGD without BN: the paper names no mechanism');
    assert.ok(c.rows.every((r) => !r.expected));
    // A Jacobian norm that barely moves, or a larger gap: does not show.
    assert.equal(
      mech(one([run('none', 'none', 10, 100, 0.3), run('wd', 'weightDecay', 9, 40, 0.1)]), 2).verdict,
      'does not show',
    );
    assert.equal(
      mech(one([run('none', 'none', 10, 100, 0.3), run('wd', 'weightDecay', 3, 40, 0.5)]), 2).verdict,
      'does not show',
    );
  });

  test('K-FAC-F + BN: Mechanism 3 shows (effective damping ×0.2); Mechanism 1 cannot apply (K-FAC)', () => {
    const c = one([
      { id: 'none', facts: facts({ optimizer: 'kfac-f' }), values: () => perLayer('effectiveDamping', 5) },
      {
        id: 'wd',
        facts: facts({ optimizer: 'kfac-f', regularization: 'weightDecay' }),
        values: () => perLayer('effectiveDamping', 1),
      },
    ]);
    assert.deepEqual(
      c.rows.map((r) => [r.verdict, r.expected]),
      [
        ['cannot apply', false],
        ['not measured', false],
        ['shows', true],
      ],
    );
    assert.match(mech(c, 1).evidence, /damping/);
    assert.ok(Math.abs(mech(c, 3).measurements[0].value - 0.2) < 1e-9);
    assert.equal(c.expectation.mechanism, 3);
  });

  test('Mechanism 3 does not show (ratio above 1/1.5) and is not measured without effectiveDamping/*', () => {
    const kfac = (wdDamping: number | undefined) =>
      one([
        { id: 'none', facts: facts({ optimizer: 'kfac-g' }), values: () => perLayer('effectiveDamping', 5) },
        {
          id: 'wd',
          facts: facts({ optimizer: 'kfac-g', regularization: 'weightDecay' }),
          values: () => (wdDamping === undefined ? {} : perLayer('effectiveDamping', wdDamping)),
        },
      ]);
    assert.equal(mech(kfac(4), 3).verdict, 'does not show');
    assert.equal(mech(kfac(undefined), 3).verdict, 'not measured');
  });

  test("the paper's expectation per optimizer × BN", () => {
    assert.equal(paperExpectation(optimizerFacts('sgd'), true).mechanism, 1);
    assert.equal(paperExpectation(optimizerFacts('adam'), true).mechanism, 1);
    assert.equal(paperExpectation(optimizerFacts('kfac-f'), true).mechanism, 3);
    assert.equal(paperExpectation(optimizerFacts('kfac-g'), true).mechanism, 3);
    assert.equal(paperExpectation(optimizerFacts('kfac-g'), false).mechanism, 2);
    const kfacF = paperExpectation(optimizerFacts('kfac-f'), false);
    assert.equal(kfacF.mechanism, 2);
    assert.match(kfacF.text, /approximately Mechanism 2/);
    for (const o of ['sgd', 'adam']) {
      const e = paperExpectation(optimizerFacts(o), false);
      assert.equal(e.mechanism, undefined, o);
      assert.match(e.text, /none of its three mechanisms/, o);
    }
    // E-KFAC is not in the paper: its K-FAC's expectation is stated as that, not claimed for E-KFAC.
    const ekfac = paperExpectation(optimizerFacts('ekfac-g'), false);
    assert.equal(ekfac.mechanism, undefined);
    assert.match(ekfac.text, /^E-KFAC-G is not in the paper\. For K-FAC-G it expects: Mechanism 2/);
  });

  test('accuracy: one run per arm leaves the spread unknown; two seeds per arm give within / beyond the seed spread', () => {
    const single = one(sgdBn(4, 1, { none: 0.859, wd: 0.704 })).accuracy;
    assert.ok(Math.abs(single.difference! + 0.155) < 1e-9);
    assert.equal(single.spread, undefined);
    assert.equal(single.withinNoise, undefined);
    assert.match(single.text, /−15\.5 pts; one run per arm, so the seed-to-seed spread is unknown/);

    const seeds = (none: [number, number], wd: [number, number]) => {
      const specs: RunSpec[] = [];
      for (const [i, seed] of [1, 2].entries()) {
        for (const [reg, acc] of [
          ['none', none[i]],
          ['weightDecay', wd[i]],
        ] as const) {
          specs.push({
            id: `${reg}-${seed}`,
            facts: facts({ regularization: reg, seed }),
            values: () => ({ 'test/accuracy': acc }),
          });
        }
      }
      return one(specs);
    };
    const noisy = seeds([0.6, 0.8], [0.72, 0.74]);
    assert.deepEqual(noisy.regularized.seeds, [1, 2]);
    assert.ok(Math.abs(noisy.accuracy.difference! - 0.03) < 1e-9);
    assert.ok(Math.abs(noisy.accuracy.spread! - 0.2) < 1e-9, 'the larger range of the two arms');
    assert.equal(noisy.accuracy.withinNoise, true);
    assert.match(noisy.accuracy.text, /within seed noise \(seed range up to 20\.0 pts\)/);
    const clear = seeds([0.6, 0.61], [0.7, 0.72]);
    assert.equal(clear.accuracy.withinNoise, false);
    assert.match(clear.accuracy.text, /\+10\.5 pts, beyond the seed spread/);
  });

  test('contrasts: only the same configuration, completed runs; none and L2 baselines; a zero coefficient is no regularizer', () => {
    const { runs, records } = build([
      { id: 'none', facts: facts(), values: () => ({}) },
      { id: 'l2', facts: facts({ regularization: 'l2' }), values: () => ({}) },
      { id: 'wd', facts: facts({ regularization: 'weightDecay' }), values: () => ({}) },
      // Another configuration: no partner.
      {
        id: 'other-wd',
        facts: facts({ regularization: 'weightDecay', config: 'config-B' }),
        values: () => ({}),
      },
      // Still training: left out, with a note.
      { id: 'running', facts: facts({ seed: 2 }), status: 'running', values: () => ({}) },
      // L2 with another coefficient: not a partner of wd.
      { id: 'l2-big', facts: facts({ regularization: 'l2', coefficient: 0.05 }), values: () => ({}) },
      // Weight decay with coefficient 0 is the baseline arm.
      {
        id: 'wd0',
        facts: facts({ regularization: 'weightDecay', coefficient: 0, seed: 3 }),
        values: () => ({}),
      },
    ]);
    runs.push({ ...runs[0], id: 'no-facts', facts: undefined });
    records.set('no-facts', []);
    const report = explainRuns(runs, records);
    assert.deepEqual(
      report.contrasts.map((c) => [c.regularized.runIds, c.baseline.type, c.baseline.runIds]),
      [
        [['wd'], 'none', ['none', 'wd0']],
        [['wd'], 'l2', ['l2']],
      ],
    );
    assert.match(report.contrasts[1].expectation.text, /For SGD, L2 and weight decay are the same update/);
    assert.match(report.contrasts[1].title, /vs L2 λ = 0\.005/);
    assert.deepEqual(report.notes, [
      '1 run is still training; the verdict counts completed runs only.',
      '1 completed run without a readable spec.json is left out.',
    ]);
    // The webview passes a Map, the CLI a plain object: the same answer.
    const asObject = Object.fromEntries(records);
    assert.deepEqual(explainRuns(runs, asObject), report);
    // No weight-decay arm: no contrast.
    assert.deepEqual(explainRuns(runs.slice(0, 2), records).contrasts, []);
  });

  test('end of run: the mean over the last 10% of the records that hold the key', () => {
    const records = Array.from({ length: 30 }, (_, i) => ({
      step: i,
      epoch: 0,
      time: 0,
      x: i,
      ...(i % 10 === 9 ? { y: i } : {}),
    }));
    assert.equal(endOfRun(records, 'x'), (27 + 28 + 29) / 3);
    assert.equal(endOfRun(records, 'y'), 29, 'three values: the last one');
    assert.equal(endOfRun(records, 'z'), undefined);
  });
});
