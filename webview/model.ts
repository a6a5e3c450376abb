// What the view shows: the runs (legend order) and their records, as the host sends them.
import type { MetricRecord } from '../src/protocol/records';
import type { RunView } from '../src/protocol/runs';
import { metricKeys } from './data/families';

export class RunModel {
  title = '';
  runs: RunView[] = [];
  readonly records = new Map<string, MetricRecord[]>();
  /** Metric keys in order of first appearance over all records. */
  keys: string[] = [];
  private readonly keySet = new Set<string>();

  runIndex(runId: string): number {
    return this.runs.findIndex((r) => r.id === runId);
  }

  run(runId: string): RunView | undefined {
    return this.runs.find((r) => r.id === runId);
  }

  /** Replaces the runs; records of runs no longer shown are dropped. Returns the dropped run ids. */
  showRuns(runs: RunView[], title?: string): string[] {
    this.runs = runs;
    if (title !== undefined) this.title = title;
    const keep = new Set(runs.map((r) => r.id));
    const dropped = [...this.records.keys()].filter((id) => !keep.has(id));
    for (const id of dropped) this.records.delete(id);
    for (const r of runs) if (!this.records.has(r.id)) this.records.set(r.id, []);
    if (dropped.length > 0) this.recomputeKeys();
    return dropped;
  }

  /** Appends (or with `reset` replaces) a run's records. Returns true when new metric keys appeared. */
  addRecords(runId: string, records: MetricRecord[], reset = false): boolean {
    if (!this.run(runId)) return false;
    const current = reset ? undefined : this.records.get(runId);
    if (current && current.length > 0) for (const r of records) current.push(r);
    else this.records.set(runId, records.slice());
    const before = this.keys.length;
    if (reset) this.recomputeKeys();
    else for (const k of metricKeys([records])) this.addKey(k);
    return this.keys.length !== before || reset;
  }

  updateRun(run: RunView): boolean {
    const i = this.runIndex(run.id);
    if (i < 0) return false;
    this.runs[i] = run;
    return true;
  }

  get recordCount(): number {
    let n = 0;
    for (const list of this.records.values()) n += list.length;
    return n;
  }

  private addKey(k: string): void {
    if (this.keySet.has(k)) return;
    this.keySet.add(k);
    this.keys.push(k);
  }

  private recomputeKeys(): void {
    this.keys = [];
    this.keySet.clear();
    for (const k of metricKeys(this.records.values())) this.addKey(k);
  }
}
