// Per-layer charts: the layer picker's data shaping (which lines for all / scale-invariant / one layer,
// colours and tooltips), and the layers × steps heatmap's grid.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LayerInfo, MetricRecord } from '../../../src/protocol/records';
import type { RunView } from '../../../src/protocol/runs';
import { type LineContext, linePoints, lineSpecs } from '../../../webview/charts/lines';
import { contrastRatio, parseColor } from '../../../webview/data/contrast';
import { discoverCharts } from '../../../webview/data/families';
import { heatColor, heatmapGrid, logPosition, logRange } from '../../../webview/data/heatmap';
import {
  ALL_LAYERS,
  type LayerPick,
  layerOptions,
  onlyLayer,
  pickedLayers,
  SCALE_INVARIANT,
  sanitizePick,
} from '../../../webview/data/layers';
import { layerShade } from '../../../webview/data/runStyle';
import { SeriesCache } from '../../../webview/data/series';
import { DEFAULT_STATE, type ViewState } from '../../../webview/state';
import { runView } from '../../helpers/runViews';

const layer = (name: string, scaleInvariant: boolean): LayerInfo => ({
  name,
  kind: name.startsWith('conv') ? 'conv2d' : 'dense',
  scaleInvariant,
  decayed: true,
  parameters: 100,
});
// A BN network: the convolutions are scale-invariant, the classifier is not.
const LAYERS = [layer('conv1', true), layer('conv2', true), layer('fc', false)];

const run = (id: string, values: Record<string, unknown>, layers?: LayerInfo[]): RunView =>
  runView(id, values, { layers });

const records = (scale: number): MetricRecord[] =>
  Array.from({ length: 4 }, (_, i) => ({
    step: i * 10,
    epoch: i,
    time: i,
    'weightNorm/conv1': scale * (i + 1),
    'weightNorm/conv2': scale * (i + 2),
    'weightNorm/fc': scale * (i + 3),
    'angularUpdate/conv1': 0.01,
    'angularUpdate/conv2': 0.02,
    'angularUpdate/fc': 0.03,
    'theory/angularUpdate/conv1': 0.015,
  }));

const PALETTE = ['#4E79A7', '#BA6D21', '#D85455'];

function context(state: Partial<ViewState> = {}, background = '#ffffff'): LineContext {
  return {
    runs: [
      run('a', { wd: 'none', seed: 1 }, LAYERS),
      run('b', { wd: 'yes', seed: 1 }, LAYERS),
      // Written before the trainer reported its layers: scale-invariance unknown.
      run('c', { wd: 'yes', seed: 2 }),
    ],
    records: new Map([
      ['a', records(1)],
      ['b', records(2)],
      ['c', records(3)],
    ]),
    state: { ...DEFAULT_STATE, ...state },
    palette: PALETTE,
    cache: new SeriesCache(),
    background,
  };
}

const charts = discoverCharts(Object.keys(records(1)[0])).flatMap((f) => f.charts);
const weightNorm = charts.find((c) => c.id === 'weightNorm')!;
const angular = charts.find((c) => c.id === 'angularUpdate')!;
const withPick = (pick: LayerPick, extra: Partial<ViewState> = {}) =>
  context({ layers: { weightNorm: pick, angularUpdate: pick }, ...extra });

