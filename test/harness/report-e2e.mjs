// A real-browser check of the results UI, through the static report: three tiny real runs trained by
// the CLI (`wdlab run`), `wdlab report` writes one HTML file, headless Chromium opens it from file://.
// Asserts no console errors and no CSP violations; a chart per discovered metric in the right family,
// one per per-layer metric (not one per layer); drawn pixels; the legend lists every run with its sweep
// values; the layer picker (all / scale-invariant from run.json / one layer) changes what is drawn and
// exported; the layers × steps heatmap; the chart filter; the legend stays in view while scrolling; log
// y toggles and redraws; Mechanism 1 opens on log y; CSV and PNG export fall back to downloads (an
// accuracy's CSV says its values are fractions); group-by draws mean + band; every run's colour is on
// the chart with WCAG contrast ≥ 3:1 against its background, in the light look and again after the
// theme changes to dark (body class + variables, as VS Code does); the empty state; and the live path.
// Screenshots: test/.tmp/report.png (light, what users see), report-layers.png (scale-invariant
// layers), report-heatmap.png, report-filter.png, report-sticky.png (scrolled, legend in view),
// report-grouped.png, report-dark.png, report-live.png, report-verdict.png (the mechanism verdict card,
// first in the results: a row per mechanism, the accuracy against the seed spread, the paper's expectation),
// report-run-table.png and report-run-table-dark.png (the run table after it: a row per run, sortable
// headers, final metrics; its status and progress follow the live path too).
//
// Usage: node test/harness/report-e2e.mjs   (after setup.sh and `node scripts/build.mjs`)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { artifactsDir, launchBrowser, repoRoot, seriesContrastInPage } from './workbench.mjs';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(chromium)) throw new Error(`no Chromium at ${chromium}: run \`bash test/harness/setup.sh\``);
const cli = join(repoRoot, 'dist', 'cli.js');
if (!existsSync(cli) || !existsSync(join(repoRoot, 'media', 'webview.js'))) {
  throw new Error('dist/cli.js or media/webview.js missing: run `node scripts/build.mjs` first');
}

const started = Date.now();
const step = (msg) => console.log(`[report-e2e] ${((Date.now() - started) / 1000).toFixed(1)} s  ${msg}`);
const work = mkdtempSync(join(tmpdir(), 'wdlab-report-e2e-'));
mkdirSync(artifactsDir, { recursive: true });

