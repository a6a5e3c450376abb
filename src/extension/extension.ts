// VS Code entry point (docs/architecture.md: src/extension is glue only; it never imports tfjs and never
// trains: trials run in trainer child processes through src/runner). Activation only creates objects
// and registers providers; the runs directory is scanned asynchronously afterwards.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ExperimentRunner } from './experimentRunner';
import { ResultsHost } from './resultsHost';
import { RunCatalog } from './runCatalog';
import { RunsTreeProvider } from './runsTree';
import { runsDirectory, stopGraceMs, trainerEnv } from './settings';
import { isLiveSlurm } from './slurm';
import { SpecDiagnostics } from './specDiagnostics';

/** What activate() returns: the extension's parts, for the integration tests. */
export interface WdlabApi {
  catalog: RunCatalog;
  runner: ExperimentRunner;
  runsProvider: RunsTreeProvider;
  runsView: vscode.TreeView<unknown>;
  resultsHost: ResultsHost;
  diagnostics: SpecDiagnostics;
  log: vscode.LogOutputChannel;
  /** How long activate() took, in milliseconds (it must stay well under 100). */
  activationMs: number;
}

let active: ExperimentRunner | undefined;

export function activate(context: vscode.ExtensionContext): WdlabApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Weight Decay Lab', { log: true });
  const catalog = new RunCatalog(runsDirectory(context), log);
  const runner = new ExperimentRunner(catalog, log, stopGraceMs, trainerEnv);
  active = runner;
  const diagnostics = new SpecDiagnostics();
  const runsProvider = new RunsTreeProvider(catalog);
  const runsView = vscode.window.createTreeView('wdlab.runs', {
    treeDataProvider: runsProvider,
    canSelectMany: true,
    showCollapseAll: true,
  });
  const resultsHost = new ResultsHost(context, catalog, log);

  let lastSlurmLive = false;
  const updateBadge = () => {
    const live = catalog.list().filter((r) => r.info.status === 'running').length;
    runsView.badge =
      live > 0 ? { value: live, tooltip: `${live} run${live === 1 ? '' : 's'} training` } : undefined;
    // Stop All also cancels Slurm arrays (extension/slurm.ts): offered while a Slurm run is live.
    const slurmLive = catalog.list().some(isLiveSlurm);
    if (slurmLive !== lastSlurmLive) {
      lastSlurmLive = slurmLive;
      void vscode.commands.executeCommand('setContext', 'wdlab.slurmLive', slurmLive);
    }
  };

  context.subscriptions.push(
    log,
    catalog,
    runner,
    diagnostics,
    runsProvider,
    runsView,
    resultsHost,
    catalog.onDidChange(updateBadge),
    ...registerCommands({
      catalog,
      runner,
      results: resultsHost,
      diagnostics,
      log,
      examplesDir: vscode.Uri.joinPath(context.extensionUri, 'examples').fsPath,
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('wdlab.runsDirectory')) {
        catalog.setDirectory(runsDirectory(context));
        log.info(`runs directory: ${catalog.directory}`);
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => catalog.setDirectory(runsDirectory(context))),
  );
  void vscode.commands.executeCommand('setContext', 'wdlab.running', false);
  void catalog.scan();
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms; runs directory ${catalog.directory}`);
  return { catalog, runner, runsProvider, runsView, resultsHost, diagnostics, log, activationMs };
}

/** Stops every trainer this window started: gracefully if it ends quickly, else killed. */
export async function deactivate(): Promise<void> {
  const runner = active;
  active = undefined;
  await runner?.shutdown();
}
