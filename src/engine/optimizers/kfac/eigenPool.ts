// The K-FAC eigendecompositions off the training thread (issue 5: inverses are amortised over T_inv steps
// and must not stall training). One worker_threads Worker per optimizer runs eigenWorker.ts (bundled as
// dist/kfacWorker.js beside dist/trainer.js); jobs are answered in order. The worker is unref'd while idle
// and ref'd while a job is out, so an idle optimizer never keeps a process alive. If no worker can be
// started (no bundle beside the running code, e.g. a test bundle), jobs run synchronously in-thread and
// this is said once on stderr. Results are identical either way: same code, same float32 inputs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type SymmetricEigen, symmetricEigen } from './inverse';

export interface EigenJob {
  id: number;
  matrices: { data: Float32Array; n: number }[];
  /** Test hook: a shared Int32Array[1]; the worker waits until its element is non-zero. */
  gate?: SharedArrayBuffer;
}

export interface EigenReply {
  id: number;
  results?: SymmetricEigen[];
  error?: string;
}

let workerPathOverride: string | undefined;

/** Where the worker bundle is: beside the running bundle, unless a test said otherwise. */
export function eigenWorkerPath(): string {
  return workerPathOverride ?? join(__dirname, 'kfacWorker.js');
}

/** Tests (bundled under out/test/...) point this at dist/kfacWorker.js. */
export function setEigenWorkerPath(path: string | undefined): void {
  workerPathOverride = path;
}

let warned = false;
function warnOnce(why: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(
    `wdlab: K-FAC eigendecompositions run on the training thread (${why}); training pauses for them\n`,
  );
}

export class EigenPool {
  private worker: Worker | null = null;
  private failed = false;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: SymmetricEigen[]) => void; reject: (e: Error) => void }
  >();

  /** Whether jobs go to a worker thread (false: computed synchronously by `submit`). */
  get threaded(): boolean {
    return this.start() !== null;
  }

  /**
   * Eigendecompositions of the symmetric matrices (the arrays are copied first; the caller keeps them).
   * Resolves in a worker when one runs, else computes now and resolves with the results.
   */
  submit(
    matrices: { data: ArrayLike<number>; n: number }[],
    gate?: SharedArrayBuffer,
  ): Promise<SymmetricEigen[]> {
    const worker = this.start();
    if (!worker) return Promise.resolve(matrices.map((m) => symmetricEigen(m.data, m.n)));
    const id = this.nextId++;
    const job: EigenJob = {
      id,
      matrices: matrices.map((m) => ({ data: Float32Array.from(m.data), n: m.n })),
      gate,
    };
    return new Promise<SymmetricEigen[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(
        job,
        job.matrices.map((m) => m.data.buffer as ArrayBuffer),
      );
    });
  }

  /** Terminates the worker; pending jobs are rejected. */
  dispose(): void {
    const w = this.worker;
    this.worker = null;
    this.failed = true;
    this.rejectAll(new Error('K-FAC eigen worker disposed'));
    if (w) void w.terminate();
  }

  private start(): Worker | null {
    if (this.worker || this.failed) return this.worker;
    const path = eigenWorkerPath();
    if (!existsSync(path)) {
      this.failed = true;
      warnOnce(`no worker bundle at ${path}`);
      return null;
    }
    try {
      const w = new Worker(path);
      w.unref();
      w.on('message', (reply: EigenReply) => {
        const p = this.waiting.get(reply.id);
        if (!p) return;
        this.waiting.delete(reply.id);
        if (this.waiting.size === 0) w.unref();
        if (reply.results) p.resolve(reply.results);
        else p.reject(new Error(`K-FAC eigen worker: ${reply.error}`));
      });
      w.on('error', (e) => {
        this.worker = null;
        this.failed = true;
        warnOnce(`the worker failed: ${e.message}`);
        this.rejectAll(e);
      });
      this.worker = w;
      return w;
    } catch (e) {
      this.failed = true;
      warnOnce(`no worker: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  private rejectAll(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }
}
