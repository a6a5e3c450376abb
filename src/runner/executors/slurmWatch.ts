// Slurm's live word on the Slurm runs a long-lived reader shows (the extension's run catalog): PENDING and
// its reason, RUNNING and the node, a requeued run queued again. Asked with one asynchronous squeue call
// at most every few seconds, only while such runs exist; a task found ended without a final status
// settles its run (reconcileSlurmRun writes run.json, and the run folder's watchers report it).
import type { RunInfo } from '../runStore';
import type { SlurmRunRecord } from './record';
import { mayBeLiveInSlurm, querySlurm, reconcileSlurmRun, type SlurmContext } from './slurm';

const isLive = (info: RunInfo): boolean => info.status === 'queued' || info.status === 'running';

type Heard = Pick<SlurmRunRecord, 'jobId' | 'state' | 'reason' | 'node'> & { status: RunInfo['status'] };

export class SlurmWatch {
  /** By run folder: the live state last heard (for the job id it was heard for). */
  private readonly states = new Map<string, Heard>();
  private inflight?: Promise<string[]>;
  private lastAsked = 0;

  constructor(
    private readonly ctx: SlurmContext = { timeoutMs: 10_000 },
    private readonly minIntervalMs = 1500,
  ) {}

  /** `info` with Slurm's live state, when one is known for its current task. */
  decorate(dir: string, info: RunInfo): RunInfo {
    const ex = info.executor;
    if (ex?.kind !== 'slurm' || !mayBeLiveInSlurm(info)) return info;
    const known = this.states.get(dir);
    if (!known || known.jobId !== ex.jobId) return info;
    return {
      ...info,
      // A requeued run (interrupted on disk, live in Slurm) shows as queued/running again.
      status: info.status === 'interrupted' ? known.status : info.status,
      executor: { ...ex, state: known.state, reason: known.reason, node: known.node ?? ex.node },
    };
  }

  /**
   * Asks Slurm about the live Slurm runs among `runs` (skipped when asked less than minIntervalMs ago, or
   * while a question is out). Resolves with the run folders whose state changed.
   */
  refresh(runs: { dir: string; info: RunInfo }[]): Promise<string[]> {
    const live = runs.filter((r) => mayBeLiveInSlurm(r.info));
    if (live.length === 0 || this.inflight || Date.now() - this.lastAsked < this.minIntervalMs)
      return Promise.resolve([]);
    this.lastAsked = Date.now();
    this.inflight = this.ask(live).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async ask(live: { dir: string; info: RunInfo }[]): Promise<string[]> {
    const snapshot = await querySlurm(
      live.map((r) => (r.info.executor as SlurmRunRecord).jobId as string),
      this.ctx,
    );
    if (!snapshot) return [];
    const changed: string[] = [];
    for (const { dir, info } of live) {
      const next = reconcileSlurmRun(dir, info, snapshot);
      const ex = next.executor as SlurmRunRecord;
      const before = this.states.get(dir);
      if (isLive(next)) {
        const now: Heard = {
          jobId: ex.jobId,
          state: ex.state,
          reason: ex.reason,
          node: ex.node,
          status: next.status,
        };
        if (JSON.stringify(before) !== JSON.stringify(now)) changed.push(dir);
        this.states.set(dir, now);
      } else if (before) {
        this.states.delete(dir);
        changed.push(dir);
      } else if (next.status !== info.status) {
        changed.push(dir);
      }
    }
    return changed;
  }
}
