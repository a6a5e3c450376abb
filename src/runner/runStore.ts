// The run store (docs/architecture.md): plain files under the runs directory (default `.wdlab/runs/`).
//
//   <yyyymmdd-hhmmss>-<name>[-t<trial>]/   (one folder per trial of a sweep: -t1, -t2, ...)
//     spec.json       the fully resolved trial spec
//     run.json        id, status, times, backend, device, versions, error
//     metrics.jsonl   one JSON record per line, append-only
//     checkpoint/     latest weights + optimizer state (engine/checkpointFormat.ts)
//     trainer.log     the trainer process's stdout and stderr
//
// Crash safety: run.json is replaced atomically (write a temp file, then rename); metrics lines are
// appended whole with one write each, and readers skip a torn last line. A run whose owning process
// died while it was queued or running reads as `interrupted`.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { BackendReport, LayerInfo, MetricRecord, TrainingProgress } from '../protocol/records';
import type { PaperSetup, RunStatus } from '../protocol/runs';
import { resolveSpec } from '../spec';
import { paperSetup } from '../spec/setup';
import type { ExperimentSpec, Trial } from '../spec/types';
import type { ExecutorRecord } from './executors/record';

export interface RunInfo {
  id: string;
  name: string;
  /** Runs of one sweep share a group id: `<yyyymmdd-hhmmss>-<name>`. */
  group: string;
  trial: { index: number; count: number; values: Record<string, unknown>; label: string };
  status: RunStatus;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  /** The spec file the run came from, if any. */
  specFile?: string;
  /** The trial's coordinates in the paper's Table 1 grid (spec/setup.ts), for the Table view. */
  setup?: PaperSetup;
  backend?: BackendReport;
  parameterCount?: number;
  /** The model's linear layers: which are scale-invariant and decayed (from the trainer's `ready`). */
  layers?: LayerInfo[];
  /** K-FAC: how and when its factors were inverted, e.g. the asynchronous schedule's lag. */
  kfacInverses?: string;
  /** Pid of the process that owns the run (CLI or extension host) and of its trainer. */
  ownerPid?: number;
  trainerPid?: number;
  host: string;
  progress?: TrainingProgress;
  error?: { message: string; stack?: string; stderr?: string[] };
  /** What a finished run still needs to say (runner/warnings.ts): an exploded loss. */
  warnings?: string[];
  /** How many times it was resumed. */
  resumes?: number;
  /** Absent: a local trainer process. Slurm: the array job and task that run it (runner/executors/). */
  executor?: ExecutorRecord;
}

export const DEFAULT_RUNS_DIR = join('.wdlab', 'runs');

export const runFiles = (runDir: string) => ({
  spec: join(runDir, 'spec.json'),
  run: join(runDir, 'run.json'),
  metrics: join(runDir, 'metrics.jsonl'),
  superseded: join(runDir, 'metrics.superseded.jsonl'),
  /** Bytes of metrics.jsonl that were not records (a torn last line, a damaged line): kept, never dropped. */
  unreadable: join(runDir, 'metrics.unreadable.jsonl'),
  checkpoint: join(runDir, 'checkpoint'),
  log: join(runDir, 'trainer.log'),
});

/** A write that failed because the filesystem is full: says which file, and keeps the code. */
export class DiskFullError extends Error {
  readonly code = 'ENOSPC';
  constructor(readonly file: string) {
    super(`disk full while writing ${file}: free some space, then resume the run`);
  }
}

const isDiskFull = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOSPC';

/**
 * Writes a file so that readers see either the old or the new content, never a mix. A failed write leaves
 * no temporary file behind. On a full disk, where no new file fits, an existing file (run.json) is
 * rewritten in place instead, in the space it frees, so that its status and reason still reach the disk.
 */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (!isDiskFull(e)) throw e;
    if (!existsSync(file)) throw new DiskFullError(file);
    try {
      writeFileSync(file, content);
    } catch (again) {
      throw isDiskFull(again) ? new DiskFullError(file) : again;
    }
  }
}

const stamp = (d: Date): string => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
};

/**
 * Claims a group id not used yet in the runs directory — `<stamp>-<name>`, else `<stamp>-<name>.2`, `.3`,
 * ... — by creating the group's first run folder, `first(group)`. mkdir is atomic, so two processes that
 * start a sweep of the same name in the same second get different groups instead of an EEXIST.
 */
