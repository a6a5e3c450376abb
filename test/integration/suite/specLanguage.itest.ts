// *.wdlab.json in the editor: a language of its own (wdlab-spec), so VS Code's JSON language service never
// validates it and each problem shows once, from the shared validator, with a quick fix for a "did you
// mean"; completion, hover, outline and formatting come from the bundled schema (src/extension/
// specLanguage.ts). The fixture workspace/mistakes.wdlab.json has four mistakes; not-a-spec.json has a
// syntax error that only the JSON language service reports, which shows that it is running.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from '../runner';
import { api, extensionId, poll, workspaceUri } from '../util';

const describe = (ds: readonly vscode.Diagnostic[]) =>
  JSON.stringify(ds.map((d) => ({ line: d.range.start.line, source: d.source, message: d.message })));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

suite('extension', () => {
  test('is present, activates fast, and gives *.wdlab.json its own language', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is not loaded`);
    const wdlab = await api();
    assert.equal(extension.isActive, true);
    // Activation only registers things; scanning runs, validating specs and the JSON library come later.
    assert.ok(wdlab.activationMs < 100, `activate() took ${wdlab.activationMs} ms`);
    const contributes = extension.packageJSON.contributes;
    assert.equal(
      contributes.jsonValidation,
      undefined,
      'no schema for VS Code’s JSON service to validate with',
    );
    assert.deepEqual(
      contributes.languages.map((l: { id: string; filenamePatterns: string[] }) => [
        l.id,
        l.filenamePatterns,
      ]),
      [['wdlab-spec', ['*.wdlab.json']]],
    );
    assert.ok((await vscode.languages.getLanguages()).includes('wdlab-spec'));
  });
});

suite('*.wdlab.json: each problem once, with a quick fix', () => {
  test('four mistakes give four problems, all from the validator, none from the JSON service', async () => {
    await api();
    // The JSON language service is up: it reports the syntax error of a plain JSON file.
    const plain = workspaceUri('not-a-spec.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(plain));
    const jsonService = await poll(
      () => {
        const ds = vscode.languages.getDiagnostics(plain);
        return ds.length > 0 ? ds : undefined;
      },
      20_000,
      () => 'the JSON language service reported nothing for not-a-spec.json',
    );
    console.log(`    JSON service on not-a-spec.json: ${describe(jsonService)}`);
    assert.ok(jsonService.every((d) => d.source !== 'wdlab'));

    const uri = workspaceUri('mistakes.wdlab.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'wdlab-spec');
    await poll(
      () => (vscode.languages.getDiagnostics(uri).length >= 4 ? true : undefined),
      10_000,
      () => describe(vscode.languages.getDiagnostics(uri)),
    );
    // Time for anyone else to report (the JSON service answered the other file within a second or two).
    await sleep(4_000);
    const all = vscode.languages.getDiagnostics(uri);
    console.log(`    Problems of mistakes.wdlab.json after 4 s: ${describe(all)}`);
    assert.equal(all.length, 4, describe(all));
    assert.ok(
      all.every((d) => d.source === 'wdlab' && d.severity === vscode.DiagnosticSeverity.Error),
      describe(all),
    );
    const messages = [...all].sort((a, b) => a.range.start.compareTo(b.range.start)).map((d) => d.message);
    assert.match(
      messages[0],
      /^data\.dataset must be one of: .*\(got "cifar-10"\); did you mean "cifar10"\?/,
    );
    assert.match(
      messages[1],
      /^model\.arch must be one of: mlp, vgg, resnet \(got "mlpp"\); did you mean "mlp"\?/,
    );
    assert.match(messages[2], /^unknown key "momentun" in optimizer; did you mean "momentum"\?/);
    assert.match(
      messages[3],
      /^unknown sweep path "regularization\.coeficient"; did you mean "regularization\.coefficient"\?/,
    );
  }, 60_000);

  test('the quick fix of a typo replaces it, and its problem goes away', async () => {
    const uri = workspaceUri('mistakes.wdlab.json');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const wdlab = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'wdlab');
    const fix = async (typo: string, title: string, replacement: string, left: number) => {
      const problem = wdlab().find((d) => document.getText(d.range) === `"${typo}"`);
      assert.ok(problem, `no problem at "${typo}": ${describe(wdlab())}`);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        uri,
        problem.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      const action = actions.find((a) => a.title === title);
      assert.ok(action?.edit, `no "${title}": ${actions.map((a) => a.title).join(', ')}`);
      assert.equal(action.isPreferred, true);
      assert.ok(await vscode.workspace.applyEdit(action.edit));
      assert.equal(
        document.getText(problem.range.with({ end: problem.range.start.translate(0, replacement.length) })),
        replacement,
      );
      await poll(
        () => (wdlab().length === left ? true : undefined),
        5_000,
        () => describe(wdlab()),
      );
      assert.ok(!wdlab().some((d) => d.message.includes(`"${typo}"`)), describe(wdlab()));
    };
    await fix('momentun', "Replace with 'momentum'", '"momentum"', 3);
    await fix('cifar-10', "Replace with 'cifar10'", '"cifar10"', 2);
    await fix(
      'regularization.coeficient',
      "Replace with 'regularization.coefficient'",
      '"regularization.coefficient"',
      1,
    );
    assert.match(document.getText(), /"optimizer": \{ "type": "sgd", "lr": 0\.1, "momentum": 0\.9 \}/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }, 30_000);
});

suite('*.wdlab.json: completion, hover, outline and formatting from the schema', () => {
  const spec = async (content: string) => {
    const doc = await vscode.workspace.openTextDocument({ language: 'wdlab-spec', content });
    await vscode.window.showTextDocument(doc);
    return doc;
  };

  test('completion offers the schema’s keys and enum values', async () => {
    await api();
    const keys = await spec('{\n  \n}\n');
    const atKey = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      keys.uri,
      new vscode.Position(1, 2),
    );
    const labels = atKey.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const want of ['data', 'model', 'optimizer', 'regularization', 'sweep'])
      assert.ok(labels.includes(want), `no "${want}" in ${labels.join(', ')}`);

    const values = await spec('{ "optimizer": { "type": "" } }');
    const atValue = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      values.uri,
      new vscode.Position(0, 26),
    );
    const enumLabels = atValue.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const want of ['"sgd"', '"adam"', '"kfac-g"'])
      assert.ok(enumLabels.includes(want), `no ${want} in ${enumLabels.join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('hover explains a key; the outline lists the sections; Format Document formats', async () => {
    const uri = workspaceUri('tiny.wdlab.json');
    const document = await vscode.workspace.openTextDocument(uri);
    const line = document
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('"optimizer"'));
    assert.ok(line >= 0);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(line, document.lineAt(line).text.indexOf('"optimizer"') + 3),
    );
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
      .join('\n');
    assert.match(text, /The optimizer and its hyperparameters/);

    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
      'vscode.executeDocumentSymbolProvider',
      uri,
    );
    for (const want of ['name', 'data', 'model', 'optimizer'])
      assert.ok(
        symbols.some((s) => s.name === want),
        `no "${want}" in ${symbols.map((s) => s.name).join(', ')}`,
      );

    const oneLine = await spec('{"name":"x","data":{"dataset":"mnist"}}');
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>(
      'vscode.executeFormatDocumentProvider',
      oneLine.uri,
      { tabSize: 2, insertSpaces: true },
    );
    const formatted = new vscode.WorkspaceEdit();
    formatted.set(oneLine.uri, edits);
    assert.ok(await vscode.workspace.applyEdit(formatted));
    assert.equal(
      oneLine.getText().trimEnd(),
      '{\n  "name": "x",\n  "data": {\n    "dataset": "mnist"\n  }\n}',
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
