// Semantic diagnostics (source "wdlab") from the shared validator, at the validator's exact ranges and
// with the CLI's messages; live on edit, cleared on close; and the CodeLens above each spec.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { loadSpecText } from '../../../src/spec';
import { suite, test } from '../runner';
import { api, poll, workspaceUri } from '../util';

const wdlabDiagnostics = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'wdlab');

const describe = (ds: readonly vscode.Diagnostic[]) =>
  JSON.stringify(
    ds.map((d) => ({ line: d.range.start.line, character: d.range.start.character, message: d.message })),
  );

suite('semantic diagnostics of *.wdlab.json', () => {
  test('report the validator problems at their keys, with did-you-mean, as errors', async () => {
    await api();
    const uri = workspaceUri('semantic.wdlab.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);

    const diagnostics = await poll(
      () => {
        const ds = wdlabDiagnostics(uri);
        return ds.length >= 2 ? ds : undefined;
      },
      10_000,
      () => describe(wdlabDiagnostics(uri)),
    );
    assert.equal(diagnostics.length, 2, describe(diagnostics));
    const [momentum, sweep] = [...diagnostics].sort((a, b) => a.range.start.compareTo(b.range.start));

    assert.equal(
      momentum.message,
      "momentum is not an Adam parameter; Adam's first-moment decay is betas[0] [optimizer.momentum]",
    );
    assert.equal(document.getText(momentum.range), '"momentum"');
    assert.deepEqual([momentum.range.start.line, momentum.range.start.character], [4, 33]);
    assert.equal(momentum.severity, vscode.DiagnosticSeverity.Error);

    assert.equal(
      sweep.message,
      'unknown sweep path "regularization.coeficient"; did you mean "regularization.coefficient"? [sweep["regularization.coeficient"]]',
    );
    assert.equal(document.getText(sweep.range), '"regularization.coeficient"');
    assert.equal(sweep.severity, vscode.DiagnosticSeverity.Error);

    // Exactly what the shared validator (and so `wdlab validate`) finds, at its offsets.
    const expected = loadSpecText(document.getText()).diagnostics;
    assert.deepEqual(
      diagnostics
        .map((d) => [
          document.offsetAt(d.range.start),
          document.offsetAt(d.range.end) - document.offsetAt(d.range.start),
        ])
        .sort((a, b) => a[0] - b[0]),
      expected.map((d) => [d.offset, d.length]),
    );
  });

  test('follow edits (debounced), revert included', async () => {
    const uri = workspaceUri('semantic.wdlab.json');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const line = document.lineAt(4);
    const start = line.text.indexOf('"momentum": 0.9');
    assert.ok(start >= 0, line.text);
    await editor.edit((b) =>
      b.replace(new vscode.Range(4, start, 4, start + '"momentum": 0.9'.length), '"betas": [0.9, 0.999]'),
    );
    const after = await poll(
      () => {
        const ds = wdlabDiagnostics(uri);
        return ds.length === 1 ? ds : undefined;
      },
      5_000,
      () => describe(wdlabDiagnostics(uri)),
    );
    assert.match(after[0].message, /did you mean "regularization.coefficient"/);

    // Reverting is an edit too. (Clearing on close is not asserted: VS Code tells extensions that a
    // document closed only when it drops the model, which can be minutes after its editor closed.)
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await poll(
      () => (wdlabDiagnostics(uri).length === 2 ? true : undefined),
      5_000,
      () => describe(wdlabDiagnostics(uri)),
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }, 40_000);

  test('CodeLens: Run with the trial count, or the number of problems', async () => {
    const lenses = async (file: string) => {
      const uri = workspaceUri(file);
      await vscode.workspace.openTextDocument(uri);
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        uri,
      );
      return all
        .filter((l) => l.command?.command.startsWith('wdlab.') || l.command?.title.startsWith('⚠'))
        .map((l) => l.command!);
    };
    const tiny = await lenses('tiny.wdlab.json');
    assert.deepEqual(
      tiny.map((c) => c.title),
      ['▶ Run (1 trial)', 'Validate'],
    );
    assert.equal(tiny[0].command, 'wdlab.runExperiment');
    assert.equal(String(tiny[0].arguments?.[0]), workspaceUri('tiny.wdlab.json').toString());
    assert.deepEqual(
      (await lenses('cli/from-cli.wdlab.json')).map((c) => c.title),
      ['▶ Run (2 trials)', 'Validate'],
    );
    assert.deepEqual(
      (await lenses('semantic.wdlab.json')).map((c) => c.title),
      ['⚠ 2 problems', 'Validate'],
    );
    const validated = await vscode.commands.executeCommand(
      'wdlab.validateSpec',
      workspaceUri('cli/from-cli.wdlab.json'),
    );
    assert.deepEqual(validated, { errors: 0, warnings: 0, trials: 2 });
  });
});