function claimGroup(runsDir: string, base: string, first: (group: string) => string): string {
  const taken = new Set(readdirSync(runsDir).map((d) => d.replace(/-t\d+$/, '')));
  for (let k = 1; ; k++) {
    const group = k === 1 ? base : `${base}.${k}`;
    if (taken.has(group)) continue;
    try {
      mkdirSync(first(group));
      return group;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function writeRunInfo(runDir: string, info: RunInfo): void {
  writeFileAtomic(runFiles(runDir).run, `${JSON.stringify(info, null, 2)}\n`);
}

/** Allocates one queued run directory per trial of a sweep, all in one group. */
export function createSweepRuns(
  runsDir: string,
  trials: Trial[],
  labels: string[],
  specFile: string | undefined,
  now = new Date(),
): { group: string; runDirs: string[] } {
  mkdirSync(runsDir, { recursive: true });
  const name = trials[0].spec.name;
  const dirOf = (group: string, trial: Trial) =>
    join(runsDir, trials.length === 1 ? group : `${group}-t${trial.index + 1}`);
  const group = claimGroup(runsDir, `${stamp(now)}-${name}`, (g) => dirOf(g, trials[0]));
  const runDirs = trials.map((trial, i) => {
    const dir = dirOf(group, trial);
    if (i > 0) mkdirSync(dir);
    writeFileAtomic(runFiles(dir).spec, `${JSON.stringify(trial.spec, null, 2)}\n`);
    writeRunInfo(dir, {
      id: basename(dir),
      name,
      group,
      trial: { index: trial.index, count: trial.count, values: trial.values, label: labels[i] },
      status: 'queued',
      createdAt: now.toISOString(),
      specFile,
      setup: paperSetup(trial.spec),
      ownerPid: process.pid,
      host: hostname(),
    });
    return dir;
  });
  return { group, runDirs };
}

/** Reads a run folder's JSON file; a damaged one is an error naming the file, the problem and the fix. */
function readRunJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${file} is damaged (not JSON: ${(e as Error).message}); ${what} The records in metrics.jsonl beside it are untouched.`,
    );
  }
}

export function readRunInfo(runDir: string): RunInfo {
  const file = runFiles(runDir).run;
  if (!existsSync(file)) throw new Error(`${runDir} is not a run directory (no run.json)`);
  const info = readRunJson(file, 'restore it from a backup, or delete the run folder.') as Partial<RunInfo>;
  if (
    typeof info !== 'object' ||
    info === null ||
    typeof info.status !== 'string' ||
    typeof info.trial !== 'object'
  )
    throw new Error(
      `${file} is damaged (no status or trial); restore it from a backup, or delete the run folder.`,
    );
  return info as RunInfo;
}

export function readRunSpec(runDir: string): ExperimentSpec {
  // Defaults filled again (idempotent): a run written by an older version lacks fields added since
  // (e.g. `metrics`), and resuming it must see their defaults.
  const file = runFiles(runDir).spec;
  return resolveSpec(
    readRunJson(
      file,
      "the run cannot be resumed without it: restore it (it is the trial's resolved spec), or run the spec again.",
    ),
  );
}

/** Appends one record as one whole line (a single write call). */
export function appendMetric(runDir: string, record: MetricRecord): void {
  const file = runFiles(runDir).metrics;
  try {
    appendFileSync(file, `${JSON.stringify(record)}\n`);
  } catch (e) {
    // A part of the line may have been written: the next resume cuts it aside (cutTornTail).
    throw isDiskFull(e) ? new DiskFullError(file) : e;
  }
}

/** A line of a JSONL file that is not a record. */
export interface DamagedLine {
  file: string;
  /** 1-based. */
  line: number;
  text: string;
  message: string;
}

/** Where readers report damaged lines by default: one line on stderr (the CLI's, the extension host's log). */
export const warnDamagedLine = (d: DamagedLine): void => {
  process.stderr.write(`warning: ${d.file}:${d.line}: not a JSON record (${d.message}); skipped\n`);
};

/**
 * Parses JSONL text. A line that is not a JSON object is skipped and reported to `onDamaged` (with its
 * file and line), so one bad line never hides the rest; an unterminated last line is a write in progress
 * (or torn by a kill) and is skipped without a report.
 */
export function parseJsonl<T>(
  text: string,
  file = 'metrics.jsonl',
  onDamaged: (d: DamagedLine) => void = warnDamagedLine,
): T[] {
  const lines = text.split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const unterminated = i === lines.length - 1;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('not an object');
      out.push(value as T);
    } catch (e) {
      if (!unterminated) onDamaged({ file, line: i + 1, text: line, message: (e as Error).message });
    }
  });
  return out;
}

export function readMetrics(runDir: string, onDamaged?: (d: DamagedLine) => void): MetricRecord[] {
  const file = runFiles(runDir).metrics;
  return existsSync(file) ? parseJsonl<MetricRecord>(readFileSync(file, 'utf8'), file, onDamaged) : [];
}

/**
 * Before anything appends to metrics.jsonl again (a resume): a last line without its newline (the
 * trainer was killed mid-write) is cut off, so the next record starts a line of its own; the cut bytes
 * are appended to metrics.unreadable.jsonl. Returns how many bytes were cut.
 */
export function cutTornTail(runDir: string): number {
  const files = runFiles(runDir);
  if (!existsSync(files.metrics)) return 0;
  const bytes = readFileSync(files.metrics);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return 0;
  const keep = bytes.lastIndexOf(0x0a) + 1;
  appendFileSync(files.unreadable, Buffer.concat([bytes.subarray(keep), Buffer.from('\n')]));
  truncateSync(files.metrics, keep);
  return bytes.length - keep;
}

/**
 * Before a resume from the checkpoint at `step`: records logged after it (by a run that died after
 * its last checkpoint) are moved to metrics.superseded.jsonl — kept, but out of the main series that
 * the resumed run is about to write again. A torn last line and damaged lines go to
 * metrics.unreadable.jsonl (cutTornTail), so the rewritten file holds records only and loses nothing.
 */
export function supersedeMetricsAfter(runDir: string, step: number): number {
  const files = runFiles(runDir);
  if (!existsSync(files.metrics)) return 0;
  cutTornTail(runDir);
  const damaged: DamagedLine[] = [];
  const records = readMetrics(runDir, (d) => {
    warnDamagedLine(d);
    damaged.push(d);
  });
  const keep = records.filter((r) => r.step <= step);
  const moved = records.filter((r) => r.step > step);
  if (moved.length === 0 && damaged.length === 0) return 0;
  if (damaged.length > 0) appendFileSync(files.unreadable, damaged.map((d) => `${d.text}\n`).join(''));
  if (moved.length > 0) appendFileSync(files.superseded, moved.map((r) => `${JSON.stringify(r)}\n`).join(''));
  writeFileAtomic(files.metrics, keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return moved.length;
}

/** The last value of every metric key over a run's records (final test accuracy, loss, ...). */
export function lastValues(records: MetricRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = v;
  return out;
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run left `queued` or `running` by a process that no longer exists (a crash, a kill, a reload) is
 * `interrupted`; the status is written back so every reader agrees. Only runs of this host are judged.
 */
export function reconcileStatus(runDir: string, info: RunInfo): RunInfo {
  const live = info.status === 'queued' || info.status === 'running';
  // A Slurm run's owner is its array task, judged by Slurm (executors/slurm.ts reconcileSlurmRuns).
  if (!live || info.executor?.kind === 'slurm' || info.host !== hostname() || isAlive(info.ownerPid))
    return info;
  const next: RunInfo = { ...info, status: 'interrupted', endedAt: info.endedAt ?? new Date().toISOString() };
  try {
    writeRunInfo(runDir, next);
  } catch {
    // Read-only or full: the reconciled status is reported all the same, and written by a later reader.
  }
  return next;
}

export interface RunSummary {
  dir: string;
  info: RunInfo;
  final: Record<string, number>;
}

/** The files a run folder holds (any of them makes a folder a run's, even without a readable run.json). */
const RUN_FOLDER_FILES = ['run.json', 'spec.json', 'metrics.jsonl', 'checkpoint'];

/** What `list` and the Runs view show for a run folder whose run.json cannot be read: `damaged`, and why. */
export function damagedRun(dir: string, reason: string): RunInfo {
  const id = basename(dir);
  let createdAt: string;
  try {
    createdAt = statSync(dir).mtime.toISOString();
  } catch {
    createdAt = new Date(0).toISOString();
  }
  return {
    id,
    name: id,
    group: id,
    trial: { index: 0, count: 1, values: {}, label: '' },
    status: 'damaged',
    createdAt,
    host: '',
    error: { message: reason },
  };
}

/**
 * Every run under the runs directory, oldest first, with statuses reconciled. A folder whose run.json is
 * missing or unreadable is listed as `damaged` with the reason, never dropped. Reading never needs to
 * write: a status that cannot be written back (a full disk, a read-only folder) is still reported.
 */
export function listRuns(runsDir: string): RunSummary[] {
  if (!existsSync(runsDir)) return [];
  const out: RunSummary[] = [];
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    const dir = join(runsDir, entry.name);
    if (!entry.isDirectory() || !RUN_FOLDER_FILES.some((f) => existsSync(join(dir, f)))) continue;
    let final: Record<string, number> = {};
    try {
      final = lastValues(readMetrics(dir));
    } catch {
      // An unreadable metrics file: the run is still listed.
    }
    try {
      out.push({ dir, info: reconcileStatus(dir, readRunInfo(dir)), final });
    } catch (e) {
      out.push({ dir, info: damagedRun(dir, (e as Error).message), final });
    }
  }
  return out.sort((a, b) => a.info.createdAt.localeCompare(b.info.createdAt) || a.dir.localeCompare(b.dir));
}
