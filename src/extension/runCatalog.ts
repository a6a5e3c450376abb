// The extension host's picture of the runs directory: every run's run.json (small, read whole) and,
// for runs shown in a results view, their metrics followed incrementally (metricsTail.ts). It learns of
// changes from this window's own runs (ExperimentRunner calls `touch`) and, for runs of other
// processes (the `wdlab` CLI, another window), from file system watchers on run.json and metrics.jsonl.
// Everything is asynchronous: the extension host never waits on the disk.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { MetricRecord, TrainingProgress } from '../protocol/records';
import type { RunView } from '../protocol/runs';
import { mayBeLiveInSlurm } from '../runner/executors/slurm';
import { SlurmWatch } from '../runner/executors/slurmWatch';
import { specFromJson } from '../runner/runFacts';
import { damagedRun, type RunInfo, reconcileStatus, runFiles } from '../runner/runStore';
import { toRunView } from '../runner/runView';
import type { ExperimentSpec } from '../spec/types';
import { MetricsFollower, readFinalMetrics } from './metricsTail';

/** A run's resolved spec.json; undefined while it is missing or when it is damaged. */
async function readSpec(dir: string): Promise<ExperimentSpec | undefined> {
  try {
    return specFromJson(JSON.parse(await readFile(runFiles(dir).spec, 'utf8')));
  } catch {
    return undefined;
  }
}

export interface CatalogRun {
  id: string;
  dir: string;
  info: RunInfo;
  /** Last value of each metric (from the tail of metrics.jsonl): final test accuracy and so on. */
  final: Record<string, number>;
  /** Whether this window's extension host owns (trains) the run. */
  own: boolean;
  /** spec.json, resolved (written once, before the run starts): the mechanism verdict's facts. */
  spec?: ExperimentSpec;
}

export interface RecordsEvent {
  runId: string;
  records: MetricRecord[];
  reset: boolean;
}

/** How often appended metrics are read and forwarded while a run trains. */
const RECORDS_THROTTLE_MS = 250;
const RUN_JSON_DEBOUNCE_MS = 150;
const FINAL_METRICS_DEBOUNCE_MS = 1000;
const DISCOVERY_INTERVAL_MS = 3000;
const PROGRESS_THROTTLE_MS = 500;

export class RunCatalog implements vscode.Disposable {
  private readonly runs = new Map<string, CatalogRun>();
  private readonly followers = new Map<string, { follower: MetricsFollower; refs: number }>();
  private readonly dirtyRunJson = new Set<string>();
  private readonly dirtyMetrics = new Set<string>();
  private readonly dirtyFinal = new Set<string>();
  private runJsonTimer?: NodeJS.Timeout;
  private metricsTimer?: NodeJS.Timeout;
  private finalTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private progressTimer?: NodeJS.Timeout;
  private readonly pendingProgress = new Map<string, TrainingProgress>();
  private readonly discoveryTimer: NodeJS.Timeout;
  private watchers: vscode.Disposable[] = [];
  private scanning?: Promise<void>;
  private scanned = false;

  private readonly changed = new vscode.EventEmitter<void>();
  /** The set of runs or any run's info/final metrics changed (for the Runs tree). */
  readonly onDidChange = this.changed.event;
  private readonly runChanged = new vscode.EventEmitter<CatalogRun>();
  /** One run's status or progress changed. */
  readonly onDidChangeRun = this.runChanged.event;
  private readonly appended = new vscode.EventEmitter<RecordsEvent>();
  /** New records of a followed run. */
  readonly onDidAppendRecords = this.appended.event;

  /** Runs this extension host trains (ids), so that their items offer Stop. */
  readonly ownRuns = new Set<string>();

  /** Slurm's live state of Slurm runs (PENDING and its reason, RUNNING): asked asynchronously (squeue). */
  private readonly slurm = new SlurmWatch();

