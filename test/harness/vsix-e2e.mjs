// The extension as a user installs it: the packaged VSIX (`npm run package`: the bundles, no
// node_modules) installed into code-server with `--install-extension`, not the development folder.
// In the real workbench, in Chromium: "Weight Decay Lab: Install Training Engine" → "Native TensorFlow
// (CPU)" installs the engine into the folder `wdlab.enginePath` names (here offline: the download fails
// and the binding is built from the local tensorflow-cpu wheel), then "Run Experiment" trains a spec and
// its run.json must say `tensorflow`, loaded from that folder. Before that, the package's face: its
// README is the user's (README.vsix.md, not the developer's README.md), its icon is in it, and the
// Extensions view shows both. Screenshots: test/.tmp/vsix-e2e/.
//
// Usage: node test/harness/vsix-e2e.mjs [VSIX]   (after setup.sh and `npm run package`)
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packagedReadme } from '../../scripts/vsix-readme.mjs';
import {
  artifactsDir,
  assertInstalled,
  harnessSession,
  installVsix,
  launchBrowser,
  repoRoot,
  startCodeServer,
  writeUserSettings,
} from './workbench.mjs';

assertInstalled();
const vsix = resolve(process.argv[2] ?? join(repoRoot, 'weight-decay-lab.vsix'));
if (!existsSync(vsix)) throw new Error(`no ${vsix}: run \`npm run package\` first`);
const timeoutMs = Number(process.env.VSIX_E2E_TIMEOUT_S || 600) * 1000;
const runDir = mkdtempSync(join(tmpdir(), 'wdlab-vsix-'));
const userDataDir = join(runDir, 'user-data');
const extensionsDir = join(runDir, 'extensions');
const workspace = join(runDir, 'workspace');
const engines = join(runDir, 'engines');
const runsDir = join(workspace, '.wdlab', 'runs');
const shots = join(artifactsDir, 'vsix-e2e');
for (const d of [workspace, shots]) mkdirSync(d, { recursive: true });

const SPEC = {
  name: 'vsix-native',
  data: { dataset: 'synthetic-images', trainSize: 128, testSize: 64 },
  model: { arch: 'vgg', depth: 11, width: 0.125, batchNorm: true },
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
  regularization: { type: 'weightDecay', coefficient: 5e-4 },
  training: { epochs: 1, batchSize: 32, backend: 'auto', logEverySteps: 1 },
};
writeFileSync(join(workspace, 'native.wdlab.json'), `${JSON.stringify(SPEC, null, 2)}\n`);
writeUserSettings(userDataDir, { 'files.simpleDialog.enable': true });
// A machine-overridable setting: in a remote window (code-server) user settings do not set it; the
// workspace's settings do.
mkdirSync(join(workspace, '.vscode'), { recursive: true });
writeFileSync(
  join(workspace, '.vscode', 'settings.json'),
  `${JSON.stringify({ 'wdlab.enginePath': engines }, null, 2)}\n`,
);
// code-server runs with a home of its own (workbench.mjs): give it the user's pip configuration, through
// which pip finds the tensorflow-cpu wheel, as the user's real home would.
const pipConf = join(homedir(), '.config', 'pip', 'pip.conf');
if (existsSync(pipConf)) {
  mkdirSync(join(runDir, 'home', '.config', 'pip'), { recursive: true });
  copyFileSync(pipConf, join(runDir, 'home', '.config', 'pip', 'pip.conf'));
}

const session = harnessSession({
  name: 'vsix-e2e',
  runDir,
  timeoutMs,
  failureShot: join(shots, 'failure.png'),
});
const { step } = session;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;
let context;
let ok = false;

