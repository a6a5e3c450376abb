// Results UI benchmark: first paint of a report with 20 runs x 10,000 records each, in headless
// Chromium. The runs are written as a run store would write them (run.json + metrics.jsonl), the page
// by the real `wdlab report`; "first paint" is the `wdlab:first-paint` performance mark (after the
// frame that shows the first charts), measured from navigation start, so it includes parsing the
// ~40 MB of embedded records; `uiMs` starts when the UI script starts (JSON.parse of the records,
// series, min/max decimation, the charts in view, the frame that shows them). Target: uiMs < 500 ms —
// what the UI controls; reading a 40 MB file is the browser's (about 450 ms on a 2-core machine).
// Prints one JSON line. Usage: node bench/webview-bench.mjs [--runs N] [--points N] [--loads N]
// (after `node scripts/build.mjs` and `bash test/harness/setup.sh`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, repoRoot } from '../test/harness/workbench.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 20);
const POINTS = arg('points', 10_000);
const LOADS = arg('loads', 3);
const TARGET_MS = 500;

const work = mkdtempSync(join(tmpdir(), 'wdlab-bench-'));
const runsDir = join(work, 'runs');

/** A deterministic pseudo-random source (no seeds to import). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

for (let r = 0; r < RUNS; r++) {
  const id = `20260101-000000-bench-t${r + 1}`;
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  const wd = r % 2 === 0 ? 'none' : 'weightDecay';
  const seed = Math.floor(r / 2) + 1;
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      id,
      name: 'bench',
      group: '20260101-000000-bench',
      trial: {
        index: r,
        count: RUNS,
        values: { 'regularization.type': wd, 'training.seed': seed },
        label: `regularization.type=${wd}, training.seed=${seed}`,
      },
      status: 'completed',
      createdAt: `2026-01-01T00:00:${String(r).padStart(2, '0')}.000Z`,
      host: 'bench',
    }),
  );
  const rand = rng(r + 1);
  const lines = [];
  let norm = 10;
  for (let i = 0; i < POINTS; i++) {
    const step = i * 10;
    const epoch = step / 390;
    const lr = epoch < 60 ? 0.1 : 0.01;
    norm = wd === 'none' ? norm + 0.002 * rand() : norm + (0.5 - rand()) * 0.01;
    const loss = 2.3 * Math.exp(-step / 20000) + 0.1 + 0.2 * rand();
    const rec = {
      step,
      epoch,
      time: step * 0.01,
      'train/loss': loss,
      'train/accuracy': Math.min(1, 1 - loss / 2.6 + 0.05 * rand()),
      lr,
      'weightNorm/conv1': norm,
      'weightNorm/fc': norm / 2,
      'effectiveLr/conv1': lr / (norm * norm),
    };
    if (i % 100 === 0) {
      rec['test/loss'] = loss + 0.2;
      rec['test/accuracy'] = 1 - (loss + 0.2) / 2.6;
    }
    lines.push(JSON.stringify(rec));
  }
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
}

const page = join(work, 'bench.html');
const made = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'report', runsDir, '-o', page], {
  encoding: 'utf8',
});
if (made.status !== 0) throw new Error(`wdlab report failed: ${made.stderr}`);

const context = await launchBrowser(join(work, 'profile'), { width: 1400, height: 900 });
const times = [];
const uiTimes = [];
let charts = 0;
const errors = [];
try {
  for (let i = 0; i < LOADS; i++) {
    const tab = await context.newPage();
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForFunction(() => performance.getEntriesByName('wdlab:first-paint').length > 0, null, {
      timeout: 60_000,
    });
    const [paint, start] = await tab.evaluate(() =>
      ['wdlab:first-paint', 'wdlab:start'].map((m) => performance.getEntriesByName(m)[0].startTime),
    );
    times.push(paint);
    uiTimes.push(paint - start);
    charts = await tab.locator('.wd-card').count();
    await tab.close();
  }
} finally {
  await context.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({
    bench: 'webview-first-paint',
    runs: RUNS,
    pointsPerRun: POINTS,
    charts,
    htmlMiB: Number((statSync(page).size / 2 ** 20).toFixed(1)),
    // From navigation start: reading and parsing the file, then the UI.
    firstPaintMs: Math.round(median(times)),
    // From the UI script's start: JSON.parse of the records, series, decimation, the first charts.
    uiMs: Math.round(median(uiTimes)),
    loadsMs: times.map(Math.round),
    targetMs: TARGET_MS,
    ok: median(uiTimes) < TARGET_MS && errors.length === 0,
    errors: errors.slice(0, 3),
  }),
);
rmSync(work, { recursive: true, force: true });
process.exitCode = errors.length === 0 ? 0 : 1;
