// The Runs view: runs grouped by spec name, then by sweep (a sweep's trials share a group id). A sweep
// of one trial shows its run directly under the spec name.
import * as vscode from 'vscode';
import { formatAccuracy } from '../protocol/metrics';
import type { RunStatus } from '../protocol/runs';
import type { CatalogRun, RunCatalog } from './runCatalog';
import {
  describeGroup,
  describeRun,
  percentDone,
  rowAccessibility,
  runLabel,
  startedLabel,
} from './runDescriptions';

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

/** A completed run that still has something to say (runner/warnings.ts) is not shown as a plain pass. */
function statusIcon(run: CatalogRun): vscode.ThemeIcon {
  const [icon, color] =
    run.info.status === 'completed' && (run.info.warnings?.length ?? 0) > 0
      ? ['warning', 'problemsWarningIcon.foreground']
      : (STATUS_ICON[run.info.status] ?? ['question', undefined]);
  return new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer?: NodeJS.Timeout;
  private readonly subscription: vscode.Disposable;
  /** The runs by sweep group and by spec name, built once per change of the catalog (not once per row). */
  private index?: { byGroup: Map<string, CatalogRun[]>; bySpec: Map<string, number> };

  constructor(private readonly catalog: RunCatalog) {
    this.subscription = catalog.onDidChange(() => {
      this.index = undefined;
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

  private runIndex(): { byGroup: Map<string, CatalogRun[]>; bySpec: Map<string, number> } {
    if (!this.index) {
      const byGroup = new Map<string, CatalogRun[]>();
      const bySpec = new Map<string, number>();
      for (const r of this.catalog.list()) {
        const members = byGroup.get(r.info.group);
        if (members) members.push(r);
        else byGroup.set(r.info.group, [r]);
        bySpec.set(r.info.name, (bySpec.get(r.info.name) ?? 0) + 1);
      }
      this.index = { byGroup, bySpec };
    }
    return this.index;
  }

  /** The trials of a sweep (the runs sharing its group id), oldest first. */
  private members(group: string): CatalogRun[] {
    return this.runIndex().byGroup.get(group) ?? [];
  }

  private specCount(name: string): number {
    return this.runIndex().bySpec.get(name) ?? 0;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'spec') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `spec:${node.name}`;
      item.iconPath = new vscode.ThemeIcon('file-code');
      item.contextValue = 'wdlab.spec';
      const n = this.specCount(node.name);
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
    const siblings = this.members(run.info.group);
    return siblings.length === 1 && run.info.trial.count <= 1
      ? { kind: 'spec', name: run.info.name }
      : { kind: 'group', name: run.info.name, group: run.info.group };
  }

  private groupItem(node: Extract<RunsNode, { kind: 'group' }>): vscode.TreeItem {
    const members = this.members(node.group);
    const live = members.filter((r) => r.info.status === 'running' || r.info.status === 'queued');
    const item = new vscode.TreeItem(
      startedLabel({ id: node.group }) + groupSuffix(node.group, node.name),
      vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = `group:${node.group}`;
    const count = members[0]?.info.trial.count ?? members.length;
    item.description = describeGroup(members, count);
    item.iconPath = new vscode.ThemeIcon(live.length > 0 ? 'sync~spin' : 'layers');
    item.tooltip = `Sweep ${node.group}: ${item.description}`;
    // `.resumable`: trials stopped or interrupted (Resume Sweep continues them all).
    const resumable = members.some((r) => r.info.status === 'cancelled' || r.info.status === 'interrupted');
    item.contextValue = `wdlab.group${live.length > 0 ? '.live' : ''}${resumable ? '.resumable' : ''}`;
    return item;
  }

  private runItem(run: CatalogRun): vscode.TreeItem {
    const { info } = run;
    const siblings = this.members(info.group);
    const label = runLabel(run, siblings);
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.id}`;
    item.description = describeRun(run);
    item.accessibilityInformation = { label: rowAccessibility(run, label) };
    item.iconPath = statusIcon(run);
    // `.own`: this window trains it; `.slurm`: Slurm does (both offer Stop while live).
    item.contextValue = `wdlab.run.${info.status}${this.catalog.ownRuns.has(run.id) ? '.own' : info.executor?.kind === 'slurm' ? '.slurm' : ''}`;
    item.resourceUri = vscode.Uri.file(run.dir);
    item.command = {
      command: 'wdlab.showResults',
      title: 'Show Results',
      arguments: [{ kind: 'run', id: run.id }],
    };
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${info.name}${info.trial.label ? `: ${info.trial.label}` : ''}**\n\n`);
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
    const acc = run.final['test/accuracy'];
    if (acc !== undefined) {
      const when = info.status === 'running' ? 'so far' : info.status === 'completed' ? 'final' : 'last';
      md.appendMarkdown(`Test accuracy (${when}): ${formatAccuracy(acc)}\n\n`);
    }
    for (const w of info.warnings ?? []) md.appendMarkdown(`$(warning) ${w}\n\n`);
    if (info.progress) {
      md.appendMarkdown(
        `Progress: step ${info.progress.step} of ${info.progress.totalSteps} (${percentDone(info.progress) ?? 0}% of the run), epoch ${info.progress.epoch.toFixed(2)} of ${info.progress.epochs}\n\n`,
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

/** What follows the time in a group id `<yyyymmdd-hhmmss>-<name>[.k]`: " .2" for a second sweep that second. */
function groupSuffix(group: string, name: string): string {
  const m = /^\d{8}-\d{6}-/.exec(group);
  const suffix = m ? group.slice(m[0].length + name.length) : '';
  return suffix ? ` ${suffix}` : '';
}
