// A real dataset a spec's trials need that is not on disk: a warning on the dataset's name in the spec
// (the trainer's message: what to put where, and the download command), with a quick fix that runs
// "Weight Decay Lab: Download Dataset" for it. The same check as `wdlab validate` (engine/data/locate.ts),
// looking where the trainer will look: data.path relative to the spec file, else the setting
// wdlab.dataDirectory (passed to the trainer as WDLAB_DATA), else $WDLAB_DATA, else the cache folder.
// A few stat calls per validation; nothing is read.
import { dirname } from 'node:path';
import { findNodeAtLocation, type Node, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';
import { DATASET_LAYOUTS, isRealDataset, type MissingDataset, missingDatasets } from '../engine/data/locate';
import type { SpecLoadResult } from '../spec';
import { trainerEnv } from './settings';

/** Diagnostic code of a missing dataset (the quick fix looks for it). */
export const DATASET_MISSING = 'dataset-missing';

/** Per spec document: where each missing dataset must be downloaded for its trials (data.path or not). */
const downloadDirs = new Map<string, Map<string, string>>();

/** Forgets a closed document. */
export function forgetDatasetDiagnostics(uri: vscode.Uri): void {
  downloadDirs.delete(uri.toString());
}

/** Warnings for the datasets the trials of a valid spec need and the disk lacks (file documents only). */
export function datasetDiagnostics(doc: vscode.TextDocument, result: SpecLoadResult): vscode.Diagnostic[] {
  downloadDirs.delete(doc.uri.toString());
  // Only files on this machine's disk: the trainer reads datasets from there.
  if (doc.uri.scheme !== 'file' || result.trials.length === 0) return [];
  const missing = missingDatasets(
    result.trials.map((t) => t.spec.data),
    dirname(doc.uri.fsPath),
    { ...process.env, ...trainerEnv() },
  );
  if (missing.length === 0) return [];
  downloadDirs.set(doc.uri.toString(), new Map(missing.map((m) => [m.dataset, m.downloadDir])));
  const tree = parseTree(doc.getText());
  return missing.map((m) => {
    const node = tree && nodeNaming(tree, m);
    const range = node
      ? new vscode.Range(doc.positionAt(node.offset), doc.positionAt(node.offset + node.length))
      : new vscode.Range(0, 0, 0, 0);
    const d = new vscode.Diagnostic(range, m.message, vscode.DiagnosticSeverity.Warning);
    d.source = 'wdlab';
    d.code = DATASET_MISSING;
    return d;
  });
}

/** The string node that names the dataset: data.dataset, else its value in sweep["data.dataset"]. */
function nodeNaming(tree: Node, m: MissingDataset): Node | undefined {
  const base = findNodeAtLocation(tree, ['data', 'dataset']);
  if (base?.value === m.dataset) return base;
  const swept = findNodeAtLocation(tree, ['sweep', 'data.dataset']);
  return swept?.children?.find((n) => n.value === m.dataset) ?? base;
}

/** The quick fix of a missing-dataset warning: download that dataset. */
export class DatasetQuickFix implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== 'wdlab' || d.code !== DATASET_MISSING) continue;
      let name: unknown;
      try {
        name = JSON.parse(doc.getText(d.range));
      } catch {
        continue;
      }
      if (!isRealDataset(name)) continue;
      const action = new vscode.CodeAction(
        `Download ${DATASET_LAYOUTS[name].title}`,
        vscode.CodeActionKind.QuickFix,
      );
      const dataDir = downloadDirs.get(doc.uri.toString())?.get(name);
      action.command = { title: action.title, command: 'wdlab.downloadDataset', arguments: [name, dataDir] };
      action.diagnostics = [d];
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }
}
