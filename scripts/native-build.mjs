// `npm run native:build [-- --wheel FILE] [-- --python PYTHON]`: the native TensorFlow engine for this
// checkout where `npm install` could not download libtensorflow (tfjs-node is an optional dependency, so
// npm drops it when its download fails). If tfjs-node already loads, nothing is done; else the binding is
// built from a local tensorflow-cpu wheel into the engines folder, where the trainer finds it
// (`wdlab engine install tensorflow --source wheel`; docs/engines.md).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const wdlab = (args, stdio) => spawnSync(process.execPath, [cli, ...args], { stdio, encoding: 'utf8' });

const check = wdlab(['engine', 'check', 'tensorflow'], 'pipe');
if (check.status === 0 && !process.argv.includes('--force')) {
  console.log(`native engine already usable: ${check.stdout.trim()}`);
  console.log('(--force rebuilds it from the wheel)');
  process.exit(0);
}
const extra = process.argv.slice(2).filter((a) => a !== '--force');
const install = wdlab(['engine', 'install', 'tensorflow', '--source', 'wheel', ...extra], 'inherit');
process.exit(install.status ?? 1);