  constructor(
    private runsDir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.watch();
    // The safety net under the watchers (which can miss events on some file systems, and for folders
    // created faster than they are watched): list the runs directory (one readdir) every few seconds
    // and read the run.json of folders not seen before.
    this.discoveryTimer = setInterval(() => void this.discover(), DISCOVERY_INTERVAL_MS);
  }

  private async discover(): Promise<void> {
    if (!this.scanned) return;
    let names: string[];
    try {
      names = await readdir(this.runsDir);
    } catch {
      return;
    }
    for (const name of names) {
      // `.slurm/` holds Slurm array scripts and outputs, not a run.
      if (!this.runs.has(name) && !name.startsWith('.'))
        this.touch(join(this.runsDir, name), { runJson: true });
    }
  }

  get directory(): string {
    return this.runsDir;
  }

  setDirectory(runsDir: string): void {
    if (runsDir === this.runsDir) return;
    this.runsDir = runsDir;
    this.runs.clear();
    this.scanned = false;
    this.watch();
    void this.scan();
  }

  /** Every known run (after the first scan), oldest first. */
  list(): CatalogRun[] {
    return [...this.runs.values()].sort(
      (a, b) => a.info.createdAt.localeCompare(b.info.createdAt) || a.id.localeCompare(b.id),
    );
  }

  get(id: string): CatalogRun | undefined {
    return this.runs.get(id);
  }

  /** Finds a run by id, by its directory, or by a path inside it. */
  resolve(idOrDir: string): CatalogRun | undefined {
    const direct = this.runs.get(idOrDir) ?? this.runs.get(basename(idOrDir));
    if (direct) return direct;
    const rel = relative(this.runsDir, idOrDir);
    return rel && !rel.startsWith('..') ? this.runs.get(rel.split(/[\\/]/)[0]) : undefined;
  }

  view(id: string): RunView | undefined {
    const run = this.runs.get(id);
    return run && toRunView(run.info, run.spec);
  }

  /** Resolves once the first full scan is done. */
  ready(): Promise<void> {
    return this.scanned ? Promise.resolve() : this.scan();
  }

