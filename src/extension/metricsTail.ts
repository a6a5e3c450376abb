// Reading metrics.jsonl without blocking the extension host: files can grow to many megabytes during
// long runs, so they are read with fs.promises, only from the byte offset reached last time, and a torn
// last line (a write in progress) waits for the next read. No `vscode` here: unit-testable.
import { open, stat } from 'node:fs/promises';
import type { MetricRecord } from '../protocol/records';
import { type DamagedLine, parseJsonl } from '../runner/runStore';

/** What one read added: the new records, and whether they replace everything read before. */
export interface MetricsDelta {
  records: MetricRecord[];
  reset: boolean;
}

/**
 * Follows one metrics.jsonl. The file is append-only except when a resume moves records aside
 * (runStore.supersedeMetricsAfter replaces the file atomically): a new inode or a shorter file
 * starts over from byte 0 and the delta says `reset`.
 */
export class MetricsFollower {
  private offset = 0;
  /** Complete lines read so far (for the line numbers of damaged ones). */
  private lines = 0;
  private inode?: number;
  private leftover = '';
  private readonly all: MetricRecord[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  /** `onDamaged` hears of each complete line that is not a record (it is skipped; the rest is shown). */
  constructor(
    readonly file: string,
    private readonly onDamaged: (d: DamagedLine) => void = () => {},
  ) {}

  /** Every record read so far. */
  get records(): readonly MetricRecord[] {
    return this.all;
  }

  /** Reads what was appended since the last read. Calls are serialized: each delta follows the previous one. */
  read(): Promise<MetricsDelta> {
    const next = this.queue.then(() => this.readOnce());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readOnce(): Promise<MetricsDelta> {
    let size: number;
    let ino: number;
    try {
      const s = await stat(this.file);
      size = s.size;
      ino = s.ino;
    } catch {
      // Not written yet (or deleted): nothing to read, and a later file starts from zero.
      const reset = this.offset > 0;
      this.restart();
      return { records: [], reset };
    }
    let reset = false;
    if ((this.inode !== undefined && ino !== this.inode) || size < this.offset) {
      this.restart();
      reset = true;
    }
    this.inode = ino;
    if (size === this.offset) return { records: [], reset };
    const handle = await open(this.file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      text = this.leftover + buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
    // The part after the last newline is incomplete (or empty): keep it for the next read.
    const end = text.lastIndexOf('\n') + 1;
    this.leftover = text.slice(end);
    const linesBefore = this.lines;
    const complete = text.slice(0, end);
    this.lines += complete.split('\n').length - 1;
    const records = parseJsonl<MetricRecord>(complete, this.file, (d) =>
      this.onDamaged({ ...d, line: d.line + linesBefore }),
    );
    this.all.push(...records);
    return { records, reset };
  }

  private restart(): void {
    this.offset = 0;
    this.lines = 0;
    this.leftover = '';
    this.inode = undefined;
    this.all.length = 0;
  }
}

/**
 * The last value of each key among the final records of a metrics file, from its last `tailBytes`
 * only (enough for the final test accuracy without reading a long run's whole history).
 */
export async function readFinalMetrics(file: string, tailBytes = 64 * 1024): Promise<Record<string, number>> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - tailBytes);
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
    if (start > 0) lines.shift(); // Probably cut in the middle.
    const out: Record<string, number> = {};
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        Object.assign(out, JSON.parse(line));
      } catch {
        // A torn last line.
      }
    }
    return out;
  } catch {
    return {};
  } finally {
    await handle?.close();
  }
}
