// The on-disk checkpoint format, with no tfjs in it so the runner (which never imports tfjs) can read
// where a run stopped. Layout inside <run>/checkpoint/:
//
//   state-<step>.bin    every tensor's float32 data, concatenated
//   state-<step>.json   CheckpointState: the tensor table (name, shape, offset) and the loop position
//   latest.json         {"state": "state-<step>"} — replaced atomically last, so it always names a
//                       complete pair; older pairs are deleted only after it moves on.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset and length in float32 elements within the .bin file. */
  offset: number;
  length: number;
}

export interface CheckpointState {
  version: 1;
  /** Optimizer steps completed. */
  step: number;
  optimizerIterations: number;
  /** Wall-clock seconds of training so far. */
  elapsed: number;
  tensors: TensorEntry[];
  savedAt: string;
}

const LATEST = 'latest.json';

/** Writes through a temporary file renamed into place; a failed write (a full disk) leaves no temporary behind. */
function replaceAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    // The previous checkpoint stays whole: latest.json moves on only after both new files are written.
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC')
      throw Object.assign(
        new Error(`disk full while writing ${file}: free some space, then resume the run`),
        {
          code: 'ENOSPC',
        },
      );
    throw e;
  }
}

/** What to do when the checkpoint a resume needs is damaged: its records stay, the trial starts over. */
const START_OVER =
  'this run cannot resume from it; run its spec again to start the trial over (the records so far stay in metrics.jsonl)';

/** A checkpoint file that is missing, not JSON, or shorter than its table says. */
export class CheckpointDamagedError extends Error {}

function readJson<T>(dir: string, name: string): T {
  const file = join(dir, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CheckpointDamagedError(`checkpoint/${name} is missing: ${START_OVER}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new CheckpointDamagedError(
      `checkpoint/${name} is damaged (not JSON: ${(e as Error).message}): ${START_OVER}`,
    );
  }
}

/** Writes a checkpoint from named float32 arrays; returns its state. */
export function writeCheckpoint(
  dir: string,
  position: Omit<CheckpointState, 'version' | 'tensors' | 'savedAt'>,
  tensors: { name: string; shape: number[]; data: Float32Array }[],
): CheckpointState {
  mkdirSync(dir, { recursive: true });
  let offset = 0;
  const table: TensorEntry[] = tensors.map((t) => {
    const e = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const bin = new Float32Array(offset);
  tensors.forEach((t, i) => {
    bin.set(t.data, table[i].offset);
  });
  const base = `state-${position.step}`;
  const state: CheckpointState = {
    version: 1,
    ...position,
    tensors: table,
    savedAt: new Date().toISOString(),
  };
  replaceAtomic(join(dir, `${base}.bin`), new Uint8Array(bin.buffer));
  replaceAtomic(join(dir, `${base}.json`), JSON.stringify(state, null, 1));
  replaceAtomic(join(dir, LATEST), JSON.stringify({ state: base }));
  for (const f of readdirSync(dir)) {
    if (f.startsWith('state-') && !f.startsWith(`${base}.`)) rmSync(join(dir, f), { force: true });
  }
  return state;
}

/** The latest complete checkpoint's state, or undefined when there is none. */
export function readCheckpointState(dir: string): CheckpointState | undefined {
  if (!existsSync(join(dir, LATEST))) return undefined;
  const { state } = readJson<{ state: string }>(dir, LATEST);
  const read = readJson<CheckpointState>(dir, `${state}.json`);
  if (typeof read?.step !== 'number' || !Array.isArray(read.tensors))
    throw new CheckpointDamagedError(
      `checkpoint/${state}.json is damaged (no step or tensor table): ${START_OVER}`,
    );
  return read;
}

/** The latest checkpoint's tensors by name. */
export function readCheckpoint(dir: string): { state: CheckpointState; tensors: Map<string, Float32Array> } {
  const state = readCheckpointState(dir);
  if (!state) throw new Error(`no checkpoint in ${dir}`);
  const name = `state-${state.step}.bin`;
  let buf: Buffer;
  try {
    buf = readFileSync(join(dir, name));
  } catch {
    throw new CheckpointDamagedError(`checkpoint/${name} is missing: ${START_OVER}`);
  }
  const expected = state.tensors.reduce((n, t) => Math.max(n, t.offset + t.length), 0);
  if (buf.byteLength !== expected * 4)
    throw new CheckpointDamagedError(
      `checkpoint/${name} is ${buf.byteLength < expected * 4 ? 'truncated' : 'longer than its table'} (${Math.floor(buf.byteLength / 4)} of ${expected} values): ${START_OVER}`,
    );
  // Copy out of the file buffer: a Node Buffer's byteOffset need not be 4-aligned.
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const tensors = new Map<string, Float32Array>();
  for (const t of state.tensors) tensors.set(t.name, all.slice(t.offset, t.offset + t.length));
  return { state, tensors };
}
