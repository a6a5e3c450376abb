// The manifest's jsonValidation contribution maps *.wdlab.json to ./schemas/experiment.schema.json, so
// VS Code's JSON language service reports schema problems in a spec with no $schema of its own.
// The fixture workspace/bad.wdlab.json names no $schema on purpose, so only the contribution can
// supply the schema; it has an unknown optimizer key ("momentun") and an invalid data.dataset.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from '../runner';

const extensionId = 'weight-decay-lab.weight-decay-lab';

suite('extension', () => {
  test('is present and activates', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is not loaded`);
    const api = (await extension.activate()) as { activationMs: number };
    assert.equal(extension.isActive, true);
    // Activation only registers things; scanning runs and validating specs happen afterwards.
    assert.ok(api.activationMs < 100, `activate() took ${api.activationMs} ms`);
    const contributes = extension.packageJSON.contributes;
    assert.deepEqual(contributes.jsonValidation, [
      { fileMatch: ['*.wdlab.json'], url: './schemas/experiment.schema.json' },
    ]);
  });
});

suite('jsonValidation of *.wdlab.json', () => {
  test('reports an unknown optimizer key and an invalid dataset from the bundled schema', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is not open');
    const uri = vscode.Uri.joinPath(folder.uri, 'bad.wdlab.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'jsonc');

    // Lines of the fixture (0-based, as in vscode.Range), checked against the text so an edit of the
    // fixture that moves them fails here rather than in a confusing diagnostic comparison.
    const momentunLine = 7;
    const datasetLine = 2;
    assert.match(document.lineAt(momentunLine).text, /"momentun"/);
    assert.match(document.lineAt(datasetLine).text, /"dataset": "cifar-10"/);

    const unknownKey = (d: vscode.Diagnostic) =>
      d.range.start.line === momentunLine && /momentun/.test(d.message);
    const badDataset = (d: vscode.Diagnostic) =>
      d.range.start.line === datasetLine && /synthetic-images/.test(d.message) && /cifar10/.test(d.message);

    // The JSON language server starts lazily and fetches the schema first: poll, do not sleep.
    const diagnostics = await poll(
      () => {
        // Only the JSON language service's own: the extension adds its "wdlab" ones (diagnostics.itest.ts).
        const all = vscode.languages.getDiagnostics(uri).filter((d) => d.source !== 'wdlab');
        return all.some(unknownKey) && all.some(badDataset) ? all : undefined;
      },
      20_000,
      () => `diagnostics so far: ${describe(vscode.languages.getDiagnostics(uri))}`,
    );

    const key = diagnostics.find(unknownKey)!;
    assert.match(key.message, /not allowed/i);
    assert.equal(document.getText(key.range), '"momentun"');
    assert.equal(key.severity, vscode.DiagnosticSeverity.Warning);

    const dataset = diagnostics.find(badDataset)!;
    assert.equal(document.getText(dataset.range), '"cifar-10"');
    assert.equal(dataset.severity, vscode.DiagnosticSeverity.Warning);

    // Nothing else in the fixture is wrong.
    assert.equal(diagnostics.length, 2, describe(diagnostics));
  }, 40_000);
});

async function poll<T>(probe: () => T | undefined, timeoutMs: number, explain: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms; ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function describe(diagnostics: readonly vscode.Diagnostic[]): string {
  return JSON.stringify(
    diagnostics.map((d) => ({ line: d.range.start.line, severity: d.severity, message: d.message })),
  );
}
