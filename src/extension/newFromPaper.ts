// "Weight Decay Lab: New Experiment from Paper…": pick one of the paper's released configurations (or the
// whole Table 1 grid), paper scale or scaled for a CPU, and get it as a spec file — as "New Experiment"
// does with a template (commands.ts).
import * as vscode from 'vscode';
import { presetDocument } from '../spec/presets';
import { exists } from './files';
import { paperPicks, SCALE_PICKS } from './paperPicks';

/**
 * `preset` and `scale` skip the quick picks (for tests and command links). Returns the new document's uri,
 * or undefined when a pick was dismissed.
 */
export async function newFromPaper(
  log: vscode.LogOutputChannel,
  preset?: string,
  scale?: 'paper' | 'cpu',
): Promise<vscode.Uri | undefined> {
  const name =
    preset ??
    (
      await vscode.window.showQuickPick(
        paperPicks().map((p): vscode.QuickPickItem & { preset?: string } =>
          p.separator
            ? { label: p.label, kind: vscode.QuickPickItemKind.Separator }
            : { label: p.label, description: p.description, detail: p.detail, preset: p.preset },
        ),
        {
          title: 'New Experiment from Paper (Zhang et al. 2019)',
          placeHolder: 'Filter by dataset, network, setting (none, BN, BN+Aug), optimizer, baseline or wd',
          matchOnDescription: true,
          matchOnDetail: true,
        },
      )
    )?.preset;
  if (!name) return undefined;
  const options =
    scale === undefined
      ? (
          await vscode.window.showQuickPick(
            SCALE_PICKS.map((s) => ({ ...s })),
            {
              title: `New Experiment from Paper: ${name}`,
              placeHolder: "At the paper's scale, or scaled down for a CPU?",
            },
          )
        )?.options
      : { cpu: scale === 'cpu' };
  if (!options) return undefined;
  const doc = presetDocument(name, options);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    const untitled = await vscode.workspace.openTextDocument({ language: 'jsonc', content: doc.text });
    await vscode.window.showTextDocument(untitled);
    return untitled.uri;
  }
  const stem = doc.fileName.replace(/\.wdlab\.json$/, '');
  let uri = vscode.Uri.joinPath(folder.uri, doc.fileName);
  for (let k = 2; await exists(uri); k++) uri = vscode.Uri.joinPath(folder.uri, `${stem}-${k}.wdlab.json`);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(doc.text, 'utf8'));
  await vscode.window.showTextDocument(uri);
  log.info(
    `new experiment ${uri.fsPath} from paper preset ${name}${options.cpu ? ' (scaled for a CPU)' : ''}`,
  );
  return uri;
}
