// Where the spec corpus lives. Tests run as bundles under out/, so find the repository root by walking
// up to package.json rather than trusting __dirname.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test bundle');
    dir = up;
  }
  return dir;
}

export const ROOT = repoRoot();
export const SPECS = join(ROOT, 'test/fixtures/specs');

/** Fixture file names (without the .wdlab.json suffix) in one corpus folder. */
export function fixtureNames(folder: 'good' | 'bad' | 'warn'): string[] {
  return readdirSync(join(SPECS, folder))
    .filter((f) => f.endsWith('.wdlab.json'))
    .map((f) => f.slice(0, -'.wdlab.json'.length))
    .sort();
}

export function fixturePath(folder: 'good' | 'bad' | 'warn', name: string): string {
  return join(SPECS, folder, `${name}.wdlab.json`);
}
