// Test helper: temporary folders that are removed when the test file's process exits (node --test runs
// each file in its own process), so test runs leave nothing behind in the system temp folder. A node:test
// `after` hook registered from inside a running test does not run reliably; the exit handler does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A fresh empty folder under the temp dir, named `<prefix>XXXXXX`, removed after this test file. */
export function scratchDir(prefix: string): string {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A checkpoint folder path (not created) inside a fresh scratch folder. */
export const scratchCheckpointDir = (prefix: string): string => join(scratchDir(prefix), 'checkpoint');
