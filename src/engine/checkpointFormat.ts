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

function replaceAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
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
  const latest = join(dir, LATEST);
  if (!existsSync(latest)) return undefined;
  const { state } = JSON.parse(readFileSync(latest, 'utf8')) as { state: string };
  return JSON.parse(readFileSync(join(dir, `${state}.json`), 'utf8')) as CheckpointState;
}

/** The latest checkpoint's tensors by name. */
export function readCheckpoint(dir: string): { state: CheckpointState; tensors: Map<string, Float32Array> } {
  const state = readCheckpointState(dir);
  if (!state) throw new Error(`no checkpoint in ${dir}`);
  const buf = readFileSync(join(dir, `state-${state.step}.bin`));
  // Copy out of the file buffer: a Node Buffer's byteOffset need not be 4-aligned.
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const tensors = new Map<string, Float32Array>();
  for (const t of state.tensors) tensors.set(t.name, all.slice(t.offset, t.offset + t.length));
  return { state, tensors };
}
