// New Experiment from Paper: a paper configuration becomes a spec file in the workspace, opened, valid,
// starting with the comment that names its source config.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { newFromPaper } from '../../../src/extension/newFromPaper';
import { suite, test } from '../runner';
import { api, poll } from '../util';

suite('New Experiment from Paper', () => {
  test('a configuration scaled for a CPU is written into the workspace as a valid, open spec', async () => {
    await api();
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'wdlab.newFromPaper',
      'cifar10-vgg16-bn-aug-kfac-g-wd',
      'cpu',
    );
    assert.ok(uri, 'the command returned no file');
    assert.match(uri.path, /\/cifar10-vgg16-bn-aug-kfac-g-wd-cpu(-\d+)?\.wdlab\.json$/);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(text.split('\n')[0], /^\/\/ Source config: configs\/cifar10\/vgg16\/kfac\//);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
    await poll(
      async () => {
        const ls = await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          uri,
        );
        return ls?.some((l) => l.command?.title.includes('Run (1 trial)')) ? ls : undefined;
      },
      10_000,
      () => 'no "Run (1 trial)" CodeLens',
    );
    assert.deepEqual(
      vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'wdlab' && d.severity === 0),
      [],
    );
  }, 30_000);

  test('the quick pick keeps the items with every typed word, in any order', async () => {
    await api();
    // The command's own function (commands.ts passes its arguments through), with the pick's filter
    // starting at five words in an order no item's text has; VS Code's quick pick, which looks for the
    // typed text as one piece, would show nothing and accept nothing. Table 1 is the first item
    // unfiltered: accepting the first item the filter left must give the one configuration that has them.
    const log = vscode.window.createOutputChannel('Weight Decay Lab (test)', { log: true });
    let settled = false;
    const created = newFromPaper(log, undefined, 'paper', 'sgd WD cifar100 bn vgg16').finally(() => {
      settled = true;
    });
    await poll(
      async () => {
        if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return settled ? true : undefined;
      },
      10_000,
      () => 'the quick pick accepted no item',
    );
    const uri = await created;
    log.dispose();
    assert.ok(uri, 'no file was made');
    assert.match(uri.path, /\/cifar100-vgg16-bn-aug-sgd-wd(-\d+)?\.wdlab\.json$/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }, 30_000);

  test('table1 is one spec with a 64-trial sweep', async () => {
    await api();
    const uri = await vscode.commands.executeCommand<vscode.Uri>('wdlab.newFromPaper', 'table1', 'cpu');
    assert.ok(uri);
    assert.match(uri.path, /\/paper-table1-cpu(-\d+)?\.wdlab\.json$/);
    await poll(
      async () => {
        const ls = await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          uri,
        );
        return ls?.some((l) => l.command?.title.includes('Run (64 trials)')) ? ls : undefined;
      },
      10_000,
      () => 'no "Run (64 trials)" CodeLens',
    );
  }, 30_000);
});
