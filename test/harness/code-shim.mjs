// A stand-in for the `code` executable that @vscode/test-electron (and @vscode/test-cli) launch: it
// runs the extension tests in code-server's real VS Code, in headless Chromium, and exits with the
// tests' exit code. Launched through ./code-shim, which picks Node 24.
//
// Accepted: --extensionDevelopmentPath=P (repeatable), --extensionTestsPath=P, --user-data-dir=D,
// --extensions-dir=D (also as two words), one folder, --version. Every other flag is ignored.
// Environment: CODE_SHIM_TIMEOUT_S (default 180), CODE_SHIM_VERBOSE=1 (forward code-server's log and
// the page's console errors).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  artifactsDir,
  assertInstalled,
  launchBrowser,
  startCodeServer,
  versionLines,
  writeUserSettings,
} from './workbench.mjs';

function parseArgs(argv) {
  const o = {
    extensionDevelopmentPath: [],
    extensionTestsPath: undefined,
    folder: undefined,
    version: false,
  };
  const valued = new Set([
    'extensionDevelopmentPath',
    'extensionTestsPath',
    'user-data-dir',
    'extensions-dir',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-v') {
      o.version = true;
      continue;
    }
    if (!a.startsWith('-')) {
      o.folder ??= resolve(a);
      continue;
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(a);
    if (!m || !valued.has(m[1])) continue;
    const value = m[2] ?? argv[++i];
    if (m[1] === 'extensionDevelopmentPath') o.extensionDevelopmentPath.push(resolve(value));
    else if (m[1] === 'extensionTestsPath') o.extensionTestsPath = resolve(value);
    else o[m[1]] = resolve(value);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.version) {
  console.log(versionLines().join('\n'));
  process.exit(0);
}
assertInstalled();
if (opts.extensionTestsPath && opts.extensionDevelopmentPath.length === 0) {
  // VS Code runs extension tests only in an extension development host: it would wait forever.
  console.error('[code-shim] --extensionTestsPath needs --extensionDevelopmentPath');
  process.exit(2);
}

const timeoutS = Number(process.env.CODE_SHIM_TIMEOUT_S || 180);
const verbose = process.env.CODE_SHIM_VERBOSE === '1';
const runDir = mkdtempSync(join(tmpdir(), 'wdlab-code-shim-'));
const userDataDir = opts['user-data-dir'] ?? join(runDir, 'user-data');
const extensionsDir = opts['extensions-dir'] ?? join(runDir, 'extensions');
/**
 * The automation log carries the workbench's own log lines as well as the extension host's console:
 * keep CI logs to the tests by dropping the workbench's connection chatter and the expected failures
 * of an offline machine (extension gallery, vsda, GitHub auth). CODE_SHIM_VERBOSE=1 shows them.
 */
const workbenchChatter = new RegExp(
  [
    '^Resolving connection token',
    '^Resolved connection token',
    '^Creating a socket',
    '^\\[reconnection-grace-time\\]',
    '^Updating additional builtin extensions cache',
    '^\\[Service Worker\\]',
    '^\\[AgentHost:',
    '^\\[AccountPolicyGate\\]',
    'ENOTFOUND (open-vsx\\.org|marketplace)',
    'vsda',
    'github-authentication',
  ].join('|'),
);
const say = (msg) => console.log(`[code-shim] ${msg}`);

let server;
let context;
let exitCode = 1;
let cleaning;
let stopping = false;
/** Idempotent: the signal handlers and the normal path may both ask, and both must wait for the end. */
const cleanUp = () => {
  cleaning ??= (async () => {
    await context?.close().catch(() => {});
    await server?.stop();
    rmSync(runDir, { recursive: true, force: true });
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopping = true;
    say(`${signal}: stopping`);
    cleanUp().finally(() => process.exit(130));
  });
}

writeUserSettings(userDataDir);
const started = Date.now();
// One deadline for everything: start, page load and the tests themselves.
const watchdog = setTimeout(async () => {
  say(`no exit from the extension tests within ${timeoutS} s (CODE_SHIM_TIMEOUT_S)`);
  const page = context?.pages()[0];
  if (page) {
    mkdirSync(artifactsDir, { recursive: true });
    const shot = join(artifactsDir, 'integration-timeout.png');
    await page.screenshot({ path: shot }).catch(() => {});
    say(`screenshot: ${shot}`);
  }
  printServerLog();
  await cleanUp();
  process.exit(124);
}, timeoutS * 1000);

try {
  server = await startCodeServer({
    runDir,
    userDataDir,
    extensionsDir,
    vscodeOptions: ['enable-smoke-test-driver'],
  });
  say(`VS Code ${versionLines()[0]} (code-server) on ${server.origin}, process group ${server.pid}`);
  context = await launchBrowser(join(runDir, 'chromium-profile'));
  const page = context.pages()[0] ?? (await context.newPage());

  // The workbench calls these when the smoke-test driver is on: every log line of the extension
  // host's test run, then the exit code (with the window's log files) when run() settles.
  let resolveExit;
  const done = new Promise((r) => {
    resolveExit = r;
  });
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = (Array.isArray(args) ? args : [args])
      .map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))
      .join(' ');
    if (!verbose && workbenchChatter.test(text)) return;
    (type === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
  });
  await page.exposeFunction('codeAutomationExit', (code, logs) => {
    if (code !== 0 && Array.isArray(logs)) saveLogs(logs);
    resolveExit(Number(code));
  });
  if (verbose) {
    page.on('console', (m) => m.type() === 'error' && console.error(`[page] ${m.text()}`));
    page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  }

  const payload = [
    ...opts.extensionDevelopmentPath.map((p) => ['extensionDevelopmentPath', server.remoteUri(p)]),
    ...(opts.extensionTestsPath ? [['extensionTestsPath', server.remoteUri(opts.extensionTestsPath)]] : []),
  ];
  await page.goto(server.url({ folder: opts.folder, payload }));

  exitCode = await done;
} catch (err) {
  if (stopping) await new Promise(() => {}); // the signal handler ends the process
  say(`failed: ${err?.stack ?? err}`);
  exitCode = 1;
}

clearTimeout(watchdog);
if (exitCode !== 0 || verbose) printServerLog();
await cleanUp();
say(`exit code ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(exitCode);

function printServerLog() {
  if (!server) return;
  try {
    const log = readFileSync(server.logPath, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
    console.log(`[code-shim] code-server log (last 40 lines):\n${log}`);
  } catch {
    // no log yet
  }
}

/** The window's log files (renderer, extension host...) as the workbench hands them over at exit. */
function saveLogs(logs) {
  const dir = join(artifactsDir, 'integration-logs');
  rmSync(dir, { recursive: true, force: true });
  for (const { relativePath, contents } of logs) {
    if (typeof relativePath !== 'string') continue;
    const file = resolve(dir, relativePath);
    if (!file.startsWith(`${dir}/`)) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, contents ?? '');
  }
  say(`window logs saved under ${dir}`);
}
