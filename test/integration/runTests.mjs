// Runs the extension integration tests (out/test/integration/index.js, built by
// test/harness/build-integration.mjs) with the stock @vscode/test-electron runTests(). On these
// machines VS Code cannot be downloaded, so the "executable" is test/harness/code-shim: it runs the
// same tests in code-server's VS Code, headless in Chromium. Set VSCODE_EXECUTABLE to a desktop
// VS Code binary to use that instead.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const harnessDir = join(repoRoot, 'test', 'harness');
// The tools live in test/harness/node_modules, outside the root package.
const { runTests } = createRequire(join(harnessDir, 'package.json'))('@vscode/test-electron');

// A fresh copy of the fixture workspace, profile and extensions folder for every run. In the system's
// temporary folder: the profile holds a Unix socket, and a deep checkout path would pass the 107
// bytes a socket path may have. (Screenshots and logs of failures go to test/.tmp.)
const runDir = mkdtempSync(join(tmpdir(), 'wdlab-itest-'));
const workspace = join(runDir, 'workspace');
cpSync(join(repoRoot, 'test', 'integration', 'workspace'), workspace, { recursive: true });

let code;
try {
  code = await runTests({
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || join(harnessDir, 'code-shim'),
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'out', 'test', 'integration', 'index.js'),
    launchArgs: [
      workspace,
      `--user-data-dir=${join(runDir, 'user-data')}`,
      `--extensions-dir=${join(runDir, 'extensions')}`,
      '--disable-extensions',
    ],
  });
} catch (err) {
  // runTests rejects with TestRunFailedError when the tests fail; its message names the exit code.
  console.error(`integration tests failed: ${err instanceof Error ? err.message : err}`);
  code = typeof err?.code === 'number' && err.code !== 0 ? err.code : 1;
} finally {
  rmSync(runDir, { recursive: true, force: true });
}
process.exit(code);