describe('layer picker', () => {
  test('which layers a run draws: all, the scale-invariant ones (run.json says), or one', () => {
    const [a, , c] = context().runs;
    const layers = ['conv1', 'conv2', 'fc'];
    assert.deepEqual(pickedLayers(layers, a, ALL_LAYERS), ['conv1', 'conv2', 'fc']);
    assert.deepEqual(pickedLayers(layers, a, SCALE_INVARIANT), ['conv1', 'conv2']);
    assert.deepEqual(pickedLayers(layers, c, SCALE_INVARIANT), [], 'a run without layers info has none');
    assert.deepEqual(pickedLayers(layers, c, ALL_LAYERS), ['conv1', 'conv2', 'fc']);
    assert.deepEqual(pickedLayers(layers, a, onlyLayer('fc')), ['fc']);
    assert.deepEqual(pickedLayers(layers, a, onlyLayer('gone')), []);
  });

  test('a stored pick that no longer fits the chart falls back to all layers', () => {
    const layers = ['conv1', 'fc'];
    assert.equal(sanitizePick(undefined, layers), 'all');
    assert.equal(sanitizePick('scaleInvariant', layers), 'scaleInvariant');
    assert.equal(sanitizePick('layer:fc', layers), 'layer:fc');
    assert.equal(sanitizePick('layer:conv9', layers), 'all');
    assert.equal(sanitizePick('bogus', layers), 'all');
  });

  test('options: all (n), scale-invariant (n; disabled when no run marks any), then each layer', () => {
    const ctx = context();
    assert.deepEqual(
      layerOptions(['conv1', 'conv2', 'fc'], ctx.runs).map((o) => [o.value, o.label, o.disabled]),
      [
        ['all', 'all layers (3)', false],
        ['scaleInvariant', 'scale-invariant (2)', false],
        ['layer:conv1', 'conv1 · scale-invariant', false],
        ['layer:conv2', 'conv2 · scale-invariant', false],
        ['layer:fc', 'fc', false],
      ],
    );
    const none = layerOptions(['fc1'], [ctx.runs[2]]);
    assert.deepEqual(
      none.map((o) => [o.value, o.disabled]),
      [
        ['all', false],
        ['scaleInvariant', true],
        ['layer:fc1', false],
      ],
    );
  });

  test('all layers: one line per run and layer, shades of the run colour, run and layer named', () => {
    const specs = lineSpecs(weightNorm, context({ hidden: ['c'] }));
    assert.deepEqual(
      specs.map((s) => [s.id, s.layer, s.label]),
      [
        ['run|a|weightNorm/conv1', 'conv1', 'wd=none, seed=1'],
        ['run|a|weightNorm/conv2', 'conv2', 'wd=none, seed=1'],
        ['run|a|weightNorm/fc', 'fc', 'wd=none, seed=1'],
        ['run|b|weightNorm/conv1', 'conv1', 'wd=yes, seed=1'],
        ['run|b|weightNorm/conv2', 'conv2', 'wd=yes, seed=1'],
        ['run|b|weightNorm/fc', 'fc', 'wd=yes, seed=1'],
      ],
    );
    // The first layer has the run's own colour; later layers darker shades of it (white background).
    assert.equal(specs[0].color, PALETTE[0]);
    assert.equal(specs[3].color, PALETTE[1]);
    const a = specs.slice(0, 3).map((s) => s.color);
    assert.equal(new Set(a).size, 3, 'layers of a run tell apart');
    const white = parseColor('#ffffff')!;
    const ratios = a.map((c) => contrastRatio(parseColor(c)!, white));
    assert.ok(
      ratios[1] > ratios[0] && ratios[2] > ratios[1],
      `shades move away from the background: ${ratios}`,
    );
    // Each line's points are its own layer's values.
    const points = linePoints(specs[2], context(), { logX: false, logY: false, range: null, target: 100 });
    assert.deepEqual(
      points.map((p) => p.y),
      [3, 4, 5, 6],
    );
  });

  test('scale-invariant layers: the BN convolutions of the runs that say so', () => {
    const specs = lineSpecs(weightNorm, withPick(SCALE_INVARIANT));
    assert.deepEqual(
      specs.map((s) => s.id),
      [
        'run|a|weightNorm/conv1',
        'run|a|weightNorm/conv2',
        'run|b|weightNorm/conv1',
        'run|b|weightNorm/conv2',
      ],
    );
  });

  test('one layer: one line per run in the run colour itself', () => {
    const specs = lineSpecs(weightNorm, withPick(onlyLayer('fc')));
    assert.deepEqual(
      specs.map((s) => [s.id, s.color]),
      [
        ['run|a|weightNorm/fc', PALETTE[0]],
        ['run|b|weightNorm/fc', PALETTE[1]],
        ['run|c|weightNorm/fc', PALETTE[2]],
      ],
    );
  });

  test('theory overlays follow their layer', () => {
    const ids = (pick: LayerPick) =>
      lineSpecs(angular, withPick(pick, { hidden: ['b', 'c'] })).map((s) => s.id);
    assert.deepEqual(ids(ALL_LAYERS), [
      'run|a|angularUpdate/conv1',
      'theory|a|theory/angularUpdate/conv1',
      'run|a|angularUpdate/conv2',
      'run|a|angularUpdate/fc',
    ]);
    assert.deepEqual(ids(onlyLayer('conv2')), ['run|a|angularUpdate/conv2']);
    const [measured, theory] = lineSpecs(angular, withPick(ALL_LAYERS, { hidden: ['b', 'c'] }));
    assert.deepEqual(theory.dash, [1, 3]);
    assert.equal(theory.layer, 'conv1');
    assert.equal(theory.color, measured.color, "theory in its layer's colour, opaque");
  });

  test('grouped: a mean per group and layer; the min-max band only when one layer is shown', () => {
    const roles = (pick: LayerPick) =>
      lineSpecs(weightNorm, withPick(pick, { groupBy: 'wd' })).map(
        (s) => `${s.role}|${s.id.split('|')[1]}|${s.metric}`,
      );
    assert.deepEqual(roles(SCALE_INVARIANT), [
      'mean|wd=none|weightNorm/conv1',
      'mean|wd=none|weightNorm/conv2',
      // Group "yes" holds b (which says) and c (which does not): b's layers are drawn.
      'mean|wd=yes|weightNorm/conv1',
      'mean|wd=yes|weightNorm/conv2',
    ]);
    assert.deepEqual(roles(onlyLayer('conv2')), [
      'min|wd=none|weightNorm/conv2',
      'max|wd=none|weightNorm/conv2',
      'mean|wd=none|weightNorm/conv2',
      'min|wd=yes|weightNorm/conv2',
      'max|wd=yes|weightNorm/conv2',
      'mean|wd=yes|weightNorm/conv2',
    ]);
  });

  test('layer shades keep the run colour’s contrast on dark backgrounds too', () => {
    const bg = parseColor('#1f1f1f')!;
    const base = contrastRatio(parseColor('#6389B2')!, bg);
    for (let i = 0; i < 16; i++) {
      const c = layerShade('#6389B2', i, 16, '#1f1f1f');
      assert.ok(contrastRatio(parseColor(c)!, bg) >= base - 1e-9, `layer ${i}: ${c}`);
    }
    assert.equal(layerShade('#6389B2', 0, 16, '#1f1f1f'), '#6389B2');
    assert.equal(layerShade('#6389B2', 3, 1, '#1f1f1f'), '#6389B2', 'a single layer: the run colour');
  });
});

