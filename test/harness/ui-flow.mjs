// A real-browser walk along the user's path, in code-server's VS Code with the extension installed by
// symlink and a fresh temporary workspace:
//   1. write a spec with completion: `{` + Ctrl+Space in an empty my.wdlab.json must suggest the
//      schema's properties; one is accepted, then the content is replaced by a tiny valid sweep and saved;
//   2. run it from the command palette (Weight Decay Lab: Run Experiment) and watch the Runs view while it
//      trains: a training trial's row says "N% done" and the figure moves; once both trials complete
//      (run.json on disk), their rows are labelled by what differs and lead with "acc …%", and a
//      "finished" notification names the accuracies;
//   3. the notification's Show Results opens an editor tab with a row of charts above the fold; inside
//      the results webview (iframe.webview > #active-frame) a chart canvas must have drawn pixels, the
//      legend must list both runs, the mechanism verdict card must come first with a row per
//      mechanism, and each run's colour must be on the charts with WCAG contrast ≥ 3:1 against their
//      background in Dark Modern; the weightNorm chart's layer picker knows from run.json
//      which layer is scale-invariant (BN) and draws one layer when asked;
//   4. a chart's CSV button: the host's save dialog (in code-server the simple file dialog, a quick input
//      holding a path) gets a path in the workspace; the file must appear with the CSV header;
//   5. Preferences: Color Theme → Light Modern: the webview follows, with the light palette,
//      every run's colour again on the charts at ≥ 3:1.
// Screenshots: test/.tmp/ui-flow/ (4b-runs-live.png, 4c-finished-notification.png,
// 5-runs-and-results.png: Dark Modern, 5b-layer-picker.png,
// 7-results-light.png: Light Modern). Exit code 0 on success.
//
// Usage: node test/harness/ui-flow.mjs   (after setup.sh and `node scripts/build.mjs`)
// Environment: UI_FLOW_TIMEOUT_S (default 300).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  artifactsDir,
  assertInstalled,
  harnessSession,
  launchBrowser,
  repoRoot,
  seriesContrastInPage,
  startCodeServer,
  writeUserSettings,
} from './workbench.mjs';

