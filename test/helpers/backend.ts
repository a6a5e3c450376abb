// Test helper: start a tfjs backend for in-process engine tests, with the wasm binaries that the build
// copied into dist/wasm.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, found from wherever this bundle was emitted (out/test/...). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schemas'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = up;
  }
  return dir;
}

export const wasmDir = (): string => join(repoRoot(), 'dist', 'wasm');
export const trainerPath = (): string => join(repoRoot(), 'dist', 'trainer.js');
export const cliPath = (): string => join(repoRoot(), 'dist', 'cli.js');

/**
 * CI builds the native engine (wdlab engine install tensorflow) and sets WDLAB_REQUIRE_TENSORFLOW=1: there a
 * test on the `tensorflow` backend must run, not skip. Elsewhere it skips, saying why.
 */
export const requireTensorflow = (): boolean => process.env.WDLAB_REQUIRE_TENSORFLOW === '1';
