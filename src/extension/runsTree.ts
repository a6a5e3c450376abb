// The Runs view: runs grouped by spec name, then by sweep (a sweep's trials share a group id). A sweep
// of one trial shows its run directly under the spec name.
import * as vscode from 'vscode';
import type { RunStatus } from '../protocol/runs';
import { describeSlurm } from '../runner/executors/slurm';
import type { CatalogRun, RunCatalog } from './runCatalog';

export type RunsNode =
  | { kind: 'spec'; name: string }
  | { kind: 'group'; name: string; group: string }
  | { kind: 'run'; id: string };

const STATUS_ICON: Record<RunStatus, [string, string | undefined]> = {
  queued: ['clock', undefined],
  running: ['sync~spin', 'charts.blue'],
  completed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', undefined],
  interrupted: ['debug-disconnect', 'charts.yellow'],
  damaged: ['warning', 'problemsWarningIcon.foreground'],
};

const percent = (x: number | undefined) => (x === undefined ? undefined : `${(x * 100).toFixed(1)}%`);

/** "completed · 83.2%", "running · epoch 3/10 · 41%", "failed: diverged at step 17". */
export function describeRun(run: CatalogRun): string {
  const { info, final } = run;
  const acc = percent(final['test/accuracy']);
  // A Slurm run: Slurm's word while queued ("queued · PENDING (Resources)"), and why it ended early.
  const slurm = describeSlurm(info);
  if (slurm && info.status === 'queued') return `queued · ${slurm}`;
  if (slurm && (info.status === 'interrupted' || info.status === 'cancelled'))
    return `${info.status}: ${slurm.split(';')[0]}${acc ? ` · ${acc}` : ''}`;
  switch (info.status) {
    case 'running': {
      const p = info.progress;
      if (!p) return slurm ? `running · ${slurm}` : 'running';
      const done = p.totalSteps > 0 ? ` · ${Math.floor((100 * p.step) / p.totalSteps)}%` : '';
      return `running · epoch ${Math.min(p.epochs, Math.floor(p.epoch) + 1)}/${p.epochs}${done}`;
    }
    case 'failed':
      return `failed: ${(info.error?.message ?? '').split('\n')[0]}`;
    default:
      return acc ? `${info.status} · ${acc}` : info.status;
  }
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer?: NodeJS.Timeout;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly catalog: RunCatalog) {
    this.subscription = catalog.onDidChange(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.changed.fire(undefined);
      }, 100);
    });
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    await this.catalog.ready();
    const runs = this.catalog.list();
    if (!node) {
      // Spec names, most recently run first.
      const latest = new Map<string, string>();
      for (const r of runs) latest.set(r.info.name, r.info.createdAt);
      return [...latest.entries()]
        .sort((a, b) => b[1].localeCompare(a[1]) || a[0].localeCompare(b[0]))
        .map(([name]) => ({ kind: 'spec', name }));
    }
    if (node.kind === 'spec') {
      const groups = new Map<string, CatalogRun[]>();
      for (const r of runs.filter((r) => r.info.name === node.name)) {
        groups.set(r.info.group, [...(groups.get(r.info.group) ?? []), r]);
      }
      return [...groups.entries()]
        .reverse()
        .map(
          ([group, members]): RunsNode =>
            members.length === 1 && members[0].info.trial.count <= 1
              ? { kind: 'run', id: members[0].id }
              : { kind: 'group', name: node.name, group },
        );
    }
    if (node.kind === 'group') {
      return runs
        .filter((r) => r.info.group === node.group)
        .sort((a, b) => a.info.trial.index - b.info.trial.index)
        .map((r) => ({ kind: 'run', id: r.id }));
    }
    return [];
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'spec') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `spec:${node.name}`;
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.contextValue = 'wdlab.spec';
      const n = this.catalog.list().filter((r) => r.info.name === node.name).length;
      item.description = `${n} run${n === 1 ? '' : 's'}`;
      return item;
    }
    if (node.kind === 'group') return this.groupItem(node);
    const run = this.catalog.get(node.id);
    if (!run) return new vscode.TreeItem(node.id);
    return this.runItem(run);
  }

  getParent(node: RunsNode): RunsNode | undefined {
    if (node.kind === 'spec') return undefined;
    if (node.kind === 'group') return { kind: 'spec', name: node.name };
    const run = this.catalog.get(node.id);
    if (!run) return undefined;
    const siblings = this.catalog.list().filter((r) => r.info.group === run.info.group);
    return siblings.length === 1 && run.info.trial.count <= 1
      ? { kind: 'spec', name: run.info.name }
      : { kind: 'group', name: run.info.name, group: run.info.group };
  }

  private groupItem(node: Extract<RunsNode, { kind: 'group' }>): vscode.TreeItem {
    const members = this.catalog.list().filter((r) => r.info.group === node.group);
    const live = members.filter((r) => r.info.status === 'running' || r.info.status === 'queued');
    const item = new vscode.TreeItem(
      formatGroup(node.group, node.name),
      vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = `group:${node.group}`;
    const count = members[0]?.info.trial.count ?? members.length;
    const done = members.filter((r) => r.info.status === 'completed').length;
    item.description = `${count} trials · ${done} completed${live.length > 0 ? ` · ${live.length} live` : ''}`;
    item.iconPath = new vscode.ThemeIcon(live.length > 0 ? 'sync~spin' : 'layers');
    item.tooltip = `Sweep ${node.group}`;
    item.contextValue = live.length > 0 ? 'wdlab.group.live' : 'wdlab.group';
    return item;
  }

  private runItem(run: CatalogRun): vscode.TreeItem {
    const { info } = run;
    const item = new vscode.TreeItem(info.trial.label || run.id, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.id}`;
    item.description = describeRun(run);
    const [icon, color] = STATUS_ICON[info.status] ?? ['question', undefined];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    // `.own`: this window trains it; `.slurm`: Slurm does (both offer Stop while live).
    item.contextValue = `wdlab.run.${info.status}${this.catalog.ownRuns.has(run.id) ? '.own' : info.executor?.kind === 'slurm' ? '.slurm' : ''}`;
    item.resourceUri = vscode.Uri.file(run.dir);
    item.command = {
      command: 'wdlab.showResults',
      title: 'Show Results',
      arguments: [{ kind: 'run', id: run.id }],
    };
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${info.trial.label || info.name}**\n\n`);
    md.appendMarkdown(`Run \`${run.id}\` — ${info.status}`);
    if (info.trial.count > 1) md.appendMarkdown(` (trial ${info.trial.index + 1} of ${info.trial.count})`);
    md.appendMarkdown('\n\n');
    if (info.status === 'failed' && info.error) md.appendCodeblock(info.error.message, 'text');
    const ex = info.executor;
    if (ex?.kind === 'slurm') {
      const task = ex.jobId ? `job ${ex.jobId}, task ${ex.arrayIndex}` : 'not submitted';
      md.appendMarkdown(`Slurm: ${task}${ex.node ? ` on ${ex.node}` : ''}`);
      if (ex.state) md.appendMarkdown(` — ${ex.state}${ex.reason ? `: ${ex.reason}` : ''}`);
      md.appendMarkdown('\n\n');
    }
    if (info.backend) {
      md.appendMarkdown(`Backend: ${info.backend.name} on ${info.backend.device}\n\n`);
      // Why `auto` passed over the faster backends (the choice and the reasons are shown in the UI too).
      for (const s of info.backend.skipped) md.appendText(`Skipped ${s.name}: ${s.reason}\n\n`);
      if (info.backend.hint) md.appendMarkdown(`$(zap) Faster: ${info.backend.hint}\n\n`);
    }
    const acc = percent(run.final['test/accuracy']);
    if (acc) md.appendMarkdown(`Final test accuracy: ${acc}\n\n`);
    for (const w of info.warnings ?? []) md.appendMarkdown(`$(warning) ${w}\n\n`);
    if (info.progress) {
      md.appendMarkdown(
        `Step ${info.progress.step}/${info.progress.totalSteps}, epoch ${info.progress.epoch.toFixed(2)}\n\n`,
      );
    }
    md.appendMarkdown(
      `Created ${new Date(info.createdAt).toLocaleString()}${this.catalog.ownRuns.has(run.id) ? '' : ` by pid ${info.ownerPid}`}`,
    );
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** "2024-11-25 04:56:12" from a group id `<yyyymmdd-hhmmss>-<name>[.k]`. */
function formatGroup(group: string, name: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(group);
  if (!m) return group;
  const suffix = group.slice(m[0].length + name.length);
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}${suffix ? ` ${suffix}` : ''}`;
}
