// New Experiment: a template becomes a spec file in the workspace, opened, valid, with its CodeLens.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from '../runner';
import { api, poll } from '../util';

suite('New Experiment', () => {
  test('a template is written into the workspace as a valid, open spec', async () => {
    await api();
    const uri = await vscode.commands.executeCommand<vscode.Uri>('wdlab.newExperiment', 'mechanism-1');
    assert.ok(uri, 'the command returned no file');
    assert.match(uri.path, /\/mechanism-1-effective-lr(-\d+)?\.wdlab\.json$/);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(text, /"name": "mechanism-1-effective-lr"/);
    assert.doesNotMatch(
      text,
      /"\$schema"/,
      'the repository-relative $schema must not reach a user workspace',
    );
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
    // The validator finds nothing wrong, and the CodeLens offers the 2-trial run.
    const lenses = await poll(
      async () => {
        const ls = await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          uri,
        );
        return ls?.some((l) => l.command?.title.includes('Run (2 trials)')) ? ls : undefined;
      },
      10_000,
      () => 'no "Run (2 trials)" CodeLens',
    );
    assert.ok(lenses.length >= 2);
    assert.deepEqual(
      vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'wdlab' && d.severity === 0),
      [],
    );
  }, 30_000);
});