  /** Re-reads the whole runs directory. */
  scan(): Promise<void> {
    this.scanning ??= this.scanNow().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scanNow(): Promise<void> {
    let entries: string[];
    try {
      entries = (await readdir(this.runsDir, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      entries = [];
    }
    const seen = new Set(entries);
    for (const id of [...this.runs.keys()]) if (!seen.has(id)) this.runs.delete(id);
    await Promise.all(entries.map((id) => this.readRun(join(this.runsDir, id), false)));
    this.scanned = true;
    this.changed.fire();
    this.schedulePoll();
  }

  /**
   * Live progress of a run this window trains, straight from its trainer's messages: the Runs view and
   * the results show it at once rather than when run.json is next written and its watcher event arrives
   * (which a busy or remote file system can delay by tens of seconds). Applied at most every 500 ms.
   */
  noteProgress(id: string, progress: TrainingProgress): void {
    this.pendingProgress.set(id, progress);
    this.progressTimer ??= setTimeout(() => {
      this.progressTimer = undefined;
      const updates = [...this.pendingProgress];
      this.pendingProgress.clear();
      for (const [runId, p] of updates) {
        const run = this.runs.get(runId);
        if (!run || !this.ownRuns.has(runId) || run.info.status !== 'running') continue;
        run.info = { ...run.info, progress: p };
        this.runChanged.fire(run);
      }
      if (updates.length > 0) this.changed.fire();
    }, PROGRESS_THROTTLE_MS);
  }

  /** Re-reads one run.json now (own runs: called on every lifecycle event). */
  async refreshRun(dir: string): Promise<void> {
    await this.readRun(dir, true);
    this.changed.fire();
    this.schedulePoll();
  }

  /** A run's files changed: run.json (debounced re-read) and/or metrics.jsonl (throttled read). */
  touch(dir: string, what: { runJson?: boolean; metrics?: boolean }): void {
    if (what.runJson) {
      this.dirtyRunJson.add(dir);
      this.runJsonTimer ??= setTimeout(() => this.flushRunJson(), RUN_JSON_DEBOUNCE_MS);
    }
    if (what.metrics) {
      const id = basename(dir);
      if (this.followers.has(id)) {
        this.dirtyMetrics.add(id);
        this.metricsTimer ??= setTimeout(() => this.flushMetrics(), RECORDS_THROTTLE_MS);
      }
      this.dirtyFinal.add(dir);
      this.finalTimer ??= setTimeout(() => this.flushFinal(), FINAL_METRICS_DEBOUNCE_MS);
    }
  }

  /**
   * Starts following a run's metrics (reference-counted); resolves with every record so far. While
   * followed, appended records arrive through onDidAppendRecords.
   */
  async follow(id: string): Promise<{ records: readonly MetricRecord[]; dispose(): void }> {
    let entry = this.followers.get(id);
    if (!entry) {
      const run = this.runs.get(id);
      const dir = run?.dir ?? join(this.runsDir, id);
      entry = {
        follower: new MetricsFollower(runFiles(dir).metrics, (d) =>
          this.log.warn(`${d.file}:${d.line}: not a JSON record (${d.message}); skipped`),
        ),
        refs: 0,
      };
      this.followers.set(id, entry);
    }
    entry.refs += 1;
    const follower = entry.follower;
    // Reads what is new and broadcasts it, so that other followers of this run stay in step.
    const delta = await follower.read();
    if (delta.records.length > 0 || delta.reset) this.appended.fire({ runId: id, ...delta });
    let disposed = false;
    return {
      records: follower.records,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        const e = this.followers.get(id);
        if (e && --e.refs <= 0) this.followers.delete(id);
      },
    };
  }

  private async flushMetrics(): Promise<void> {
    this.metricsTimer = undefined;
    const ids = [...this.dirtyMetrics];
    this.dirtyMetrics.clear();
    for (const id of ids) {
      const entry = this.followers.get(id);
      if (!entry) continue;
      try {
        const delta = await entry.follower.read();
        if (delta.records.length > 0 || delta.reset) this.appended.fire({ runId: id, ...delta });
      } catch (e) {
        this.log.warn(`reading metrics of ${id}: ${(e as Error).message}`);
      }
    }
  }

  private async flushRunJson(): Promise<void> {
    this.runJsonTimer = undefined;
    const dirs = [...this.dirtyRunJson];
    this.dirtyRunJson.clear();
    await Promise.all(dirs.map((dir) => this.readRun(dir, true)));
    this.changed.fire();
    this.schedulePoll();
  }

  private async flushFinal(): Promise<void> {
    this.finalTimer = undefined;
    const dirs = [...this.dirtyFinal];
    this.dirtyFinal.clear();
    let any = false;
    for (const dir of dirs) {
      const run = this.runs.get(basename(dir));
      if (!run) continue;
      run.final = await readFinalMetrics(runFiles(dir).metrics);
      any = true;
    }
    if (any) this.changed.fire();
  }

  private async readRun(dir: string, withEvent: boolean): Promise<void> {
    const id = basename(dir);
    let info: RunInfo;
    try {
      info = JSON.parse(await readFile(runFiles(dir).run, 'utf8')) as RunInfo;
      if (typeof info?.status !== 'string' || typeof info.trial !== 'object')
        throw new SyntaxError('no status or trial');
    } catch (e) {
      // run.json is replaced atomically, so a reader never sees half of one: unparsable means damaged, and
      // the run is shown as such (with the reason) rather than hidden. A missing run.json is a deleted run,
      // or a folder that is not a run's.
      if (e instanceof SyntaxError) {
        info = damagedRun(
          dir,
          `${runFiles(dir).run} is damaged (not JSON: ${e.message}); restore it from a backup, or delete the run folder.`,
        );
      } else {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && this.runs.delete(id)) this.changed.fire();
        return;
      }
    }
    // A run left queued/running by a process that no longer exists is interrupted (and written so).
    if (!this.ownRuns.has(id)) {
      try {
        info = reconcileStatus(dir, info);
      } catch {
        // Read-only runs directory: show it as it is.
      }
    }
    info = this.slurm.decorate(dir, info);
    const previous = this.runs.get(id);
    // run.json's progress is written at most once a second: it never takes back what noteProgress showed.
    const shown = previous?.info.progress;
    if (
      previous?.info.status === 'running' &&
      info.status === 'running' &&
      shown &&
      info.progress &&
      info.progress.step < shown.step &&
      info.startedAt === previous.info.startedAt
    ) {
      info = { ...info, progress: shown };
    }
    const final = previous && previous.info.status === info.status ? previous.final : undefined;
    const run: CatalogRun = {
      id,
      dir,
      info,
      final: final ?? (await readFinalMetrics(runFiles(dir).metrics)),
      own: this.ownRuns.has(id),
      spec: previous?.spec ?? (await readSpec(dir)),
    };
    this.runs.set(id, run);
    if (withEvent && (!previous || JSON.stringify(previous.info) !== JSON.stringify(info))) {
      this.runChanged.fire(run);
    }
  }

  /**
   * Runs of other processes report progress only through their files; watchers may coalesce or miss
   * events on some file systems, so while such a run is live it is also polled (every 2 s).
   */
  private schedulePoll(): void {
    const live = this.list().some(
      (r) =>
        !r.own && (r.info.status === 'running' || r.info.status === 'queued' || mayBeLiveInSlurm(r.info)),
    );
    if (!live || this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      // Slurm runs: squeue's state, and the end of a task that died without writing it (slurmWatch.ts).
      void this.slurm
        .refresh(this.list())
        .then((dirs) => {
          for (const dir of dirs) this.touch(dir, { runJson: true });
        })
        .catch((e) => this.log.warn(`asking Slurm: ${(e as Error).message}`));
      for (const r of this.list()) {
        if (!r.own && (r.info.status === 'running' || r.info.status === 'queued')) {
          this.touch(r.dir, { runJson: true, metrics: true });
        }
      }
    }, 2000);
  }

