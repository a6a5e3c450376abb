// The PyTorch anchor, run in the same bench run as ours: a speed ratio means something only when both sides
// ran on the same machine at the same moment. `torch_anchor_bench.py` beside this file trains the same
// networks (MLP, VGG16 and the 4x-wide ResNet32, BN without affine) with SGD at batch 128 and prints one JSON
// line per case. A ratio against a figure measured on another machine says little: docs/performance.md
// records 18.1 img/s for PyTorch on VGG16-BN on a 2-core development machine; on the 2-core machine of
// 2026-12-02 (a Xeon with AVX-512, which PyTorch's oneDNN uses) it did 115.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface AnchorFigure {
  images_per_s: number;
  /** e.g. "pytorch-1.13.0a0". */
  anchor: string;
  device: string;
  threads: number;
}

export type AnchorDevice = 'cpu' | 'cuda';

/** The cases torch_anchor_bench.py knows. */
export const ANCHOR_CASES: readonly string[] = ['mlp', 'vgg16-bn', 'resnet32-bn', 'vgg16', 'resnet32'];

/** The script sits beside the bench's sources; the bundle runs from out/bench. */
export function anchorScriptPath(): string {
  return join(__dirname, '..', '..', 'bench', 'torch_anchor_bench.py');
}

/**
 * The first interpreter that can import torch: the one asked for, else python3 on the PATH, else the
 * system's (Debian's python3-torch installs into /usr/bin/python3, which a pyenv or venv python3 hides).
 */
export function findTorchPython(asked?: string): string | undefined {
  const candidates = asked ? [asked] : ['python3', '/usr/bin/python3', 'python'];
  return candidates.find(
    (python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 }).status === 0,
  );
}

/** Parses the anchor's JSON lines into a figure per case; other lines (warnings) are ignored. */
export function parseAnchorOutput(stdout: string): Map<string, AnchorFigure> {
  const figures = new Map<string, AnchorFigure>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line) as Partial<AnchorFigure> & { case?: string };
    if (typeof r.case === 'string' && typeof r.images_per_s === 'number')
      figures.set(r.case, {
        images_per_s: r.images_per_s,
        anchor: String(r.anchor),
        device: String(r.device),
        threads: Number(r.threads),
      });
  }
  return figures;
}

/**
 * Runs the anchor for those of `cases` it knows (none: nothing runs) on `device`. On the CPU it gets every core (OMP_NUM_THREADS set explicitly:
 * some containers leave OpenMP at one thread), as our data-parallel step does.
 */
export function runAnchor(
  python: string,
  device: AnchorDevice,
  cases: string[],
  script = anchorScriptPath(),
): Map<string, AnchorFigure> {
  const known = cases.filter((c) => ANCHOR_CASES.includes(c));
  if (known.length === 0) return new Map();
  const threads = String(availableParallelism());
  const run = spawnSync(python, [script, device, known.join(',')], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? threads },
    maxBuffer: 16 * 2 ** 20,
  });
  if (run.error) throw new Error(`${python} ${script}: ${run.error.message}`);
  if (run.status !== 0)
    throw new Error(`${python} ${script} exited with ${run.status}: ${run.stderr.trim().split('\n').pop()}`);
  return parseAnchorOutput(run.stdout);
}