assertInstalled();
const timeoutMs = Number(process.env.UI_FLOW_TIMEOUT_S || 300) * 1000;
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const runDir = mkdtempSync(join(tmpdir(), 'wdlab-ui-flow-'));
const userDataDir = join(runDir, 'user-data');
const extensionsDir = join(runDir, 'extensions');
const workspace = join(runDir, 'workspace');
const specFile = join(workspace, 'my.wdlab.json');
const runsDir = join(workspace, '.wdlab', 'runs');
const csvFile = join(workspace, 'exported-loss.csv');
const shots = join(artifactsDir, 'ui-flow');
mkdirSync(extensionsDir, { recursive: true });
mkdirSync(workspace, { recursive: true });
mkdirSync(shots, { recursive: true });
// An empty spec: the file the user is about to write (its name activates the extension and the schema).
writeFileSync(specFile, '');
symlinkSync(repoRoot, join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`));
// No auto-closing or auto-indenting: what is typed lands verbatim.
writeUserSettings(userDataDir, {
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoSurround': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'files.simpleDialog.enable': true,
  // Dark first (the theme where a translucent second colour went missing), Light Modern at the end.
  'workbench.colorTheme': 'Default Dark Modern',
});

const SPEC = {
  name: 'ui-flow',
  data: { dataset: 'synthetic-vectors', trainSize: 256, testSize: 128 },
  // BN: fc1 is scale-invariant, which run.json tells the layer picker.
  model: { arch: 'mlp', hidden: [16], batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 0.05 },
  // Long enough (a few seconds a trial) for the Runs view's live progress to be seen moving.
  training: { epochs: 100, batchSize: 32, backend: 'wasm', logEverySteps: 8 },
  sweep: { 'regularization.type': ['none', 'weightDecay'] },
};

const session = harnessSession({
  name: 'ui-flow',
  runDir,
  timeoutMs,
  failureShot: join(shots, 'failure.png'),
});
const { step, started } = session;
const timings = {};
const mark = (name) => {
  timings[name] = Number(((Date.now() - started) / 1000).toFixed(1));
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let server;
let context;
let ok = false;

/** Run folders whose run.json says completed. */
function completedRuns() {
  if (!existsSync(runsDir)) return [];
  const out = [];
  for (const d of readdirSync(runsDir)) {
    try {
      const info = JSON.parse(readFileSync(join(runsDir, d, 'run.json'), 'utf8'));
      if (info.status === 'completed') out.push(d);
      else if (info.status === 'failed') throw new Error(`run ${d} failed: ${info.error ?? '?'}`);
    } catch (e) {
      if (String(e.message).startsWith('run ')) throw e;
      // not written yet
    }
  }
  return out;
}

try {
  server = session.server = await startCodeServer({ runDir, userDataDir, extensionsDir });
  step(`code-server on ${server.origin}`);
  context = session.context = await launchBrowser(join(runDir, 'chromium-profile'), {
    width: 1600,
    height: 1000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(server.url({ folder: workspace }));
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'my.wdlab.json' }).waitFor();
  mark('workbench');
  step('workbench loaded');

  const palette = page.locator('.quick-input-widget input');
  /** F1, a command's title, Enter on the row that has it. */
  const runCommand = async (title, { shot } = {}) => {
    await page.keyboard.press('F1');
    await palette.waitFor();
    await palette.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor();
    if (shot) await page.screenshot({ path: shot });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  };

  // --- 1. write the spec with completion -----------------------------------------------------------
  await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } });
  await page.keyboard.press('Control+P');
  await palette.waitFor();
  await palette.fill('my.wdlab.json');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'my.wdlab.json' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: 'my.wdlab.json' }).waitFor();
  await page.locator('.statusbar-item', { hasText: 'Weight Decay Lab Spec' }).waitFor();
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').click();
  await page.keyboard.type('{');
  await page.keyboard.press('Enter');
  // The extension loads its JSON language service (and the schema) on the first request.
  const suggest = page.locator('.editor-widget.suggest-widget');
  const schemaRow = suggest.locator('.monaco-list-row', { hasText: 'regularization' });
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+Space');
    try {
      await schemaRow.first().waitFor({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt >= 5) throw new Error(`no suggestion from the schema: ${e.message}`);
      await page.keyboard.press('Escape');
      await sleep(1000);
    }
  }
  const labels = await suggest.locator('.monaco-list-row .label-name').allTextContents();
  for (const want of ['data', 'model', 'optimizer', 'regularization', 'training', 'sweep']) {
    if (!labels.some((l) => l.replace(/"/g, '') === want)) {
      throw new Error(`suggestions lack "${want}": ${labels.join(', ')}`);
    }
  }
  step(`suggest widget lists the schema's properties: ${labels.join(', ')}`);
  await sleep(400);
  await page.screenshot({
    path: join(shots, '1-spec-completion.png'),
    clip: { x: 0, y: 0, width: 1000, height: 420 },
  });
  // Narrow the list as a user would ("reg"), then accept the one left on top.
  await page.keyboard.type('reg');
  const top = suggest.locator('.monaco-list-row .label-name');
  for (let i = 0; ; i++) {
    const left = (await top.allTextContents()).map((l) => l.replace(/"/g, ''));
    if (left.length > 0 && left[0] === 'regularization') break;
    if (i > 20) throw new Error(`typing "reg" left: ${left.join(', ')}`);
    await sleep(100);
  }
  await page.keyboard.press('Enter');
  await editor.locator('.view-lines', { hasText: '"regularization"' }).waitFor();
  await page.screenshot({ path: join(shots, '2-spec-accepted.png') });
  step('accepted a schema suggestion: "regularization" is in the editor');
  mark('completion');

  // Replace the content with a tiny valid sweep (inserted as one piece of text, as a paste would) and save.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(JSON.stringify(SPEC, null, 2));
  await page.keyboard.press('Control+S');
  for (let i = 0; ; i++) {
    try {
      if (JSON.stringify(JSON.parse(readFileSync(specFile, 'utf8'))) === JSON.stringify(SPEC)) break;
    } catch {
      // not saved yet
    }
    if (i > 50) throw new Error(`my.wdlab.json on disk is not the spec:\n${readFileSync(specFile, 'utf8')}`);
    await sleep(200);
  }
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached' });
  await sleep(1500); // schema validation
  const squiggles = await page
    .locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error')
    .count();
  if (squiggles !== 0) throw new Error(`my.wdlab.json shows ${squiggles} problem(s)`);
  await page.screenshot({ path: join(shots, '3-spec-saved.png') });
  step('spec saved, no problems');
  mark('specSaved');

  // --- 2. run from the palette ---------------------------------------------------------------------
  await runCommand('Weight Decay Lab: Run Experiment', { shot: join(shots, '4-palette-run.png') });
  step('Run Experiment invoked');
  const runStarted = Date.now();
  // The Runs view (the activity bar container), watched while the sweep trains: a training trial's row
  // says how much of the run is done and the figure moves; rows are labelled by what differs.
  await runCommand('Weight Decay Lab: Focus on Runs View');
  const runsView = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
  /** Each row's label and description, as the tree renders them. */
  const rowsNow = () =>
    runsView.locator('.monaco-list-row').evaluateAll((rows) =>
      rows.map((r) => ({
        name: (r.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
      })),
    );
  const rowTextsNow = async () => (await rowsNow()).map((r) => `${r.name} — ${r.description}`);
  /** Per trial row (labelled by its sweep value), the distinct "N% done" figures seen. */
  const liveFigures = new Map();
  let liveShot = false;
  let sawSecondQueued = false;
  for (;;) {
    const rows = await rowsNow().catch(() => []);
    // While the first trial trains, the second is listed, queued.
    if (rows.some((r) => r.name === 'none' && /% done/.test(r.description))) {
      sawSecondQueued ||= rows.some((r) => r.name === 'weightDecay' && r.description === 'queued');
    }
    for (const row of rows) {
      const m = /^(\d+)% done/.exec(row.description);
      if (!m || !['none', 'weightDecay'].includes(row.name)) continue;
      liveFigures.set(row.name, new Set([...(liveFigures.get(row.name) ?? []), Number(m[1])]));
      if (!liveShot) {
        liveShot = true;
        await page.screenshot({ path: join(shots, '4b-runs-live.png') });
      }
    }
    const done = completedRuns();
    if (done.length >= 2) {
      step(
        `both trials completed on disk in ${((Date.now() - runStarted) / 1000).toFixed(1)} s: ${done.join(', ')}`,
      );
      break;
    }
    if (Date.now() - runStarted > 150_000)
      throw new Error(`runs not completed after 150 s (${done.length}/2)`);
    await sleep(200);
  }
  const seen = [...liveFigures].map(([label, figures]) => `${label}: ${[...figures].join(', ')}%`);
  step(`live rows while training: ${seen.join(' | ') || 'none'}`);
  if (!sawSecondQueued) throw new Error('the second trial was not listed as queued while the first trained');
  if (![...liveFigures.values()].some((f) => f.size >= 2)) {
    throw new Error(`no trial's row showed its progress moving while it trained: ${seen.join(' | ')}`);
  }
  mark('runCompleted');
  const groupRow = runsView.locator('.monaco-list-row', { hasText: 'ui-flow' }).first();
  await groupRow.waitFor();
  if ((await groupRow.getAttribute('aria-expanded')) === 'false') await groupRow.click();
  // The sweep's row says "2 trials · 2 completed"; its trials "none" and "weightDecay", "acc …% · completed".
  await runsView.locator('.monaco-list-row', { hasText: '2 completed' }).first().waitFor();
  const finalRows = await rowsNow();
  for (const name of ['none', 'weightDecay']) {
    const row = finalRows.find((r) => r.name === name);
    if (!row || !/^acc \d+\.\d% · completed$/.test(row.description)) {
      throw new Error(`the ${name} trial's row: ${JSON.stringify(row)} of ${JSON.stringify(finalRows)}`);
    }
  }
  step(`Runs view: ${(await rowTextsNow()).join(' | ')}`);

  // The "finished" notification, with Show Results.
  const toast = page.locator('.notification-toast', { hasText: 'ui-flow finished: 2 completed (acc' });
  await toast.waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(shots, '4c-finished-notification.png') });
  step(`notification: ${(await toast.locator('.notification-list-item-message').textContent()).trim()}`);

  // --- 3. results ------------------------------------------------------------------------------------
  // Its Show Results opens both runs.
  await toast.locator('.monaco-button', { hasText: 'Show Results' }).click();
  const frame = page.frameLocator('iframe.webview').last().frameLocator('#active-frame');
  await frame.locator('#wdlab-app[data-view="charts"]').waitFor({ timeout: 60_000 });
  // Where there is room: an editor tab, not the bottom panel.
  const resultsTab = page.locator('.tabs-container .tab.active', { hasText: 'Results' });
  await resultsTab.waitFor();
  step(`results webview shows charts in the editor tab "${(await resultsTab.textContent()).trim()}"`);
  const card = frame.locator('.wd-card[data-drawn="true"]').first();
  await card.waitFor();
  // Pixels: a drawn chart has axes, ticks and lines: many non-transparent pixels in several colours.
  let pixels;
  for (let i = 0; ; i++) {
    pixels = await card.locator('canvas').evaluate((canvas) => {
      const { width, height } = canvas;
      const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
      let painted = 0;
      const colours = new Set();
      for (let p = 0; p < data.length; p += 4) {
        if (data[p + 3] === 0) continue;
        painted++;
        colours.add((data[p] >> 4) * 256 + (data[p + 1] >> 4) * 16 + (data[p + 2] >> 4));
      }
      return { width, height, painted, colours: colours.size };
    });
    if (pixels.painted > 2000 && pixels.colours >= 4) break;
    if (i > 40) throw new Error(`chart canvas looks empty: ${JSON.stringify(pixels)}`);
    await sleep(250);
  }
  const chartTitle = (await card.getAttribute('aria-label')) ?? '?';
  step(
    `"${chartTitle}" canvas ${pixels.width}x${pixels.height}: ${pixels.painted} painted pixels, ${pixels.colours} colours`,
  );
  // Each run's line: the colour of its legend swatch is on the charts, with contrast against them.
  const drawnCanvases = '.wd-card[data-drawn] .wd-card-body canvas';
  const colours = async (theme) => {
    const c = await frame.locator('body').evaluate(seriesContrastInPage, drawnCanvases);
    step(
      `${theme}: body "${c.bodyClass}", background ${c.background}, ${c.canvases} charts, ${JSON.stringify(c.series)}`,
    );
    if (c.series.length < 2 || c.series.some((x) => x.pixels < 20)) {
      throw new Error(`${theme}: a run's line is missing from the charts: ${JSON.stringify(c.series)}`);
    }
    if (c.series.some((x) => x.ratio < 3)) {
      throw new Error(`${theme}: a run colour below 3:1 against the chart: ${JSON.stringify(c.series)}`);
    }
    return c;
  };
  const dark = await colours('Dark Modern');
  if (!/vscode-dark/.test(dark.bodyClass) || dark.background.join() !== '31,31,31') {
    throw new Error(`not Dark Modern (#1f1f1f): ${dark.bodyClass} ${dark.background}`);
  }
  const legendText = ((await frame.locator('.wd-legend').textContent()) ?? '').replace(/\s+/g, ' ');
  for (const want of ['none', 'weightDecay']) {
    if (!legendText.toLowerCase().includes(want.toLowerCase())) {
      throw new Error(`legend lacks the ${want} run: ${legendText}`);
    }
  }
  step(`legend: ${legendText}`);
  const cards = await frame.locator('.wd-card').count();
  step(`${cards} chart cards`);
  // The mechanism verdict card comes first: the sweep's two runs differ only in the regularizer (its rows
  // from src/protocol/verdict.ts; SGD has no damping, so Mechanism 3 cannot apply).
  await frame.locator('.wd-verdict:not([hidden]) .wd-verdict-card').waitFor({ timeout: 30_000 });
  const verdict = await frame.locator('body').evaluate(() => {
    const card = document.querySelector('.wd-verdict-card');
    return {
      first: document.querySelector('.wd-charts > :first-child')?.dataset.view,
      title: card.querySelector('.wd-card-title').textContent,
      rows: [...card.querySelectorAll('tbody tr')].map(
        (tr) => `${tr.dataset.mechanism} ${tr.dataset.verdict}`,
      ),
      accuracy: card.querySelector('.wd-verdict-accuracy').textContent,
    };
  });
  step(`verdict card: ${JSON.stringify(verdict)}`);
  if (
    verdict.first !== 'verdict' ||
    verdict.rows.length !== 3 ||
    verdict.rows[2] !== '3 cannot apply' ||
    !/weight decay λ = 0\.05 vs none/.test(verdict.title) ||
    !/one run per arm/.test(verdict.accuracy)
  ) {
    throw new Error(
      `the mechanism verdict card is not first, or not as expected: ${JSON.stringify(verdict)}`,
    );
  }
  // A row of charts above the fold: the first card with a chart (the Jacobian scatters of the "Across
  // runs" section, else the first metric's) ends inside the webview's viewport, beside another.
  const fold = await frame.locator('body').evaluate(() => {
    const first = [...document.querySelectorAll('.wd-card, .wd-xcard')].find(
      (c) => c.offsetParent !== null && c.querySelector('canvas'),
    );
    const box = first.getBoundingClientRect();
    const row = [...first.parentElement.children].filter(
      (x) => Math.abs(x.getBoundingClientRect().top - box.top) < 1,
    );
    return {
      first: first.getAttribute('aria-label'),
      bottom: Math.round(box.bottom),
      viewport: window.innerHeight,
      width: window.innerWidth,
      perRow: row.length,
    };
  });
  step(
    `first row of charts (${fold.perRow}, from "${fold.first}") ends at ${fold.bottom} px of a ${fold.width}x${fold.viewport} px webview`,
  );
  if (fold.bottom > fold.viewport || fold.perRow < 2) {
    throw new Error(`no row of charts above the fold: ${JSON.stringify(fold)}`);
  }
  await sleep(800); // let the idle-time charts finish for the screenshot
  await page.screenshot({ path: join(shots, '5-runs-and-results.png') });
  mark('resultsShown');

  // The layer picker of a per-layer chart: run.json's layers say fc1 is scale-invariant (BN).
  const wn = frame.locator('.wd-card[data-chart="weightNorm"]');
  await wn.scrollIntoViewIfNeeded();
  await wn.locator('[data-drawn="true"], canvas').first().waitFor();
  const picker = wn.locator('select.wd-layer-pick');
  const options = await picker
    .locator('option')
    .evaluateAll((os) => os.map((o) => `${o.value}${o.disabled ? ' (disabled)' : ''}`));
  step(`weightNorm layer picker: ${options.join(' | ')}`);
  if (!options.includes('scaleInvariant') || !options.includes('layer:fc1')) {
    throw new Error(`the layer picker lacks scale-invariant / fc1: ${options}`);
  }
  if (options.some((o) => o.startsWith('scaleInvariant (disabled)'))) {
    throw new Error('run.json says fc1 is scale-invariant; the picker did not hear of it');
  }
  const hash = () =>
    wn.locator('.wd-card-body canvas').evaluate((canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let h = 0;
      for (let i = 0; i < data.length; i += 4)
        h = (h * 31 + data[i] + data[i + 1] * 7 + data[i + 2] * 13) | 0;
      return h;
    });
  const before = await hash();
  await picker.selectOption('layer:fc1');
  await wn.locator('.wd-card-title', { hasText: 'weightNorm/fc1' }).waitFor();
  await sleep(300);
  if ((await hash()) === before) throw new Error('picking one layer did not redraw weightNorm');
  await wn.screenshot({ path: join(shots, '5b-layer-picker.png') });
  await picker.selectOption('scaleInvariant');
  await sleep(300);
  step('layer picker: one layer (weightNorm/fc1) redraws the chart; scale-invariant selectable');
  await frame.locator('.wd-family .wd-card').first().scrollIntoViewIfNeeded();

  // --- 4. export CSV through the save dialog ---------------------------------------------------------
  await card.locator('button', { hasText: /^CSV$/ }).click();
  await palette.waitFor();
  // The simple file dialog fills in the suggested path (the workspace and the chart's name) a moment
  // after it opens; once it has, a path of our own, then Enter.
  for (let i = 0; !/workspace\/.+\.csv$/.test(await palette.inputValue()); i++) {
    if (i > 50) throw new Error(`the save dialog shows no suggested path: ${await palette.inputValue()}`);
    await sleep(100);
  }
  step(`save dialog suggests ${await palette.inputValue()}`);
  for (let i = 0; (await palette.inputValue()) !== csvFile; i++) {
    if (i > 10) throw new Error(`the save dialog keeps ${await palette.inputValue()}`);
    await palette.fill(csvFile);
    await sleep(300);
  }
  await page.screenshot({ path: join(shots, '6-save-dialog.png') });
  await page.keyboard.press('Enter');
  // A second quick input would ask to overwrite; the file is new, so none is expected.
  for (let i = 0; !existsSync(csvFile); i++) {
    if (i > 50) throw new Error(`${csvFile} was not written`);
    await sleep(200);
  }
  await sleep(200);
  const csv = readFileSync(csvFile, 'utf8');
  const [header, ...rows] = csv.trimEnd().split(/\r?\n/);
  if (header !== 'run,label,metric,step,value') throw new Error(`unexpected CSV header: ${header}`);
  if (rows.length < 2) throw new Error(`CSV has ${rows.length} row(s)`);
  await frame.locator('.wd-toast', { hasText: 'exported-loss.csv' }).waitFor();
  step(`exported ${csvFile}: header "${header}", ${rows.length} rows; the webview's toast names it`);
  mark('csvExported');

  // --- 5. Light Modern: Preferences: Color Theme, the webview follows -------------------------------
  await page.keyboard.press('F1');
  await palette.waitFor();
  await palette.fill('>Preferences: Color Theme');
  // Exactly that command (not "Browse Color Themes in Marketplace", which needs a network).
  const themeCommand = page.locator('.quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }),
  });
  await themeCommand.first().waitFor();
  await themeCommand.first().click();
  // The theme picker replaces the command list in the same quick input.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Dark Modern' }).first().waitFor();
  await palette.fill('Light Modern');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Light Modern' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await frame.locator('body.vscode-light').waitFor({ timeout: 30_000 });
  await sleep(800); // the webview re-reads the theme and redraws
  const light = await colours('Light Modern');
  if (light.background.join() !== '255,255,255') throw new Error(`not Light Modern: ${light.background}`);
  if (light.series.map((x) => x.css).join() === dark.series.map((x) => x.css).join()) {
    throw new Error('the light theme drew with the dark palette');
  }
  await page.screenshot({ path: join(shots, '7-results-light.png') });
  step(
    `contrast of the run colours: Dark Modern min ${Math.min(...dark.series.map((x) => x.ratio))}:1, Light Modern min ${Math.min(...light.series.map((x) => x.ratio))}:1`,
  );
  mark('lightTheme');
  ok = true;
} catch (err) {
  await session.failed(err);
}
step(`timings (s since start): ${JSON.stringify(timings)}`);
await session.finish(ok, `screenshots in ${shots}; ok`);