function wdlab(...args) {
  const { WDLAB_RUNS_DIR: _ignored, ...env } = process.env;
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wdlab ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// ---- three tiny real runs: a sweep of two, and one more run of another spec ----
const spec = {
  name: 'tiny',
  data: { dataset: 'synthetic-vectors', trainSize: 256, testSize: 128 },
  model: { arch: 'mlp', hidden: [32], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  // Strong enough to part the curves in 24 steps: every run's colour must be visible on the charts.
  regularization: { type: 'weightDecay', coefficient: 0.05 },
  training: { epochs: 3, batchSize: 32, backend: 'wasm', logEverySteps: 2 },
  sweep: { 'regularization.type': ['none', 'weightDecay'] },
};
writeFileSync(join(work, 'tiny.wdlab.json'), JSON.stringify(spec));
const seed2 = { ...spec, sweep: { 'regularization.type': ['weightDecay'], 'training.seed': [2] } };
writeFileSync(join(work, 'seed2.wdlab.json'), JSON.stringify(seed2));
const runsDir = join(work, 'runs');
wdlab('run', 'tiny.wdlab.json', '--runs-dir', runsDir, '--quiet');
wdlab('run', 'seed2.wdlab.json', '--runs-dir', runsDir, '--quiet');
step('3 runs trained');
const reportFile = join(work, 'report.html');
const printed = wdlab('report', runsDir, '-o', reportFile);
assert.match(printed, /report\.html \(3 runs/);
const html = readFileSync(reportFile, 'utf8');
step(`report written (${(html.length / 1024).toFixed(0)} KiB)`);

// Variants of the same page: no runs (empty state) and no embedded data (the live, host-fed path).
const dataScript = /<script type="application\/json" id="wdlab-report-data"[^>]*>[\s\S]*?<\/script>\n/;
assert.match(html, dataScript);
const emptyFile = join(work, 'empty.html');
writeFileSync(
  emptyFile,
  html.replace(dataScript, (tag) =>
    tag.replace(
      />[\s\S]*<\/script>/,
      '>{"title":"t","generatedAt":"2026-01-01T00:00:00Z","runs":[],"records":{}}</script>',
    ),
  ),
);
const liveFile = join(work, 'live.html');
writeFileSync(liveFile, html.replace(dataScript, ''));

const context = await launchBrowser(join(work, 'profile'), { width: 1400, height: 1000 });
const problems = [];
let failed = false;
try {
  const page = await context.newPage();
  page.on('console', (m) => {
    // The test's own getImageData readbacks earn Chromium's willReadFrequently hint; nothing else may warn.
    if (/willReadFrequently/.test(m.text())) return;
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });

  // ---- the report ----
  await page.goto(pathToFileURL(reportFile).href);
  await page.waitForSelector('.wd-card canvas');
  await page.waitForFunction(() => performance.getEntriesByName('wdlab:first-paint').length > 0);
  const firstPaint = await page.evaluate(
    () => performance.getEntriesByName('wdlab:first-paint')[0].startTime,
  );
  step(`first paint after ${firstPaint.toFixed(0)} ms`);

  const families = await page.$$eval('.wd-family', (s) => s.map((x) => x.dataset.family));
  assert.deepEqual(
    families.slice(0, 4),
    ['accuracyLoss', 'lr', 'mechanism1', 'mechanism2'],
    `families ${families}`,
  );
  const charts = await page.$$eval('.wd-card', (cards) =>
    cards.map((c) => ({
      id: c.dataset.chart,
      family: c.closest('.wd-family').dataset.family,
      canvas: !!c.querySelector('canvas'),
    })),
  );
  const chartOf = (id) => charts.find((c) => c.id === id);
  for (const [id, family] of [
    ['train/loss', 'accuracyLoss'],
    ['test/accuracy', 'accuracyLoss'],
    ['lr', 'lr'],
    ['weightNorm', 'mechanism1'],
    ['effectiveLr', 'mechanism1'],
    ['jacobianNorm', 'mechanism2'],
  ]) {
    assert.equal(chartOf(id)?.family, family, `chart ${id} in ${family}: ${JSON.stringify(charts)}`);
    assert.ok(chartOf(id).canvas, `canvas of ${id}`);
  }
  // Per-layer metrics are one chart each with a layer picker, however many layers the model has.
  const perLayer = charts.filter((c) => c.family === 'mechanism1').map((c) => c.id);
  assert.ok(!perLayer.some((id) => id.includes('/')), `no chart per layer: ${perLayer}`);
  assert.equal(new Set(perLayer).size, perLayer.length);
  step(`${charts.length} charts in ${families.length} families; Mechanism 1: ${perLayer.join(', ')}`);

  // The Table 1 view: one row (synthetic-vectors, mlp [32], BN), columns SGD baseline / WD;
  // the WD cell holds the two seeds (mean ± std, n=2).
  const table = await page.$$eval('.wd-across [data-view="paper-table"] table', (ts) =>
    ts.map((t) => ({
      head: [...t.querySelectorAll('thead tr:last-child th')].map((th) => th.textContent),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
    })),
  );
  assert.equal(table.length, 1, 'the Table 1 view is shown');
  assert.deepEqual(table[0].head, ['baseline', 'WD'], JSON.stringify(table));
  assert.equal(table[0].rows.length, 1, JSON.stringify(table));
  assert.deepEqual(table[0].rows[0].slice(0, 3), ['synthetic-vectors', 'mlp [32]', 'BN']);
  assert.match(table[0].rows[0][3], /^\d+\.\d\d n=1$/);
  assert.match(table[0].rows[0][4], /^\d+\.\d\d ± \d+\.\d\d n=2$/);
  if (chartOf('generalizationGap')) {
    await page.waitForSelector('.wd-across [data-scatter="jacobianNorm|generalizationGap"][data-drawn]');
    step('Table 1 view and the Jacobian-norm vs generalization-gap scatter drawn');
  } else step('Table 1 view drawn');

  // The mechanism verdict card (src/protocol/verdict.ts, webview/ui/verdict.ts): the runs differ only in
  // the regularizer, so it comes first in the results, one contrast (weight decay, seeds 1 and 2, vs none),
  // a row per mechanism with its verdict, the accuracy against the seed spread and the paper's expectation.
  const firstView = await page.$eval('.wd-charts > :first-child', (e) => e.dataset.view);
  assert.equal(firstView, 'verdict', 'the verdict is the first thing in the results');
  const verdictCards = await page.$$eval('.wd-verdict:not([hidden]) .wd-verdict-card', (cards) =>
    cards.map((c) => ({
      title: c.querySelector('.wd-card-title').textContent,
      rows: [...c.querySelectorAll('tbody tr')].map((tr) => ({
        mechanism: tr.dataset.mechanism,
        verdict: tr.dataset.verdict,
        expected: tr.classList.contains('wd-verdict-expected'),
        label: tr.querySelector('.wd-verdict-badge').textContent,
        measured: tr.querySelector('.wd-verdict-signature').textContent,
      })),
      accuracy: c.querySelector('.wd-verdict-accuracy').textContent,
      paper: c.querySelector('.wd-verdict-expectation').textContent,
    })),
  );
  step(`verdict: ${JSON.stringify(verdictCards)}`);
  assert.equal(verdictCards.length, 1, 'one contrast: weightDecay vs none');
  const [verdict] = verdictCards;
  assert.match(verdict.title, /^tiny · SGD \+ BN · weight decay λ = 0\.05 vs none$/);
  assert.deepEqual(
    verdict.rows.map((r) => r.mechanism),
    ['1', '2', '3'],
  );
  for (const r of verdict.rows) {
    assert.ok(['shows', 'does not show', 'not measured', 'cannot apply'].includes(r.verdict), r.verdict);
    assert.ok(r.label && r.measured, `row ${r.mechanism} has a verdict and what was measured`);
  }
  assert.deepEqual(
    verdict.rows.map((r) => r.expected),
    [true, false, false],
    'the paper expects Mechanism 1 for SGD + BN',
  );
  assert.match(verdict.rows[0].measured, /effective LR ×/);
  assert.equal(verdict.rows[2].verdict, 'cannot apply', 'SGD has no damping');
  assert.match(verdict.accuracy, /^Test accuracy: weight decay \d+\.\d% \(mean of 2\) vs none \d+\.\d%/);
  assert.match(verdict.accuracy, /within seed noise|beyond the seed spread/);
  assert.match(verdict.paper, /^Paper: SGD with BN: Mechanism 1/);
  const [verdictBox, acrossBox] = await Promise.all(
    ['.wd-verdict', '.wd-across'].map((s) => page.locator(s).evaluate((e) => e.getBoundingClientRect().top)),
  );
  assert.ok(verdictBox < acrossBox, 'the verdict sits above the Across runs section');
  await page.locator('.wd-verdict').screenshot({ path: join(artifactsDir, 'report-verdict.png') });
  step(`verdict card first: ${verdict.rows.map((r) => `${r.mechanism} ${r.verdict}`).join(', ')}`);

  // The run table (webview/ui/runTable.ts): its own section right after the verdict, before Across runs;
  // a row per run; the sweep keys that differ as columns; clicking a header sorts the rows by it.
  const runTable = page.locator('[data-view="run-table"]');
  const legendLabels = await page.$$eval('.wd-legend-label', (ls) => ls.map((l) => l.textContent));
  const secondView = await page.$eval('.wd-charts > :nth-child(2)', (e) => ({
    section: e.dataset.section,
    table: !!e.querySelector('[data-view="run-table"]'),
  }));
  assert.deepEqual(
    secondView,
    { section: 'runTable', table: true },
    'the run table comes right after the verdict',
  );
  const tableTop = await runTable.evaluate((e) => e.getBoundingClientRect().top);
  assert.ok(verdictBox < tableTop && tableTop < acrossBox, 'verdict, then the run table, then Across runs');
  assert.equal(await runTable.locator('.wd-card-title .wd-run-table-title').textContent(), 'Runs');
  const tableColumns = await runTable
    .locator('thead th')
    .evaluateAll((ths) => ths.map((th) => th.dataset.column));
  step(`run table columns: ${tableColumns.join(', ')}`);
  assert.deepEqual(tableColumns.slice(0, 6), [
    'run',
    'status',
    'progress',
    'backend',
    'value:regularization.type',
    'value:training.seed',
  ]);
  assert.ok(tableColumns.includes('metric:test/accuracy') && tableColumns.includes('metric:train/loss'));
  assert.equal(await runTable.locator('tbody tr').count(), 3, 'one row per run');
  assert.equal(await runTable.locator('.wd-swatch').count(), 3, 'each run with its legend swatch');
  const tableRuns = () =>
    runTable.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        label: tr.querySelector('[data-column="run"]').textContent,
        progress: tr.querySelector('[data-column="progress"]').textContent,
        accuracy: tr.querySelector('[data-column="metric:test/accuracy"]').textContent,
      })),
    );
  const shown = await tableRuns();
  assert.deepEqual(
    shown.map((r) => r.label),
    legendLabels,
    'unsorted: the legend order and labels',
  );
  for (const r of shown) {
    assert.equal(r.progress, '100%');
    assert.match(r.accuracy, /^\d+\.\d%$/, 'test accuracy in percent, one decimal');
  }
  const accuracyHeader = runTable.locator('th[data-column="metric:test/accuracy"]');
  const accuracies = async () => (await tableRuns()).map((r) => Number.parseFloat(r.accuracy));
  const isSorted = (xs, sign) => xs.every((x, i) => i === 0 || sign * (x - xs[i - 1]) >= 0);
  await accuracyHeader.getByRole('button').click();
  await page.waitForSelector(
    '[data-view="run-table"] th[data-column="metric:test/accuracy"][aria-sort="ascending"]',
  );
  const ascending = await accuracies();
  assert.ok(isSorted(ascending, 1), `ascending: ${ascending}`);
  assert.equal(await runTable.locator('th[aria-sort]').count(), 1, 'aria-sort on the sorted column only');
  await accuracyHeader.getByRole('button').click();
  await page.waitForSelector(
    '[data-view="run-table"] th[data-column="metric:test/accuracy"][aria-sort="descending"]',
  );
  const descending = await accuracies();
  assert.ok(isSorted(descending, -1), `descending: ${descending}`);
  assert.deepEqual(
    [...descending].sort((a, b) => a - b),
    [...ascending].sort((a, b) => a - b),
    'the same runs in either order',
  );
  assert.deepEqual(
    descending,
    shown.map((r) => Number.parseFloat(r.accuracy)).sort((a, b) => b - a),
    'the numbers of the shown order, sorted',
  );
  // The CSV follows the sort; accuracies are fractions there.
  const [tableCsv] = await Promise.all([
    page.waitForEvent('download'),
    runTable.getByRole('button', { name: 'Export the run table as CSV' }).click(),
  ]);
  const [tableHeader, ...tableRows] = readFileSync(await tableCsv.path(), 'utf8')
    .trimEnd()
    .split('\r\n');
  assert.match(
    tableHeader,
    /^run,label,status,progress \(fraction\),backend,regularization\.type,training\.seed,/,
  );
  assert.ok(tableHeader.includes(',test/accuracy (fraction),'), tableHeader);
  assert.equal(tableRows.length, 3);
  await runTable.scrollIntoViewIfNeeded();
  await runTable.screenshot({ path: join(artifactsDir, 'report-run-table.png') });
  // A third click: the shown order again, no aria-sort.
  await accuracyHeader.getByRole('button').click();
  await page.waitForFunction(() => !document.querySelector('[data-view="run-table"] th[aria-sort]'));
  assert.deepEqual(
    (await tableRuns()).map((r) => r.label),
    legendLabels,
  );
  // Its title folds the table away and back (the section's toggle, as the chart sections have).
  const tableToggle = runTable.locator('.wd-family-toggle');
  await tableToggle.click();
  assert.equal(await tableToggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await runTable.locator('table').isHidden(), true, 'folded');
  await tableToggle.click();
  assert.equal(await runTable.locator('table').isVisible(), true, 'unfolded');
  await page.evaluate(() => window.scrollTo(0, 0));
  step(
    `run table: 3 rows; test accuracy ascending ${ascending.join(' ≤ ')}, descending ${descending.join(' ≥ ')}`,
  );
  const card = (id) => page.locator(`.wd-card[data-chart="${id}"]`);
  /** Pixels that differ from the chart's background (its top-left corner), and a hash of the image. */
  const pixels = (id) =>
    card(id)
      .locator('canvas')
      .evaluate((canvas) => {
        const ctx = canvas.getContext('2d');
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const bg = [data[0], data[1], data[2]];
        let drawn = 0;
        let hash = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 60)
            drawn++;
          hash = (hash * 31 + data[i] + data[i + 1] * 7 + data[i + 2] * 13) | 0;
        }
        return { drawn, hash, bg };
      });
  const lossPixels = await pixels('train/loss');
  assert.ok(lossPixels.drawn > 500, `train/loss has drawn pixels: ${lossPixels.drawn}`);

  const labels = await page.$$eval('.wd-legend-label', (ls) => ls.map((l) => l.textContent));
  assert.equal(labels.length, 3, `legend ${labels}`);
  assert.ok(labels.includes('regularization.type=none'), `legend ${labels}`);
  assert.ok(labels.includes('regularization.type=weightDecay'), `legend ${labels}`);
  assert.ok(labels.includes('regularization.type=weightDecay, training.seed=2'), `legend ${labels}`);
  assert.match(await page.locator('.wd-summary').textContent(), /^3 runs/);

  // Mechanism 1 opens on log y; the loss does not; toggling log y redraws the chart.
  assert.equal(
    await card('effectiveLr')
      .getByRole('button', { name: /Logarithmic y/ })
      .getAttribute('aria-pressed'),
    'true',
  );
  const logY = card('train/loss').getByRole('button', { name: /Logarithmic y/ });
  assert.equal(await logY.getAttribute('aria-pressed'), 'false');
  // Charts below the fold are drawn in idle time after the first paint, before anyone scrolls to them.
  await page.waitForFunction(() => document.querySelectorAll('.wd-card:not([data-drawn])').length === 0);
  for (const { id } of charts) assert.ok((await pixels(id)).drawn > 100, `chart ${id} drawn`);
  await page.screenshot({ path: join(artifactsDir, 'report.png'), fullPage: true });

  // Colours in the light look: each run's legend colour is drawn on the charts, ≥ 3:1 against them.
  const light = await page.evaluate(seriesContrastInPage, '.wd-card[data-drawn] .wd-card-body canvas');
  step(`light: background ${light.background}, series ${JSON.stringify(light.series)}`);
  assert.deepEqual(light.background, [255, 255, 255]);
  assert.equal(light.series.length, 3);
  for (const s of light.series) {
    assert.ok(s.ratio >= 3, `light: ${s.css} has ${s.ratio}:1`);
    assert.ok(s.pixels >= 20, `light: a line in ${s.css} is on the chart (${s.pixels} px)`);
  }
  assert.equal(new Set(light.series.map((s) => s.css)).size, 3, 'three runs, three colours');

  // The layer picker: all layers, the scale-invariant ones (fc1, followed by BN; run.json says so), one.
  const wn = card('weightNorm');
  const picker = wn.getByRole('combobox', { name: /Layers of weightNorm/ });
  const options = await picker
    .locator('option')
    .evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent, disabled: o.disabled })));
  step(
    `weightNorm layer picker: ${options.map((o) => `${o.label}${o.disabled ? ' (off)' : ''}`).join(' | ')}`,
  );
  assert.equal(options[0].value, 'all');
  assert.equal(options[1].value, 'scaleInvariant');
  assert.equal(options[1].disabled, false, 'BN: fc1 is scale-invariant');
  const layerValues = options.slice(2).map((o) => o.value);
  assert.ok(layerValues.includes('layer:fc1'), `layers: ${layerValues}`);
  assert.ok(layerValues.length >= 2, 'fc1 and the classifier');
  assert.match(options.find((o) => o.value === 'layer:fc1').label, /fc1 · scale-invariant/);
  const metricsInCsv = async () => {
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      wn.getByRole('button', { name: /as CSV/ }).click(),
    ]);
    const lines = readFileSync(await dl.path(), 'utf8')
      .trimEnd()
      .split('\r\n')
      .slice(1);
    return [...new Set(lines.map((l) => l.split(',').at(-3)))].sort();
  };
  const allLayers = layerValues.map((v) => `weightNorm/${v.slice('layer:'.length)}`).sort();
  assert.deepEqual(await metricsInCsv(), allLayers, 'all layers: a line per run and layer');
  const wnAll = await pixels('weightNorm');
  await picker.selectOption('scaleInvariant');
  await page.waitForFunction(() => {
    const s = document.querySelector('.wd-card[data-chart="weightNorm"] select');
    return s && s.value === 'scaleInvariant';
  });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.deepEqual(await metricsInCsv(), ['weightNorm/fc1'], 'scale-invariant: fc1 only');
  assert.notEqual((await pixels('weightNorm')).hash, wnAll.hash, 'the chart redrew');
  await wn.scrollIntoViewIfNeeded();
  await wn.screenshot({ path: join(artifactsDir, 'report-layers.png') });
  const other = layerValues.find((v) => v !== 'layer:fc1');
  await picker.selectOption(other);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.deepEqual(await metricsInCsv(), [`weightNorm/${other.slice('layer:'.length)}`], 'one layer');
  assert.equal(
    await wn.locator('.wd-card-title').textContent(),
    `weightNorm/${other.slice('layer:'.length)}`,
  );
  await picker.selectOption('all');
  step('layer picker: all → scale-invariant (fc1) → one layer → all, in the chart and its CSV');

  // The layers × steps heatmap: one per run, rows = layers, a colour scale; then back to lines.
  await wn.getByRole('button', { name: /heatmap of weightNorm/ }).click();
  await page.waitForSelector('.wd-card[data-chart="weightNorm"][data-mode="heatmap"] .wd-heatmap canvas');
  const heat = await wn.locator('.wd-heatmap canvas').evaluateAll((cs) =>
    cs.map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      const colours = new Set();
      for (let i = 0; i < data.length; i += 4)
        colours.add((data[i] >> 3) * 1024 + (data[i + 1] >> 3) * 32 + (data[i + 2] >> 3));
      return { label: c.getAttribute('aria-label'), colours: colours.size };
    }),
  );
  step(`heatmaps: ${JSON.stringify(heat)}`);
  assert.equal(heat.length, 3, 'one heatmap per run');
  for (const h of heat) {
    assert.match(h.label, new RegExp(`${allLayers.length} layers × \\d+ steps`));
    assert.ok(h.colours > 8, `a heatmap in colour: ${h.colours}`);
  }
  assert.match(await wn.locator('.wd-heat-scale').textContent(), /log scale/);
  assert.equal(await wn.locator('.wd-card-body').isHidden(), true, 'the lines give way to the heatmap');
  await wn.screenshot({ path: join(artifactsDir, 'report-heatmap.png') });
  await wn.getByRole('button', { name: /heatmap of weightNorm/ }).click();
  await page.waitForSelector('.wd-card[data-chart="weightNorm"][data-mode="lines"]');
  assert.equal(await wn.locator('.wd-heatmaps').isHidden(), true, 'the heatmap gives way to the lines');
  assert.equal(await wn.locator('.wd-card-body').isVisible(), true);
  step('heatmap: 3 runs × layers, colour scale, back to lines');

  // The chart filter: "damping"-style text keeps the charts whose key or title has it.
  const visibleCards = () =>
    page.$$eval('.wd-card', (cs) => cs.filter((c) => c.offsetParent !== null).map((c) => c.dataset.chart));
  await page.fill('#wd-filter', 'weightnorm');
  await page.waitForFunction(() =>
    document.querySelector('.wd-filter-count')?.textContent.startsWith('1 of'),
  );
  assert.deepEqual(await visibleCards(), ['weightNorm']);
  const shownFamilies = await page.$$eval('.wd-family', (s) =>
    s.filter((x) => !x.hidden).map((x) => x.dataset.family),
  );
  assert.deepEqual(shownFamilies, ['mechanism1'], 'sections without a match hide');
  await page.fill('#wd-filter', 'loss');
  await page.waitForFunction(
    () => !document.querySelector('.wd-filter-count')?.textContent.startsWith('1 of'),
  );
  const lossCards = await visibleCards();
  assert.ok(lossCards.length >= 2 && lossCards.every((id) => /loss/i.test(id)), `loss: ${lossCards}`);
  await page.screenshot({ path: join(artifactsDir, 'report-filter.png') });
  await page.fill('#wd-filter', 'damping');
  await page.waitForSelector('.wd-no-match:not([hidden])');
  assert.match(await page.locator('.wd-no-match').textContent(), /No chart matches “damping”/);
  await page.fill('#wd-filter', '');
  await page.waitForFunction(
    (n) => document.querySelectorAll('.wd-card:not([hidden])').length === n,
    charts.length,
  );
  step(
    `filter: weightnorm → 1 chart, loss → ${lossCards.length}, damping → none, cleared → ${charts.length}`,
  );

  // The legend stays in view while the charts scroll under it.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => window.scrollY > 300);
  const legendBox = await page.locator('.wd-legend').evaluate((l) => {
    const r = l.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, scrollY: window.scrollY };
  });
  assert.ok(
    legendBox.top >= 0 && legendBox.bottom < 300,
    `legend in view after scrolling: ${JSON.stringify(legendBox)}`,
  );
  await page.screenshot({ path: join(artifactsDir, 'report-sticky.png') });
  await page.evaluate(() => window.scrollTo(0, 0));
  step(
    `sticky legend: at ${legendBox.top.toFixed(0)}-${legendBox.bottom.toFixed(0)} px after scrolling ${legendBox.scrollY} px`,
  );
  await logY.click();
  await page.waitForFunction(
    () =>
      document
        .querySelector('.wd-card[data-chart="train/loss"] [aria-label^="Logarithmic y"]')
        .getAttribute('aria-pressed') === 'true',
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const logPixels = await pixels('train/loss');
  assert.notEqual(logPixels.hash, lossPixels.hash, 'log y redrew the chart');
  await logY.click();
  step('log y toggles');

  // Exports become downloads in a report.
  const [csvDownload] = await Promise.all([
    page.waitForEvent('download'),
    card('train/loss')
      .getByRole('button', { name: /as CSV/ })
      .click(),
  ]);
  const csv = readFileSync(await csvDownload.path(), 'utf8');
  const [header, ...rows] = csv.trimEnd().split('\r\n');
  assert.equal(header, 'run,label,metric,step,value');
  assert.equal(csvDownload.suggestedFilename(), 'train_loss.csv');
  assert.ok(rows.length > 10, `${rows.length} CSV rows`);
  assert.ok(
    rows.some((r) => r.includes('"regularization.type=weightDecay, training.seed=2"')),
    'labels with commas are quoted',
  );
  const [pngDownload] = await Promise.all([
    page.waitForEvent('download'),
    card('test/accuracy')
      .getByRole('button', { name: /as PNG/ })
      .click(),
  ]);
  const png = readFileSync(await pngDownload.path());
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
  const [allCsv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save every visible series as CSV' }).click(),
  ]);
  const all = readFileSync(await allCsv.path(), 'utf8');
  assert.ok(all.includes(',effectiveLr/fc1,') && all.includes(',test/accuracy,'), 'the CSV of every chart');
  assert.equal(all.split('\r\n')[0], 'run,label,metric,step,value', 'one header for every metric');
  // Accuracy is drawn in percent; its CSV keeps the records' fractions and says so.
  const [accCsv] = await Promise.all([
    page.waitForEvent('download'),
    card('test/accuracy')
      .getByRole('button', { name: /as CSV/ })
      .click(),
  ]);
  const [accHeader, accRow] = readFileSync(await accCsv.path(), 'utf8').split('\r\n');
  assert.equal(accHeader, 'run,label,metric,step,value (fraction)');
  assert.ok(Number(accRow.split(',').at(-1)) <= 1, `a fraction: ${accRow}`);
  step(`exports: ${rows.length} CSV rows, PNG ${png.length} bytes`);

  // Hiding a run in the legend takes its lines off every chart.
  await page.locator('.wd-legend-toggle').first().click();
  await page.waitForSelector('.wd-legend-item:first-child .wd-legend-toggle[aria-pressed="false"]');
  const [fewer] = await Promise.all([
    page.waitForEvent('download'),
    card('train/loss')
      .getByRole('button', { name: /as CSV/ })
      .click(),
  ]);
  assert.ok(
    !readFileSync(await fewer.path(), 'utf8').includes('regularization.type=none'),
    'hidden run left out of the CSV',
  );
  await page.locator('.wd-legend-toggle').first().click();

  // x axis, smoothing, zoom.
  await page.selectOption('#wd-x-axis', 'epoch');
  await page.$eval('#wd-smoothing', (input) => {
    input.value = '0.6';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const box = await card('train/loss').locator('canvas').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await page.waitForTimeout(100);
  await card('train/loss').locator('canvas').dblclick();
  assert.equal(await page.locator('.wd-smoothing-value').textContent(), '0.60');
  step('x axis, smoothing, zoom and reset');

  // Group by a sweep axis: one mean line + band per value.
  await page.selectOption('#wd-group-by', 'regularization.type');
  await page.waitForSelector('.wd-legend-item.wd-group');
  const groups = await page.$$eval('.wd-group > .wd-legend-toggle .wd-legend-label', (ls) =>
    ls.map((l) => l.textContent),
  );
  assert.deepEqual(groups, [
    'regularization.type=none · mean of 1 run',
    'regularization.type=weightDecay · mean of 2 runs',
  ]);
  const [groupedCsv] = await Promise.all([
    page.waitForEvent('download'),
    card('test/loss')
      .getByRole('button', { name: /as CSV/ })
      .click(),
  ]);
  assert.equal(
    readFileSync(await groupedCsv.path(), 'utf8').split('\r\n')[0],
    'group,metric,step,epoch,mean,min,max,n',
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(artifactsDir, 'report-grouped.png'), fullPage: true });
  step(`grouped: ${groups.join(' | ')}`);

  // VS Code changes theme by rewriting the variables and the body class: the charts follow.
  await page.evaluate(() => {
    document.documentElement.style.setProperty('--vscode-editor-background', '#1e1e1e');
    document.documentElement.style.setProperty('--vscode-editor-foreground', '#cccccc');
    document.body.classList.add('vscode-dark');
  });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.deepEqual((await pixels('test/accuracy')).bg, [30, 30, 30], 'chart background follows the theme');
  // Back to one line per run for the colour check, in the dark palette now.
  await page.selectOption('#wd-group-by', '');
  await page.waitForSelector('.wd-legend-item:not(.wd-group)');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const dark = await page.evaluate(seriesContrastInPage, '.wd-card[data-drawn] .wd-card-body canvas');
  step(`dark: background ${dark.background}, series ${JSON.stringify(dark.series)}`);
  assert.deepEqual(dark.background, [30, 30, 30]);
  for (const s of dark.series) {
    assert.ok(s.ratio >= 3, `dark: ${s.css} has ${s.ratio}:1`);
    assert.ok(s.pixels >= 20, `dark: a line in ${s.css} is on the chart (${s.pixels} px)`);
  }
  assert.notDeepEqual(
    dark.series.map((s) => s.css),
    light.series.map((s) => s.css),
    'the dark theme has its own palette',
  );
  await page.screenshot({ path: join(artifactsDir, 'report-dark.png'), fullPage: false });
  await runTable.scrollIntoViewIfNeeded();
  await runTable.screenshot({ path: join(artifactsDir, 'report-run-table-dark.png') });
  await page.evaluate(() => window.scrollTo(0, 0));
  step(
    `theme re-read on body class change; min contrast light ${Math.min(...light.series.map((s) => s.ratio))}:1, dark ${Math.min(...dark.series.map((s) => s.ratio))}:1`,
  );

  // ---- the empty state ----
  await page.goto(pathToFileURL(emptyFile).href);
  await page.waitForSelector('.wd-empty:not([hidden])');
  assert.match(
    await page.locator('.wd-empty').textContent(),
    /No runs selected — run an experiment or pick runs in the Runs view/,
  );
  assert.equal(await page.locator('.wd-card').count(), 0);
  assert.equal(await page.locator('.wd-verdict').isHidden(), true, 'no runs: no verdict');

  // ---- live: runs and records arrive as host messages, in batches ----
  const report = JSON.parse(
    html
      .match(dataScript)[0]
      .replace(/^<script[^>]*>/, '')
      .replace(/<\/script>\n$/, '')
      .replace(/\\u003c/g, '<'),
  );
  await page.goto(pathToFileURL(liveFile).href);
  await page.waitForSelector('.wd-empty:not([hidden])');
  const live = report.runs.map((r) => ({
    ...r,
    status: 'running',
    progress: { step: 0, totalSteps: 24, epoch: 0, epochs: 3 },
  }));
  live[2] = { ...report.runs[2], status: 'failed', error: 'diverged at step 17' };
  await page.evaluate((runs) => window.postMessage({ type: 'showRuns', runs, title: 'Live' }, '*'), live);
  await page.waitForSelector('.wd-badge-failed');
  for (let i = 0; i < 12; i++) {
    await page.evaluate(
      ({ report, runs, i }) => {
        for (const run of runs) {
          const records = report.records[run.id];
          const size = Math.ceil(records.length / 12);
          window.postMessage(
            { type: 'records', runId: run.id, records: records.slice(i * size, (i + 1) * size) },
            '*',
          );
        }
        window.postMessage(
          {
            type: 'runUpdate',
            run: {
              ...runs[0],
              progress: { step: 2 * (i + 1), totalSteps: 24, epoch: (i + 1) / 4, epochs: 3 },
            },
          },
          '*',
        );
      },
      { report, runs: live, i },
    );
    await page.waitForTimeout(30);
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await page.locator('.wd-title').textContent(), 'Live');
  assert.match(await page.locator('.wd-summary').textContent(), /3 runs · 2 running · 1 failed/);
  assert.match(await page.locator('.wd-badge-running').first().textContent(), /running 100%/);
  assert.match(await page.locator('.wd-badge-failed').getAttribute('title'), /diverged at step 17/);
  assert.ok((await pixels('train/loss')).drawn > 500, 'live chart drawn');
  // The run table follows the runs' status and progress as the host sends them.
  const liveTable = await page.locator('[data-view="run-table"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      run: tr.dataset.run,
      status: tr.querySelector('[data-column="status"]').textContent,
      reason: tr.querySelector('[data-column="status"]').getAttribute('title'),
      progress: tr.querySelector('[data-column="progress"]').textContent,
    })),
  );
  assert.deepEqual(
    liveTable,
    [
      { run: live[0].id, status: 'running', reason: null, progress: '100%' },
      { run: live[1].id, status: 'running', reason: null, progress: '0%' },
      // Failed where its run.json's progress says it stopped (this one's is the finished run's).
      { run: live[2].id, status: 'failed', reason: 'diverged at step 17', progress: '100%' },
    ],
    'live status and progress in the run table',
  );
  const [liveCsv] = await Promise.all([
    page.waitForEvent('download'),
    card('train/loss')
      .getByRole('button', { name: /as CSV/ })
      .click(),
  ]);
  const liveRows =
    readFileSync(await liveCsv.path(), 'utf8')
      .trimEnd()
      .split('\r\n').length - 1;
  const expected = report.runs.reduce(
    (n, r) => n + report.records[r.id].filter((x) => 'train/loss' in x).length,
    0,
  );
  assert.equal(liveRows, expected, 'every record arrived in the live charts');
  await page.screenshot({ path: join(artifactsDir, 'report-live.png'), fullPage: false });
  step(`live: ${liveRows} train/loss points from 12 batches`);

  assert.deepEqual(problems, [], 'no console errors, warnings or CSP violations');
  step(`ok — screenshots in ${artifactsDir}`);
} catch (e) {
  failed = true;
  console.error(e);
  if (problems.length > 0) console.error(problems.join('\n'));
} finally {
  await context.close();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
