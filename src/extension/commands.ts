// The `wdlab.*` commands. Every command that acts on runs accepts what the Runs view passes (a tree
// node, plus the multi-selection), a run id or run folder path, or a Uri, and falls back to a quick
// pick when called from the palette with nothing.
import { rm } from 'node:fs/promises';
import { basename, isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { trialLabel } from '../spec';
import { downloadDatasetCommand } from './datasetDownload';
import { installEngineCommand } from './engineInstall';
import type { ExperimentRunner, JobOutcome } from './experimentRunner';
import { exists } from './files';
import { newFromPaper } from './newFromPaper';
import type { ResultsHost } from './resultsHost';
import type { CatalogRun, RunCatalog } from './runCatalog';
import { describeRun } from './runDescriptions';
import type { RunsNode } from './runsTree';
import {
  chooseExecutor,
  isLiveSlurm,
  isSlurmRun,
  resumeRuns as resumeSlurmRuns,
  stopAll as stopAllSlurm,
  stopRuns as stopSlurmRuns,
  submitSweep,
} from './slurm';
import { isSpecDocument, type SpecDiagnostics } from './specDiagnostics';
import { SPEC_LANGUAGE } from './specLanguage';
import { SPEC_TEMPLATES, templateStem, templateText } from './templates';

export interface CommandDeps {
  catalog: RunCatalog;
  runner: ExperimentRunner;
  results: ResultsHost;
  diagnostics: SpecDiagnostics;
  log: vscode.LogOutputChannel;
  /** The extension's examples/ folder: the templates of New Experiment. */
  examplesDir: string;
}

type RunRef = RunsNode | string | vscode.Uri | CatalogRun;

const isLive = (r: CatalogRun) => r.info.status === 'running' || r.info.status === 'queued';

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { catalog, runner, results, diagnostics, log, examplesDir } = deps;

  /**
   * The runs a command argument names: a run, every run of a sweep group or spec, or several. A run id
   * or folder the catalog has not read yet (a run that just started) is read first. Rejects with a
   * message when the argument names nothing: a command given an argument never falls back to a pick.
   */
  const runsOf = async (arg: unknown, selection?: unknown): Promise<CatalogRun[]> => {
    const refs: unknown[] =
      Array.isArray(selection) && selection.length > 0
        ? selection
        : Array.isArray(arg)
          ? arg
          : arg === undefined
            ? []
            : [arg];
    await catalog.ready();
    const out = new Map<string, CatalogRun>();
    for (const ref of refs as RunRef[]) {
      let found = resolveRef(ref);
      const id =
        typeof ref === 'string'
          ? ref
          : ref instanceof vscode.Uri
            ? ref.fsPath
            : ref && 'kind' in ref && ref.kind === 'run'
              ? ref.id
              : undefined;
      if (found.length === 0 && id !== undefined) {
        await catalog.refreshRun(isAbsolute(id) ? id : join(catalog.directory, id));
        found = resolveRef(ref);
      }
      for (const r of found) out.set(r.id, r);
    }
    if (refs.length > 0 && out.size === 0) throw new Error(`no such run: ${describeRef(refs[0])}`);
    return [...out.values()];
  };
  const resolveRef = (ref: RunRef): CatalogRun[] => {
    if (typeof ref === 'string') return [catalog.resolve(ref)].filter((r): r is CatalogRun => !!r);
    if (ref instanceof vscode.Uri) return [catalog.resolve(ref.fsPath)].filter((r): r is CatalogRun => !!r);
    if (typeof ref !== 'object' || ref === null) return [];
    if ('info' in ref) return [ref];
    switch (ref.kind) {
      case 'run':
        return [catalog.get(ref.id)].filter((r): r is CatalogRun => !!r);
      case 'group':
        return catalog.list().filter((r) => r.info.group === ref.group);
      case 'spec':
        return catalog.list().filter((r) => r.info.name === ref.name);
    }
    return [];
  };

  const pickRuns = async (
    placeHolder: string,
    filter: (r: CatalogRun) => boolean = () => true,
    many = false,
  ): Promise<CatalogRun[]> => {
    await catalog.ready();
    const candidates = catalog.list().filter(filter).reverse();
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('Weight Decay Lab: no runs to choose from.');
      return [];
    }
    const items = candidates.map((r) => ({
      label: r.info.trial.label || r.info.name,
      // The Runs view's words: accuracy as "acc", progress as "done".
      description: describeRun(r),
      detail: r.id,
      run: r,
    }));
    if (many) {
      const picked = await vscode.window.showQuickPick(items, {
        placeHolder,
        canPickMany: true,
        matchOnDetail: true,
      });
      return picked?.map((p) => p.run) ?? [];
    }
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true });
    return picked ? [picked.run] : [];
  };

  const requireTrust = (): boolean => {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window
      .showWarningMessage(
        'Weight Decay Lab: running experiments starts training processes, which needs a trusted workspace.',
        'Manage Workspace Trust',
      )
      .then((choice) => choice && vscode.commands.executeCommand('workbench.trust.manage'));
    return false;
  };

  const specUri = async (arg: unknown): Promise<vscode.Uri | undefined> => {
    if (arg instanceof vscode.Uri) return arg;
    if (typeof arg === 'string') return vscode.Uri.file(arg);
    const active = vscode.window.activeTextEditor?.document;
    if (active && isSpecDocument(active)) return active.uri;
    const files = await vscode.workspace.findFiles('**/*.wdlab.json', '**/node_modules/**', 200);
    if (files.length === 0) {
      const choice = await vscode.window.showInformationMessage(
        'Weight Decay Lab: no *.wdlab.json spec in the workspace.',
        'New Experiment',
      );
      if (choice) await vscode.commands.executeCommand('wdlab.newExperiment');
      return undefined;
    }
    if (files.length === 1) return files[0];
    const picked = await vscode.window.showQuickPick(
      files.map((uri) => ({
        label: basename(uri.fsPath),
        description: vscode.workspace.asRelativePath(uri),
        uri,
      })),
      { placeHolder: 'Which experiment spec?' },
    );
    return picked?.uri;
  };

  const revealFolder = async (uri: vscode.Uri): Promise<void> => {
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) {
      await vscode.commands.executeCommand('revealFileInOS', uri);
    } else if (inWorkspace) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
    } else {
      await vscode.window.showTextDocument(vscode.Uri.joinPath(uri, 'run.json'));
    }
  };

  const titleFor = (runs: CatalogRun[]): string => {
    const names = [...new Set(runs.map((r) => r.info.name))];
    if (runs.length === 1)
      return runs[0].info.trial.label
        ? `${runs[0].info.name}: ${runs[0].info.trial.label}`
        : runs[0].info.name;
    return `${names.join(', ')} (${runs.length} runs)`;
  };

  const register = (id: string, handler: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown);

  return [
    register('wdlab.newExperiment', async (templateId?: string) => {
      const template =
        SPEC_TEMPLATES.find((t) => t.id === templateId) ??
        (
          await vscode.window.showQuickPick(
            SPEC_TEMPLATES.map((t) => ({ label: t.label, detail: t.detail, template: t })),
            { placeHolder: 'Start a new experiment from a template' },
          )
        )?.template;
      if (!template) return undefined;
      const text = templateText(examplesDir, template);
      const stem = templateStem(template);
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        const doc = await vscode.workspace.openTextDocument({ language: SPEC_LANGUAGE, content: text });
        await vscode.window.showTextDocument(doc);
        return doc.uri;
      }
      let uri = vscode.Uri.joinPath(folder.uri, `${stem}.wdlab.json`);
      for (let k = 2; await exists(uri); k++) {
        uri = vscode.Uri.joinPath(folder.uri, `${stem}-${k}.wdlab.json`);
      }
      await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
      await vscode.window.showTextDocument(uri);
      log.info(`new experiment ${uri.fsPath} from template ${template.id}`);
      return uri;
    }),

    register('wdlab.newFromPaper', (preset?: string, scale?: 'paper' | 'cpu') =>
      newFromPaper(log, preset, scale),
    ),

    register(
      'wdlab.runExperiment',
      async (
        arg?: vscode.Uri | string,
        how?: { executor?: 'local' | 'slurm' },
      ): Promise<JobOutcome | undefined> => {
        if (!requireTrust()) return undefined;
        const uri = await specUri(arg);
        if (!uri) return undefined;
        const doc = await vscode.workspace.openTextDocument(uri);
        const loaded = diagnostics.validate(doc);
        const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
        if (!loaded.spec || errors.length > 0) {
          void vscode.window
            .showErrorMessage(
              `Weight Decay Lab: ${basename(uri.fsPath)} has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors[0]?.message ?? ''}`,
              'Show Problems',
            )
            .then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
          return undefined;
        }
        if (doc.isDirty) await doc.save();
        const n = loaded.trials.length;
        log.info(`run ${uri.fsPath}: ${n} trial${n === 1 ? '' : 's'} → ${catalog.directory}`);
        // The executor (runner/executors): asked when wdlab.executor is slurm (extension/slurm.ts).
        const executor = await chooseExecutor(how?.executor);
        if (!executor) return undefined;
        const request = {
          kind: 'sweep' as const,
          name: loaded.spec.name,
          trials: loaded.trials,
          labels: loaded.trials.map(trialLabel),
          specFile: uri.fsPath,
        };
        if (executor === 'slurm') return submitSweep(catalog, log, request);
        return runner.start(request);
      },
    ),

    register('wdlab.validateSpec', async (arg?: vscode.Uri | string) => {
      const uri = await specUri(arg);
      if (!uri) return undefined;
      const doc = await vscode.workspace.openTextDocument(uri);
      const result = diagnostics.validate(doc);
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      const warnings = result.diagnostics.length - errors;
      const name = basename(uri.fsPath);
      if (errors > 0) {
        void vscode.window
          .showErrorMessage(`${name}: ${errors} error${errors === 1 ? '' : 's'}`, 'Show Problems')
          .then((c) => c && vscode.commands.executeCommand('workbench.actions.view.problems'));
      } else {
        const n = result.trials.length;
        void vscode.window.showInformationMessage(
          `${name}: valid — ${n} trial${n === 1 ? '' : 's'}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`,
        );
      }
      return { errors, warnings, trials: result.trials.length };
    }),

    register('wdlab.stopRun', async (arg?: unknown, selection?: unknown) => {
      const named = await runsOf(arg, selection);
      // Slurm runs: TERM to their array tasks (extension/slurm.ts); the others are this window's.
      const onSlurm = named.filter(isLiveSlurm);
      let ids = named.filter((r) => !isSlurmRun(r)).map((r) => r.id);
      if (arg === undefined) {
        const active = runner.activeRunIds();
        ids =
          active.length <= 1
            ? active
            : (await pickRuns('Stop which run?', (r) => active.includes(r.id))).map((r) => r.id);
      }
      const reports = runner.stop(ids);
      const onCluster = onSlurm.length > 0 ? await stopSlurmRuns(onSlurm, catalog, log) : 0;
      if (reports.length === 0 && onCluster === 0) {
        void vscode.window.showInformationMessage('Weight Decay Lab: nothing this window runs to stop.');
        return 0;
      }
      return (await runner.announceStops(reports)) + onCluster;
    }),

    // A sweep's row: every trial of it (the one training stops with a checkpoint, queued ones never start).
    register('wdlab.stopSweep', (arg?: unknown) => vscode.commands.executeCommand('wdlab.stopRun', arg)),

    register('wdlab.stopAll', async () => {
      const onCluster = await stopAllSlurm(catalog, log);
      return (await runner.announceStops(runner.stopAll())) + onCluster;
    }),

    register('wdlab.showResults', async (arg?: unknown, selection?: unknown) => {
      let runs = await runsOf(arg, selection);
      if (runs.length === 0) {
        const current = runner.currentRunIds();
        runs = current.length > 0 ? await runsOf(current) : await pickRuns('Show the results of which run?');
      }
      if (runs.length === 0) return undefined;
      // An editor tab: room for a row of charts (the bottom panel shows a strip of them).
      results.showInEditor(
        runs.map((r) => r.id),
        titleFor(runs),
      );
      return runs.map((r) => r.id);
    }),

    register('wdlab.compareRuns', async (arg?: unknown, selection?: unknown) => {
      let runs = await runsOf(arg, selection);
      if (runs.length < 2) {
        runs = await pickRuns('Compare which runs? (pick several)', () => true, true);
      }
      if (runs.length === 0) return undefined;
      results.openPanel(
        runs.map((r) => r.id),
        `Compare: ${titleFor(runs)}`,
      );
      return runs.map((r) => r.id);
    }),

    register(
      'wdlab.resumeRun',
      async (arg?: unknown, selection?: unknown): Promise<JobOutcome | undefined> => {
        if (!requireTrust()) return undefined;
        const resumable = (r: CatalogRun) =>
          !runner.isOwnActive(r.id) &&
          (r.info.status === 'cancelled' ||
            r.info.status === 'interrupted' ||
            (isSlurmRun(r) && r.info.status === 'failed'));
        // A run, several, or a sweep's row: every stopped or interrupted trial in it, in trial order.
        let runs = await runsOf(arg, selection);
        if (runs.length === 0) runs = await pickRuns('Resume which run?', resumable);
        if (runs.length === 0) return undefined;
        await Promise.all(runs.map((r) => catalog.refreshRun(r.dir)));
        runs = runs.map((r) => catalog.get(r.id) ?? r);
        const toResume = runs
          .filter(resumable)
          .sort(
            (a, b) =>
              a.info.createdAt.localeCompare(b.info.createdAt) || a.info.trial.index - b.info.trial.index,
          );
        if (toResume.length === 0) {
          const run = runs[0];
          void vscode.window.showWarningMessage(
            runner.isOwnActive(run.id) && runs.length === 1
              ? `Weight Decay Lab: ${run.id} belongs to a sweep that is still running; resume it once the sweep has ended.`
              : `Weight Decay Lab: ${runs.length === 1 ? `${run.id} is ${run.info.status}` : 'none of these runs is stopped or interrupted'}; only cancelled or interrupted runs can be resumed.`,
          );
          return undefined;
        }
        // Slurm runs are submitted again (new array tasks), continuing from their checkpoints there.
        const onSlurm = toResume.filter(isSlurmRun);
        const local = toResume.filter((r) => !isSlurmRun(r));
        if (local.length === 0) return resumeSlurmRuns(onSlurm, catalog, log);
        if (onSlurm.length > 0) void resumeSlurmRuns(onSlurm, catalog, log);
        return runner.start({ kind: 'resume', runDirs: local.map((r) => r.dir) });
      },
    ),

    register('wdlab.resumeSweep', (arg?: unknown) => vscode.commands.executeCommand('wdlab.resumeRun', arg)),

    register('wdlab.openRunFolder', async (arg?: unknown) => {
      const [run] = await runsOf(arg);
      if (!run) return;
      await revealFolder(vscode.Uri.file(run.dir));
    }),

    register('wdlab.deleteRun', async (arg?: unknown, selection?: unknown) => {
      const runs = await runsOf(arg, selection);
      if (runs.length === 0) return 0;
      await Promise.all(runs.map((r) => catalog.refreshRun(r.dir)));
      const live = runs.filter((r) => isLive(catalog.get(r.id) ?? r) || runner.isOwnActive(r.id));
      if (live.length > 0) {
        void vscode.window.showWarningMessage(
          `Weight Decay Lab: ${live.map((r) => r.id).join(', ')} ${live.length === 1 ? 'is' : 'are'} still running; stop ${live.length === 1 ? 'it' : 'them'} first.`,
        );
        return 0;
      }
      const what = runs.length === 1 ? `run ${runs[0].id}` : `${runs.length} runs`;
      const choice = await vscode.window.showWarningMessage(
        `Delete ${what}?`,
        {
          modal: true,
          detail: `Its folder (metrics, checkpoint, logs) is removed from ${relative(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', catalog.directory) || catalog.directory}. This cannot be undone.`,
        },
        'Delete',
      );
      if (choice !== 'Delete') return 0;
      for (const r of runs) {
        await rm(r.dir, { recursive: true, force: true });
        log.info(`deleted ${r.dir}`);
      }
      await catalog.scan();
      return runs.length;
    }),

    register('wdlab.showLogs', () => log.show(true)),

    register('wdlab.refreshRuns', () => catalog.scan()),

    register('wdlab.downloadDataset', async (name?: unknown, dataDir?: unknown) => {
      const folder = await downloadDatasetCommand(log, name, dataDir);
      // Specs that warned about this dataset find it now.
      if (folder) diagnostics.revalidateAll();
      return folder;
    }),

    register('wdlab.installEngine', (engine?: unknown) => installEngineCommand(log, engine)),
  ];
}

function describeRef(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (ref instanceof vscode.Uri) return ref.fsPath;
  return JSON.stringify(ref);
}
