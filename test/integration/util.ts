// Helpers shared by the integration suites: the extension's test API, polling, the fixture workspace.
import * as vscode from 'vscode';
import type { WdlabApi } from '../../src/extension/extension';
import type { ResultsMessageLogEntry } from '../../src/extension/resultsHost';
import type { RunsNode } from '../../src/extension/runsTree';

export const extensionId = 'weight-decay-lab.weight-decay-lab';

export async function api(): Promise<WdlabApi> {
  const extension = vscode.extensions.getExtension<WdlabApi>(extensionId);
  if (!extension) throw new Error(`${extensionId} is not loaded`);
  return extension.activate();
}

export function workspaceUri(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test workspace is not open');
  return vscode.Uri.joinPath(folder.uri, ...segments);
}

/** Calls `probe` every 100 ms until it returns something other than undefined. */
export async function poll<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  explain: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms; ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface TreeRow {
  node: RunsNode;
  item: vscode.TreeItem;
  depth: number;
}

/** The whole Runs tree as the view would render it, through the real TreeDataProvider. */
export async function treeRows(wdlab: WdlabApi): Promise<TreeRow[]> {
  const rows: TreeRow[] = [];
  const walk = async (parent: RunsNode | undefined, depth: number) => {
    for (const node of await wdlab.runsProvider.getChildren(parent)) {
      rows.push({ node, item: wdlab.runsProvider.getTreeItem(node), depth });
      await walk(node, depth + 1);
    }
  };
  await walk(undefined, 0);
  return rows;
}

export const label = (item: vscode.TreeItem): string =>
  typeof item.label === 'string' ? item.label : (item.label?.label ?? '');

export function describeTree(rows: TreeRow[]): string {
  return rows
    .map(
      (r) => `${'  '.repeat(r.depth)}${label(r.item)} — ${r.item.description ?? ''} [${r.item.contextValue}]`,
    )
    .join('\n');
}

/**
 * Show Results on a run that trains, then wait for the proof that the view follows it live: a `records`
 * message for the run that appends (not the first, resetting one) at least one record.
 */
export async function showResultsUntilLiveRecords(
  wdlab: WdlabApi,
  runId: string,
): Promise<ResultsMessageLogEntry> {
  const log = wdlab.resultsHost.messageLog;
  const from = log.length;
  await vscode.commands.executeCommand('wdlab.showResults', { kind: 'run', id: runId });
  return poll(
    () =>
      log
        .slice(from)
        .find(
          (m) =>
            m.direction === 'out' &&
            m.type === 'records' &&
            m.runId === runId &&
            !m.reset &&
            (m.count ?? 0) > 0,
        ),
    30_000,
    () => JSON.stringify(log.slice(from)),
  );
}
