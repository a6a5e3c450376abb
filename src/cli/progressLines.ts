// The lines `wdlab run` prints while trials train: the same for a local sweep (its trainer events) and a
// Slurm one followed with --wait (read from the run folders).
import type { MetricRecord } from '../protocol/records';
import type { RunInfo } from '../runner/runStore';
import { num, percent, seconds } from './table';

/** "▶ trial 2/4  training.seed=2" and the run folder. */
export const trialHeader = (p: { index: number; count: number; label: string }, runDir: string): string =>
  `\n▶ trial ${p.index + 1}/${p.count}${p.label ? `  ${p.label}` : ''}\n  ${runDir}`;

/** The backend, parameter count, hint and scale-invariant layers, once the trainer is ready. */
export function readyLines(info: RunInfo): string[] {
  const b = info.backend;
  const skipped = b?.skipped.length
    ? ` (skipped ${b.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`
    : '';
  const lines = [
    `  backend ${b?.name} — ${b?.device}${skipped}; ${info.parameterCount?.toLocaleString('en')} parameters`,
  ];
  if (b?.hint) lines.push(`  faster: ${b.hint}`);
  const invariant = (info.layers ?? []).filter((l) => l.scaleInvariant).map((l) => l.name);
  // Which layers mechanism 1 applies to is decided by the model structure (followed by BN, no affine).
  lines.push(`  scale-invariant (BN) layers: ${invariant.length > 0 ? invariant.join(', ') : 'none'}`);
  return lines;
}

/** One evaluation record's line; undefined for records without a test evaluation. */
export function recordLine(r: MetricRecord): string | undefined {
  if (r['test/accuracy'] === undefined) return undefined;
  const train =
    r['train/loss'] === undefined
      ? ''
      : `train loss ${num(r['train/loss'])} acc ${percent(r['train/accuracy'])} · `;
  return `  epoch ${num(r.epoch, 3)} · step ${r.step} · ${train}test loss ${num(r['test/loss'])} acc ${percent(r['test/accuracy'])} · ${seconds(r.time)}`;
}
