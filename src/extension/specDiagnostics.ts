// Diagnostics, quick fixes and a CodeLens for *.wdlab.json, from the shared validator (src/spec), so the
// editor says exactly what `wdlab validate` says, at the same places.
//
// Each problem is reported once, here: syntax errors, schema violations (with "did you mean" and the JSON
// path, as errors, the severity that makes `wdlab run` refuse the spec) and everything a schema cannot
// express (sweep paths and values, cross-field rules). VS Code's JSON language service never sees these
// files: they have a language of their own, whose completion and hover come from the same schema without
// its validation (specLanguage.ts). A "did you mean" comes with a quick fix that writes the suggestion.
import * as vscode from 'vscode';
import { loadSpecText, type SpecLoadResult } from '../spec';
import { DatasetQuickFix, datasetDiagnostics, forgetDatasetDiagnostics } from './datasetDiagnostics';
import { registerSpecLanguage } from './specLanguage';

export const isSpecDocument = (doc: vscode.TextDocument): boolean => /\.wdlab\.json$/i.test(doc.uri.path);

const DEBOUNCE_MS = 250;

export class SpecDiagnostics
  implements vscode.Disposable, vscode.CodeLensProvider, vscode.CodeActionProvider
{
  readonly collection = vscode.languages.createDiagnosticCollection('wdlab');
  private readonly cache = new Map<string, { version: number; result: SpecLoadResult }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      this.collection,
      this.lensesChanged,
      vscode.workspace.onDidOpenTextDocument((doc) => this.schedule(doc, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        const key = doc.uri.toString();
        clearTimeout(this.timers.get(key));
        this.timers.delete(key);
        this.cache.delete(key);
        this.collection.delete(doc.uri);
        forgetDatasetDiagnostics(doc.uri);
      }),
      registerSpecLanguage(),
      vscode.languages.registerCodeLensProvider({ pattern: '**/*.wdlab.json' }, this),
      vscode.languages.registerCodeActionsProvider({ pattern: '**/*.wdlab.json' }, this, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
      vscode.languages.registerCodeActionsProvider({ pattern: '**/*.wdlab.json' }, new DatasetQuickFix(), {
        providedCodeActionKinds: DatasetQuickFix.kinds,
      }),
      // Where datasets are looked for changed: the missing-dataset warnings may have too.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('wdlab.dataDirectory')) this.revalidateAll();
      }),
    );
    // Documents already open at activation: checked after activation returns (it must stay fast).
    setTimeout(() => {
      for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
    }, 0);
  }

  /** The validator's result for the document's current text (cached per version). */
  analyze(doc: vscode.TextDocument): SpecLoadResult {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.result;
    const result = loadSpecText(doc.getText());
    this.cache.set(key, { version: doc.version, result });
    return result;
  }

  /**
   * Validates now and publishes the diagnostics: the validator's (cached per version), then, for a valid
   * spec, the datasets missing on disk (checked every time: the disk changes without the text).
   */
  validate(doc: vscode.TextDocument): SpecLoadResult {
    const result = this.analyze(doc);
    const errors = result.diagnostics.some((d) => d.severity === 'error');
    this.collection.set(doc.uri, [
      ...result.diagnostics.map((d) => toDiagnostic(doc, d)),
      ...(errors ? [] : datasetDiagnostics(doc, result)),
    ]);
    this.lensesChanged.fire();
    return result;
  }

  /** Re-validates every open spec (after a download, or a change of wdlab.dataDirectory). */
  revalidateAll(): void {
    for (const doc of vscode.workspace.textDocuments)
      if (isSpecDocument(doc) && !doc.isClosed) this.validate(doc);
  }

  private schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (!isSpecDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!doc.isClosed) this.validate(doc);
      }, delayMs),
    );
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const result = this.analyze(doc);
    const top = new vscode.Range(0, 0, 0, 0);
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    const lenses: vscode.CodeLens[] = [];
    if (errors > 0) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: `⚠ ${errors} problem${errors === 1 ? '' : 's'}`,
          tooltip: 'The spec has errors; it cannot run until they are fixed',
          command: 'workbench.actions.view.problems',
        }),
      );
    } else {
      const n = result.trials.length;
      lenses.push(
        new vscode.CodeLens(top, {
          title: `▶ Run (${n} trial${n === 1 ? '' : 's'})`,
          tooltip: vscode.workspace.isTrusted
            ? `Train every trial of the sweep (${n}), one after another`
            : 'Running needs a trusted workspace',
          command: 'wdlab.runExperiment',
          arguments: [doc.uri],
        }),
      );
    }
    lenses.push(
      new vscode.CodeLens(top, {
        title: 'Validate',
        tooltip: 'Check the spec with the same validator as `wdlab validate`',
        command: 'wdlab.validateSpec',
        arguments: [doc.uri],
      }),
    );
    return lenses;
  }

  /**
   * "Replace with 'momentum'": the quick fix of a problem whose message says "did you mean". The
   * suggestion comes from the validator's result for the document's version (matched by range), and
   * replaces the key or string value the problem points at.
   */
  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const wdlab = context.diagnostics.filter((d) => d.source === 'wdlab');
    if (wdlab.length === 0) return actions;
    const found = this.analyze(doc).diagnostics;
    for (const d of wdlab) {
      const offset = doc.offsetAt(d.range.start);
      const length = doc.offsetAt(d.range.end) - offset;
      const suggestion = found.find((f) => f.offset === offset && f.length === length)?.suggestion;
      if (suggestion === undefined) continue;
      let current: unknown;
      try {
        current = JSON.parse(doc.getText(d.range));
      } catch {
        continue;
      }
      if (typeof current !== 'string') continue;
      const action = new vscode.CodeAction(`Replace with '${suggestion}'`, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(doc.uri, d.range, JSON.stringify(suggestion));
      action.diagnostics = [d];
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }
}

function toDiagnostic(doc: vscode.TextDocument, d: SpecLoadResult['diagnostics'][number]): vscode.Diagnostic {
  const range = new vscode.Range(doc.positionAt(d.offset), doc.positionAt(d.offset + d.length));
  // The CLI's text (formatDiagnostic) without the location, which the editor shows itself.
  const message = d.path === '' ? d.message : `${d.message} [${d.path}]`;
  const severity =
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(range, message, severity);
  diagnostic.source = 'wdlab';
  return diagnostic;
}