describe('layers × steps heatmap', () => {
  const recs: MetricRecord[] = [
    { step: 0, epoch: 0, time: 0, 'test/loss': 2 },
    { step: 1, epoch: 0.1, time: 1, 'weightNorm/conv1': 1, 'weightNorm/conv2': 10 },
    { step: 2, epoch: 0.2, time: 2, 'weightNorm/conv1': 4, 'weightNorm/conv2': 0 },
    { step: 3, epoch: 0.3, time: 3, 'weightNorm/conv2': 1000 },
    { step: 4, epoch: 0.4, time: 4, 'weightNorm/conv1': 100 },
  ];

  test('rows are layers, columns the steps that have any of them; values ≤ 0 or missing are NaN', () => {
    const g = heatmapGrid(recs, 'weightNorm', ['conv1', 'conv2']);
    assert.deepEqual(g.layers, ['conv1', 'conv2']);
    assert.deepEqual(g.steps, [1, 2, 3, 4]);
    assert.deepEqual(g.values, [
      [1, 4, Number.NaN, 100],
      [10, Number.NaN, 1000, Number.NaN],
    ]);
  });

  test('more steps than columns: consecutive steps binned, geometric mean, the bin named by its last step', () => {
    const g = heatmapGrid(recs, 'weightNorm', ['conv1', 'conv2'], 2);
    assert.deepEqual(g.steps, [2, 4]);
    const near = (row: number[], want: number[]) => {
      for (const [i, w] of want.entries()) assert.ok(Math.abs(row[i] - w) < 1e-9 * w, `${row} vs ${want}`);
    };
    near(g.values[0], [2, 100]);
    near(g.values[1], [10, 1000]);
  });

  test('one log colour scale over every run; viridis from dark purple to yellow', () => {
    const a = heatmapGrid(recs, 'weightNorm', ['conv1']);
    const b = heatmapGrid(recs, 'weightNorm', ['conv2']);
    assert.deepEqual(logRange([a, b]), [0, 3]);
    assert.deepEqual(logRange([heatmapGrid(recs, 'weightNorm', [])]), undefined);
    assert.deepEqual(logRange([{ layers: ['x'], steps: [1], values: [[5]] }]), [
      Math.log10(5) - 0.5,
      Math.log10(5) + 0.5,
    ]);
    assert.equal(logPosition(10, [0, 2]), 0.5);
    assert.ok(Number.isNaN(logPosition(0, [0, 2])));
    assert.equal(heatColor(0), 'rgb(68, 1, 84)');
    assert.equal(heatColor(1), 'rgb(253, 231, 37)');
    assert.equal(heatColor(2), heatColor(1), 'clamped');
  });

  test('rows follow the layer picker', () => {
    const ctx = context();
    const rows = (pick: LayerPick, i: number) =>
      heatmapGrid(
        ctx.records.get(ctx.runs[i].id) ?? [],
        'weightNorm',
        pickedLayers(['conv1', 'conv2', 'fc'], ctx.runs[i], pick),
      ).layers;
    assert.deepEqual(rows(ALL_LAYERS, 0), ['conv1', 'conv2', 'fc']);
    assert.deepEqual(rows(SCALE_INVARIANT, 0), ['conv1', 'conv2']);
    assert.deepEqual(rows(SCALE_INVARIANT, 2), []);
    assert.deepEqual(rows(onlyLayer('fc'), 1), ['fc']);
  });
});
