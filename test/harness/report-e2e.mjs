// A real-browser check of the results UI, through the static report: three tiny real runs trained by
// the CLI (`wdlab run`), `wdlab report` writes one HTML file, headless Chromium opens it from file://.
// Asserts no console errors and no CSP violations; a chart per discovered metric in the right family;
// drawn pixels; the legend lists every run with its sweep values; log y toggles and redraws; Mechanism 1
// opens on log y; CSV and PNG export fall back to downloads; group-by draws mean + band; the theme is
// re-read when the body class changes; the empty state; and the live path (host messages in batches).
// Screenshots: test/.tmp/report.png (what users see), report-grouped.png, report-dark.png, report-live.png.
//
// Usage: node test/harness/report-e2e.mjs   (after setup.sh and `node scripts/build.mjs`)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { artifactsDir, launchBrowser, repoRoot } from './workbench.mjs';

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
  regularization: { type: 'weightDecay', coefficient: 0.0005 },
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
    ['weightNorm/fc1', 'mechanism1'],
    ['effectiveLr/fc1', 'mechanism1'],
    ['jacobianNorm', 'mechanism2'],
  ]) {
    assert.equal(chartOf(id)?.family, family, `chart ${id} in ${family}: ${JSON.stringify(charts)}`);
    assert.ok(chartOf(id).canvas, `canvas of ${id}`);
  }
  step(`${charts.length} charts in ${families.length} families`);

  // The Table 1 view (issue 6): one row (synthetic-vectors, mlp [32], BN), columns SGD baseline / WD;
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
    await card('effectiveLr/fc1')
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
  await page.screenshot({ path: join(artifactsDir, 'report-dark.png'), fullPage: false });
  step('theme re-read on body class change');

  // ---- the empty state ----
  await page.goto(pathToFileURL(emptyFile).href);
  await page.waitForSelector('.wd-empty:not([hidden])');
  assert.match(
    await page.locator('.wd-empty').textContent(),
    /No runs selected — run an experiment or pick runs in the Runs view/,
  );
  assert.equal(await page.locator('.wd-card').count(), 0);

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
