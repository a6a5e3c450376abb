// Colours that read in every theme: every series colour as it is drawn (run lines, group means, layer
// shades, theory overlays; composited over the background at the opacity drawn; bands excluded) against
// the editor background of each built-in VS Code theme, WCAG 2.x contrast ≥ 3:1 (SC 1.4.11, graphics).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricRecord } from '../../../src/protocol/records';
import type { RunView } from '../../../src/protocol/runs';
import { lineSpecs } from '../../../webview/charts/lines';
import {
  composite,
  contrastRatio,
  ensureContrast,
  parseColor,
  relativeLuminance,
} from '../../../webview/data/contrast';
import { discoverCharts } from '../../../webview/data/families';
import { PALETTES, TABLEAU_10, type ThemeKind, themeKind } from '../../../webview/data/palette';
import { layerShade, runLook } from '../../../webview/data/runStyle';
import { SeriesCache } from '../../../webview/data/series';
import { DEFAULT_STATE } from '../../../webview/state';
import { paletteFor } from '../../../webview/theme';

/** VS Code's built-in themes: editor.background and the body class kind the webview gets. */
const THEMES: readonly { name: string; kind: ThemeKind; background: string }[] = [
  { name: 'Light Modern', kind: 'light', background: '#FFFFFF' },
  { name: 'Dark Modern', kind: 'dark', background: '#1F1F1F' },
  { name: 'Light+', kind: 'light', background: '#FFFFFF' },
  { name: 'Dark+', kind: 'dark', background: '#1E1E1E' },
  { name: 'High Contrast', kind: 'highContrast', background: '#000000' },
  { name: 'High Contrast Light', kind: 'highContrastLight', background: '#FFFFFF' },
];

const MIN = 3;
const ratio = (color: string, background: string): number => {
  const c = parseColor(color);
  const bg = parseColor(background);
  assert.ok(c && bg, `parse ${color} / ${background}`);
  return contrastRatio(c, bg);
};

const run = (i: number): RunView => ({
  id: `r${i}`,
  name: 'sweep',
  group: 'g',
  values: { seed: i },
  label: `seed=${i}`,
  status: 'completed',
});