/** Polls `probe` until it returns something (or throws for good): `what` names it in the timeout. */
async function until(what, probe, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

/** The package's face: the user README as the extension's readme, the icon, and nothing of the developer's. */
function checkPackage() {
  const entries = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const read = (entry) => execFileSync('unzip', ['-p', vsix, entry], { encoding: 'utf8' });
  const packaged = JSON.parse(read('extension/package.json'));
  // vsce writes the README it is given (--readme-path) as the lower-case readme of the package's root.
  const readmes = entries.filter((e) => /^extension\/readme\.md$/i.test(e));
  if (readmes.length !== 1 || !/\/readme\.md$/.test(readmes[0]))
    throw new Error(`the VSIX's readmes: ${readmes.join(', ')}`);
  const readme = read(readmes[0]);
  if (readme !== packagedReadme(repoRoot))
    throw new Error(`${readmes[0]} is not README.vsix.md as scripts/vsix-readme.mjs packages it`);
  if (/npm (ci|run)/.test(readme)) throw new Error('the packaged README tells users to run npm');
  // Only images the Extensions view and the Marketplace show: https (relative ones are left out).
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  if (!images.every((src) => src.startsWith('https://')))
    throw new Error(`README images: ${images.join(', ')}`);
  if (packaged.icon !== 'media/icon.png' || !entries.includes('extension/media/icon.png'))
    throw new Error(
      `icon ${packaged.icon}; media/icon.png packaged: ${entries.includes('extension/media/icon.png')}`,
    );
  const png = execFileSync('unzip', ['-p', vsix, 'extension/media/icon.png']);
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  if (png.toString('latin1', 1, 4) !== 'PNG' || width !== 128 || height !== 128)
    throw new Error(`media/icon.png is not a 128x128 PNG (${width}x${height})`);
  const vsixManifest = read('extension.vsixmanifest');
  if (!vsixManifest.includes('Path="extension/media/icon.png"'))
    throw new Error('extension.vsixmanifest names no icon');
  const activity = packaged.contributes.viewsContainers.activitybar[0].icon;
  if (!entries.includes(`extension/${activity}`))
    throw new Error(`the activity-bar icon ${activity} is not packaged`);
  step(
    `VSIX: ${readmes[0]} is README.vsix.md (${readme.split('\n')[0]}), icon media/icon.png ${width}x${height}, ${entries.length} files`,
  );
}

try {
  checkPackage();
  const installed = await installVsix({ runDir, userDataDir, extensionsDir, vsix });
  const folders = readdirSync(extensionsDir).filter((d) => d.startsWith('weight-decay-lab.'));
  if (folders.length !== 1)
    throw new Error(`--install-extension left ${folders.join(', ') || 'nothing'}: ${installed}`);
  // A VSIX install is a copy of the package: bundles, no node_modules, so no native engine inside it.
  if (existsSync(join(extensionsDir, folders[0], 'node_modules')))
    throw new Error('the VSIX carries node_modules');
  step(`installed ${vsix} as ${folders[0]} (no node_modules)`);

  server = session.server = await startCodeServer({ runDir, userDataDir, extensionsDir });
  step(`code-server on ${server.origin}`);
  context = session.context = await launchBrowser(join(runDir, 'chromium-profile'), {
    width: 1400,
    height: 900,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(server.url({ folder: workspace }));
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'native.wdlab.json' }).waitFor();
  step('workbench loaded');

  const palette = page.locator('.quick-input-widget input');
  /** F1, the command's title, Enter; retried while the workbench is still resolving `when` clauses. */
  const runCommand = async (title) => {
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('F1');
      await palette.waitFor();
      await palette.fill(`>${title}`);
      try {
        await page
          .locator('.quick-input-list .monaco-list-row', { hasText: title })
          .first()
          .waitFor({ timeout: 5000 });
        break;
      } catch (e) {
        if (attempt >= 8) throw e;
        await page.keyboard.press('Escape');
        await sleep(2000);
      }
    }
    await page.keyboard.press('Enter');
  };

  // The spec open in the editor: the extension activates on it, and Run Experiment runs it.
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
  await page.keyboard.press('Control+P');
  await palette.waitFor();
  await palette.fill('native.wdlab.json');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'native.wdlab.json' })
    .first()
    .waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: 'native.wdlab.json' }).waitFor();
  await page.locator('.statusbar-item', { hasText: 'Weight Decay Lab Spec' }).waitFor();

  // --- 0. the Extensions view: the icon in the list, the user README on the details page --------------
  await runCommand('Extensions: Show Installed Extensions');
  const listed = page
    .locator('.extensions-viewlet .extension-list-item', { hasText: 'Weight Decay Lab' })
    .first();
  await listed.waitFor();
  const icon = listed.locator('img.icon');
  for (let i = 0; ; i++) {
    const shown = await icon
      .evaluate((img) => ({ src: img.src, width: img.naturalWidth }))
      .catch(() => undefined);
    if (shown?.src.includes('icon.png') && shown.width === 128) {
      step(`Extensions view shows the icon (${shown.width} px, ${shown.src.split('/').slice(-2).join('/')})`);
      break;
    }
    if (i > 40) throw new Error(`the Extensions view shows no icon: ${JSON.stringify(shown)}`);
    await sleep(250);
  }
  await listed.click();
  // The details page renders the README in a webview, two frames deep.
  const details = page.frameLocator('iframe.webview').frameLocator('#active-frame');
  await details.locator('h2', { hasText: 'Start from the Command Palette' }).waitFor();
  const sources = await details
    .locator('img')
    .evaluateAll((imgs) => imgs.map((img) => img.getAttribute('src')));
  if (!sources.every((src) => src?.startsWith('https://')))
    throw new Error(`the details page has images it cannot show: ${sources.join(', ')}`);
  await page.screenshot({ path: join(shots, '0-extension-details.png') });
  step(`the details page shows the user README (${sources.length} images, all https)`);
  await page.locator('.tabs-container .tab', { hasText: 'native.wdlab.json' }).click();

  // --- 1. the engine, through the command ------------------------------------------------------------
  await runCommand('Weight Decay Lab: Install Training Engine');
  const choice = page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'Native TensorFlow (CPU)' })
    .first();
  await choice.waitFor();
  await page.screenshot({ path: join(shots, '1-pick-engine.png') });
  await choice.click();
  step('Install Training Engine → Native TensorFlow (CPU)');
  await page
    .locator('.notification-toast', { hasText: 'installing Native TensorFlow (CPU)' })
    .first()
    .waitFor();
  await page.screenshot({ path: join(shots, '2-installing.png') });
  const manifest = await until(
    `${engines}/tensorflow/engine.json`,
    () => {
      try {
        return JSON.parse(readFileSync(join(engines, 'tensorflow', 'engine.json'), 'utf8'));
      } catch {
        return undefined;
      }
    },
    360_000,
  );
  await page
    .locator('.notification-toast', { hasText: 'Native TensorFlow (CPU) installed' })
    .first()
    .waitFor();
  await page.screenshot({ path: join(shots, '3-installed.png') });
  step(`engine installed: ${manifest.library}`);

  // --- 2. a run on it ---------------------------------------------------------------------------------
  await page.locator('.tabs-container .tab', { hasText: 'native.wdlab.json' }).click();
  await runCommand('Weight Decay Lab: Run Experiment');
  step('Run Experiment invoked');
  const info = await until(
    'run.json completed',
    () => {
      if (!existsSync(runsDir)) return undefined;
      for (const d of readdirSync(runsDir)) {
        try {
          const run = JSON.parse(readFileSync(join(runsDir, d, 'run.json'), 'utf8'));
          if (run.status === 'failed') throw new Error(`run ${d} failed: ${JSON.stringify(run.error)}`);
          if (run.status === 'completed') return run;
        } catch (e) {
          if (String(e.message).startsWith('run ')) throw e;
        }
      }
      return undefined;
    },
    180_000,
  );
  if (info.backend?.name !== 'tensorflow') throw new Error(`the run ran on ${JSON.stringify(info.backend)}`);
  if (!info.backend.device.includes(join(engines, 'tensorflow')))
    throw new Error(`tensorflow not loaded from the installed engine: ${info.backend.device}`);
  step(`run completed on ${info.backend.name}: ${info.backend.device}`);
  await sleep(1000);
  await page.screenshot({ path: join(shots, '4-run-completed.png') });
  ok = true;
} catch (err) {
  await session.failed(err);
}
await session.finish(
  ok,
  `screenshots in ${shots}; ok — the VSIX installed the native engine and trained on it`,
);
