// The K-FAC eigendecompositions off the training thread (inverses are amortised over T_inv steps
// and must not stall training). A pool of worker_threads Workers per optimizer, one per spare core (a
// round's factors are independent, so e.g. VGG16's 4609-wide factors decompose side by side), runs
// eigenWorker.ts (bundled as dist/kfacWorker.js beside dist/trainer.js); results come back in the order of
// the matrices. A worker is unref'd while idle and ref'd while a job is out, so an idle optimizer never keeps
// a process alive. If no worker can be started (no bundle beside the running code, e.g. a test bundle), jobs
// run synchronously in-thread and this is said once on stderr. Results are identical either way: same
// code, same float32 inputs.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

/** Workers for a pool: the cores left beside the training thread, at least 1, at most 8. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

export class EigenPool {
  private workers: Worker[] | null = null;
  private failed = false;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: SymmetricEigen[]) => void; reject: (e: Error) => void; worker: Worker }
  >();

  /** `size` worker threads; a round's matrices are spread over them, the largest first (cost ~ n^3). */
  constructor(private readonly size = defaultPoolSize()) {}

  /** Whether jobs go to worker threads (false: computed synchronously by `submit`). */
  get threaded(): boolean {
    return this.start() !== null;
  }

  /**
   * Eigendecompositions of the symmetric matrices, in their order (the arrays are copied first; the caller
   * keeps them). Resolves from the workers when they run, else computes now and resolves with the results.
   */
  async submit(
    matrices: { data: ArrayLike<number>; n: number }[],
    gate?: SharedArrayBuffer,
  ): Promise<SymmetricEigen[]> {
    const workers = this.start();
    if (!workers) return matrices.map((m) => symmetricEigen(m.data, m.n));
    // Greedy balance: each matrix, largest first, to the worker with the least work so far.
    const load = workers.map(() => 0);
    const groups: number[][] = workers.map(() => []);
    const order = matrices.map((_, i) => i).sort((a, b) => matrices[b].n - matrices[a].n);
    for (const i of order) {
      const w = load.indexOf(Math.min(...load));
      groups[w].push(i);
      load[w] += matrices[i].n ** 3;
    }
    const results: SymmetricEigen[] = new Array(matrices.length);
    await Promise.all(
      groups.map(async (group, w) => {
        if (group.length === 0) return;
        const out = await this.post(
          workers[w],
          group.map((i) => matrices[i]),
          gate,
        );
        group.forEach((i, k) => {
          results[i] = out[k];
        });
      }),
    );
    return results;
  }

  /** Terminates the workers; pending jobs are rejected. */
  dispose(): void {
    const ws = this.workers;
    this.workers = null;
    this.failed = true;
    this.rejectAll(new Error('K-FAC eigen worker disposed'));
    for (const w of ws ?? []) void w.terminate();
  }

  private post(
    worker: Worker,
    matrices: { data: ArrayLike<number>; n: number }[],
    gate?: SharedArrayBuffer,
  ): Promise<SymmetricEigen[]> {
    const id = this.nextId++;
    const job: EigenJob = {
      id,
      matrices: matrices.map((m) => ({ data: Float32Array.from(m.data), n: m.n })),
      gate,
    };
    return new Promise<SymmetricEigen[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker });
      worker.ref();
      worker.postMessage(
        job,
        job.matrices.map((m) => m.data.buffer as ArrayBuffer),
      );
    });
  }

  private start(): Worker[] | null {
    if (this.workers || this.failed) return this.workers;
    const path = eigenWorkerPath();
    if (!existsSync(path)) {
      this.failed = true;
      warnOnce(`no worker bundle at ${path}`);
      return null;
    }
    try {
      const workers = Array.from({ length: this.size }, () => this.spawn(path));
      this.workers = workers;
      return workers;
    } catch (e) {
      this.failed = true;
      warnOnce(`no worker: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  private spawn(path: string): Worker {
    const w = new Worker(path);
    w.unref();
    w.on('message', (reply: EigenReply) => {
      const p = this.waiting.get(reply.id);
      if (!p) return;
      this.waiting.delete(reply.id);
      // An idle worker never keeps the process alive.
      if (![...this.waiting.values()].some((q) => q.worker === w)) w.unref();
      if (reply.results) p.resolve(reply.results);
      else p.reject(new Error(`K-FAC eigen worker: ${reply.error}`));
    });
    w.on('error', (e) => {
      this.dispose();
      warnOnce(`the worker failed: ${e.message}`);
    });
    return w;
  }

  private rejectAll(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }
}