describe('WCAG contrast', () => {
  test('the formula: relative luminance and ratio as WCAG 2.x defines them', () => {
    assert.equal(ratio('#000000', '#ffffff'), 21);
    assert.equal(ratio('#ffffff', '#ffffff'), 1);
    assert.ok(Math.abs(ratio('#767676', '#ffffff') - 4.54) < 0.01);
    assert.ok(Math.abs(ratio('#777777', '#ffffff') - 4.48) < 0.01);
    assert.ok(Math.abs(relativeLuminance(parseColor('#808080')!) - 0.2159) < 1e-4);
    // Alpha is composited over the background before measuring.
    assert.deepEqual(composite(parseColor('rgba(0, 0, 0, 0.5)')!, parseColor('#ffffff')!), {
      r: 127.5,
      g: 127.5,
      b: 127.5,
      a: 1,
    });
    assert.deepEqual(parseColor('#abc'), { r: 170, g: 187, b: 204, a: 1 });
    assert.deepEqual(parseColor('#ff000080')?.a, 128 / 255);
    assert.deepEqual(parseColor('rgb(1 2 3 / 50%)'), { r: 1, g: 2, b: 3, a: 0.5 });
    assert.equal(parseColor('tomato'), undefined);
  });

  test("the bug: VS Code's charts.orange in Dark Modern, drawn at a third opacity, fails 3:1", () => {
    const old = ratio('rgba(234,92,0,0.33)', '#1F1F1F');
    assert.ok(old < 1.6, `${old}`);
  });

  test('the palettes are Tableau 10, one per theme kind, ten colours each', () => {
    for (const [kind, palette] of Object.entries(PALETTES)) {
      assert.equal(palette.length, TABLEAU_10.length, kind);
      assert.equal(new Set(palette.map((c) => c.toLowerCase())).size, palette.length, `${kind}: distinct`);
    }
  });

  for (const theme of THEMES) {
    test(`${theme.name} (${theme.background}): every series colour as drawn ≥ ${MIN}:1`, (t) => {
      const palette = paletteFor(theme.kind, theme.background);
      assert.deepEqual(palette, [...PALETTES[theme.kind]], 'built-in themes need no nudging');
      const measured: { what: string; ratio: number }[] = [];
      const check = (what: string, color: string) =>
        measured.push({ what, ratio: ratio(color, theme.background) });
      // 1. Every run look of the first 200 runs (palette, then palette × dashes, then generated hues)
      //    and its 16 layer shades.
      for (let i = 0; i < 200; i++) {
        const { color } = runLook(i, palette, theme.background);
        check(`run ${i}`, color);
        for (let l = 0; l < 16; l++) check(`run ${i} layer ${l}`, layerShade(color, l, 16, theme.background));
      }
      // 2. The lines a chart actually gets: 12 runs × 3 layers with theory, one line per run and grouped.
      const runs = Array.from({ length: 12 }, (_, i) => run(i));
      const rec: MetricRecord = { step: 1, epoch: 0, time: 0 };
      for (const l of ['conv1', 'conv2', 'fc']) {
        rec[`angularUpdate/${l}`] = 0.01;
        rec[`theory/angularUpdate/${l}`] = 0.01;
      }
      rec['train/loss'] = 1;
      const charts = discoverCharts(Object.keys(rec)).flatMap((f) => f.charts);
      for (const groupBy of [null, 'seed']) {
        const ctx = {
          runs,
          records: new Map(runs.map((r) => [r.id, [rec]])),
          state: { ...DEFAULT_STATE, groupBy },
          palette,
          cache: new SeriesCache(),
          background: theme.background,
        };
        for (const chart of charts) {
          for (const line of lineSpecs(chart, ctx)) {
            if (line.role === 'min' || line.role === 'max') continue; // bands: fills, not series lines
            check(`${line.id} (${line.role})`, line.color);
          }
        }
      }
      const worst = measured.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      const paletteMin = Math.min(...palette.map((c) => ratio(c, theme.background)));
      t.diagnostic(
        `${theme.name}: palette min ${paletteMin.toFixed(2)}:1, over ${measured.length} drawn colours min ${worst.ratio.toFixed(2)}:1 (${worst.what})`,
      );
      const failing = measured.filter((m) => m.ratio < MIN);
      assert.deepEqual(failing.slice(0, 5), [], `${failing.length} colours below ${MIN}:1 on ${theme.name}`);
    });
  }

  test('the theme kind: VS Code body classes first, else the background, else the OS scheme', () => {
    const lum = (c: string) => relativeLuminance(parseColor(c)!);
    assert.equal(themeKind(['vscode-light'], lum('#ffffff')), 'light');
    assert.equal(themeKind(['vscode-dark'], lum('#1f1f1f')), 'dark');
    assert.equal(themeKind(['vscode-high-contrast'], lum('#000000')), 'highContrast');
    assert.equal(
      themeKind(['vscode-high-contrast', 'vscode-high-contrast-light'], lum('#ffffff')),
      'highContrastLight',
    );
    assert.equal(themeKind(['wd-report'], lum('#1e1e1e')), 'dark', 'the report in a dark OS scheme');
    assert.equal(themeKind(['wd-report'], undefined, true), 'dark');
    assert.equal(themeKind(['wd-report'], undefined, false), 'light');
    // Solarized Light, Monokai: custom backgrounds decide by their luminance.
    assert.equal(themeKind(['vscode-light'], lum('#fdf6e3')), 'light');
    assert.equal(themeKind(['vscode-dark'], lum('#272822')), 'dark');
  });

  test('a custom theme whose background leaves a colour faint gets it nudged to 3:1', () => {
    const grey = '#777777';
    const nudged = paletteFor('light', grey);
    for (const c of nudged) assert.ok(ratio(c, grey) >= MIN, `${c} on ${grey}`);
    assert.equal(ensureContrast('#000000', '#ffffff'), '#000000', 'enough already: unchanged');
    const onWhite = ensureContrast('#ffffff', '#ffffff');
    assert.ok(ratio(onWhite, '#ffffff') >= MIN, `white on white becomes ${onWhite}`);
  });
});
