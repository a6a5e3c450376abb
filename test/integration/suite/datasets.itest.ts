// A spec whose real dataset is not on disk: a warning on the dataset's name with the trainer's message, a
// "Download CIFAR-10" quick fix that runs the Download Dataset command into the folder the spec's trials
// read (its data.path), and the warning gone once the files are there. No network: the files are written
// first, so the command finds them complete (its md5-checked fetch is covered by the unit tests).
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { writeCifar10 } from '../../helpers/datasetFiles';
import { suite, test } from '../runner';
import { api, poll, workspaceUri } from '../util';

const missingWarnings = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'wdlab' && d.code === 'dataset-missing');

suite('datasets missing on disk', () => {
  test('warn at the dataset, offer its download into data.path, and clear once the files are there', async () => {
    await api();
    const uri = workspaceUri('needs-cifar.wdlab.json');
    const dataDir = workspaceUri('cifar-data').fsPath;
    writeFileSync(
      uri.fsPath,
      `${JSON.stringify(
        {
          name: 'needs-cifar',
          data: { dataset: 'cifar10', path: './cifar-data', trainSize: 32, testSize: 8 },
          training: { batchSize: 16 },
          model: { arch: 'mlp', hidden: [16] },
          optimizer: { type: 'sgd' },
        },
        null,
        2,
      )}\n`,
    );
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const [warning] = await poll(
      () => {
        const ds = missingWarnings(uri);
        return ds.length > 0 ? ds : undefined;
      },
      10_000,
      () => JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message)),
    );
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(document.getText(warning.range), '"cifar10"');
    assert.match(warning.message, /^CIFAR-10 not found: put data_batch_1\.bin, .* and test_batch\.bin in /);
    assert.ok(warning.message.includes(`${dataDir}/cifar-10-batches-bin/`), warning.message);
    assert.ok(warning.message.endsWith(`npx wdlab download cifar10 --data-dir ${dataDir}`), warning.message);

    // The quick fix is asked for with the diagnostics the workbench holds at the range, which reach it a
    // moment after the extension host published them: ask until it is offered.
    let titles: string[] = [];
    const fix = await poll(
      async () => {
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          uri,
          warning.range,
        );
        titles = actions.map((a) => a.title);
        return actions.find((a) => a.title === 'Download CIFAR-10');
      },
      10_000,
      () => `code actions: ${titles.join(', ')}`,
    );
    assert.ok(fix.command);
    assert.equal(fix.command.command, 'wdlab.downloadDataset');
    assert.deepEqual(fix.command.arguments, ['cifar10', dataDir]);

    // The files arrive; the quick fix's command then finds them complete and re-checks the open specs.
    writeCifar10(dataDir, 7, 8);
    const folder = await vscode.commands.executeCommand<string>(
      fix.command.command,
      ...(fix.command.arguments ?? []),
    );
    assert.equal(folder, `${dataDir}/cifar-10-batches-bin`);
    await poll(
      () => (missingWarnings(uri).length === 0 ? true : undefined),
      5_000,
      () => JSON.stringify(missingWarnings(uri).map((d) => d.message)),
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