  private watch(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    const base = this.watchBase();
    const files = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(base.uri, `${base.prefix}*/{run.json,metrics.jsonl}`),
    );
    const onFile = (uri: vscode.Uri) => {
      const dir = dirname(uri.fsPath);
      if (uri.fsPath.endsWith('run.json')) this.touch(dir, { runJson: true });
      else this.touch(dir, { metrics: true });
    };
    // A new run folder: files written in it before the recursive watcher watches it are not reported
    // (inotify), so the folder's own event triggers a read. A deleted one may report only itself.
    const folders = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(base.uri, `${base.prefix}*`),
      false,
      true,
      false,
    );
    this.watchers.push(
      files,
      files.onDidCreate(onFile),
      files.onDidChange(onFile),
      files.onDidDelete(onFile),
      folders,
      folders.onDidCreate((uri) => this.touch(uri.fsPath, { runJson: true, metrics: true })),
      folders.onDidDelete((uri) => {
        if (this.runs.delete(basename(uri.fsPath))) this.changed.fire();
      }),
    );
  }

  /**
   * Watch from the workspace folder when the runs directory is inside it (it may not exist yet, and a
   * workspace watcher sees it appear); otherwise from the runs directory itself.
   */
  private watchBase(): { uri: vscode.Uri; prefix: string } {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const rel = relative(folder.uri.fsPath, this.runsDir);
      if (rel !== '' && !rel.startsWith('..') && !rel.includes(':')) {
        return { uri: folder.uri, prefix: `${rel.split(/[\\/]/).join('/')}/` };
      }
    }
    return { uri: vscode.Uri.file(this.runsDir), prefix: '' };
  }

  dispose(): void {
    clearInterval(this.discoveryTimer);
    for (const w of this.watchers) w.dispose();
    for (const t of [
      this.runJsonTimer,
      this.metricsTimer,
      this.finalTimer,
      this.pollTimer,
      this.progressTimer,
    ])
      clearTimeout(t);
    this.changed.dispose();
    this.runChanged.dispose();
    this.appended.dispose();
  }
}
