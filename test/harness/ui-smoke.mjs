// A real-browser UI check: code-server's VS Code with the extension installed (a symlink in the
// extensions folder, as a user's install would place it) opens examples/, Quick Open opens
// quickstart.wdlab.json, the editor must show it as a Weight Decay Lab Spec with no problems; typing
// several words into "New Experiment from Paper…" must leave the configurations that have them all; and
// the Extensions view must list the extension. Screenshots: test/.tmp/ui-quickstart.png,
// test/.tmp/ui-from-paper.png and test/.tmp/ui-extensions.png. Exit code 0 on success.
//
// Usage: node test/harness/ui-smoke.mjs   (after setup.sh and `node scripts/build.mjs`)
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  artifactsDir,
  assertInstalled,
  harnessSession,
  launchBrowser,
  repoRoot,
  startCodeServer,
  writeUserSettings,
} from './workbench.mjs';

assertInstalled();
const timeoutMs = Number(process.env.UI_SMOKE_TIMEOUT_S || 120) * 1000;
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const runDir = mkdtempSync(join(tmpdir(), 'wdlab-ui-smoke-'));
const userDataDir = join(runDir, 'user-data');
const extensionsDir = join(runDir, 'extensions');
mkdirSync(extensionsDir, { recursive: true });
symlinkSync(repoRoot, join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`));
writeUserSettings(userDataDir);
mkdirSync(artifactsDir, { recursive: true });
const screenshot = join(artifactsDir, 'ui-quickstart.png');

const session = harnessSession({
  name: 'ui-smoke',
  runDir,
  timeoutMs,
  failureShot: join(artifactsDir, 'ui-quickstart-failure.png'),
});
const { step } = session;
let server;
let context;
let ok = false;

try {
  server = session.server = await startCodeServer({ runDir, userDataDir, extensionsDir });
  step(`code-server on ${server.origin}`);
  context = session.context = await launchBrowser(join(runDir, 'chromium-profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(server.url({ folder: join(repoRoot, 'examples') }));
  await page.locator('.monaco-workbench').waitFor();
  // The explorer lists the folder once the remote connection is up: only then can Quick Open search it.
  await page
    .locator('.explorer-folders-view .monaco-list-row', { hasText: 'quickstart.wdlab.json' })
    .waitFor();
  step('workbench loaded');

  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('quickstart.wdlab.json');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'quickstart.wdlab.json' })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');

  const tab = page.locator('.tabs-container .tab.active', { hasText: 'quickstart.wdlab.json' });
  await tab.waitFor();
  const editor = page.locator('.editor-instance .monaco-editor .view-lines');
  await editor.filter({ hasText: '"quickstart"' }).waitFor();
  // The language the manifest assigns to *.wdlab.json.
  await page.locator('.statusbar-item', { hasText: 'Weight Decay Lab Spec' }).waitFor();
  step('quickstart.wdlab.json open as a Weight Decay Lab Spec');

  // A valid spec shows no squiggles once the extension has validated it. Give validation a moment.
  await page.waitForTimeout(1500);
  const squiggles = await page
    .locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error')
    .count();
  if (squiggles !== 0) throw new Error(`quickstart.wdlab.json shows ${squiggles} schema problem(s)`);

  await page.screenshot({ path: screenshot });
  step(`screenshot ${screenshot}`);

  // New Experiment from Paper: words typed in any order filter the 64 configurations (VS Code's own
  // filter looks for the typed text as one piece and would show none).
  await page.keyboard.press('F1');
  await input.fill('>Weight Decay Lab: New Experiment from Paper');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'New Experiment from Paper' })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget', { hasText: 'New Experiment from Paper (Zhang' }).waitFor();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Table 1' }).first().waitFor();
  await page.keyboard.type('vgg16 bn sgd wd', { delay: 20 });
  const want = ['cifar10-vgg16-bn-sgd-wd', 'cifar10-vgg16-bn-aug-sgd-wd', 'cifar100-vgg16-bn-aug-sgd-wd'];
  let shown = [];
  for (let i = 0; ; i++) {
    // Each row's labels: the preset's name, then its detail line; the names are what counts.
    const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
    shown = labels.map((t) => t.trim()).filter((t) => /^(cifar|Table 1)/.test(t));
    if (JSON.stringify(shown) === JSON.stringify(want)) break;
    if (i > 50)
      throw new Error(`"vgg16 bn sgd wd" left ${JSON.stringify(shown)}, not ${JSON.stringify(want)}`);
    await page.waitForTimeout(100);
  }
  await page.screenshot({ path: join(artifactsDir, 'ui-from-paper.png') });
  step(`"vgg16 bn sgd wd" typed into New Experiment from Paper leaves ${shown.join(', ')}`);
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });

  // The symlinked extension counts as installed: the Extensions view lists it.
  await page.keyboard.press('F1');
  await input.fill('>Extensions: Show Installed Extensions');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'Show Installed Extensions' })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');
  await page
    .locator('.extensions-viewlet .extension-list-item', { hasText: manifest.displayName })
    .first()
    .waitFor();
  await page.screenshot({ path: join(artifactsDir, 'ui-extensions.png') });
  step(`Extensions view lists ${manifest.displayName}`);
  ok = true;
} catch (err) {
  await session.failed(err);
}
await session.finish(ok, 'passed');
