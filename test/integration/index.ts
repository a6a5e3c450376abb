// The extension tests' entry: VS Code's extension host loads this module (the `--extensionTestsPath`)
// and awaits run(); a rejection makes the window exit with code 1, which the launcher (test-electron
// with test/harness/code-shim, or a desktop VS Code) returns as its own exit code.
//
// test/harness/build-integration.mjs bundles this file together with every suite/*.itest.ts, which
// register their tests with ./runner when the bundle loads.
import { runSuites } from './runner';

export async function run(): Promise<void> {
  const failures = await runSuites();
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
