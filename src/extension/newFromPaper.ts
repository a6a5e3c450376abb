// "Weight Decay Lab: New Experiment from Paper…": pick one of the paper's released configurations (or the
// whole Table 1 grid), paper scale or scaled for a CPU, and get it as a spec file — as "New Experiment"
// does with a template (commands.ts).
import * as vscode from 'vscode';
import { presetDocument } from '../spec/presets';
import { exists } from './files';
import { filterPaperPicks, type PaperPick, paperPicks, SCALE_PICKS } from './paperPicks';
import { SPEC_LANGUAGE } from './specLanguage';

type PresetItem = vscode.QuickPickItem & { preset?: string };

const presetItem = (p: PaperPick): PresetItem =>
  p.separator
    ? { label: p.label, kind: vscode.QuickPickItemKind.Separator }
    : // alwaysShow: the items are filtered here (every typed word, in any order), not by VS Code.
      { label: p.label, description: p.description, detail: p.detail, preset: p.preset, alwaysShow: true };

/** The preset picked, with the filter starting at `query`; undefined when dismissed. */
function pickPreset(query: string): Promise<string | undefined> {
  const picks = paperPicks();
  const qp = vscode.window.createQuickPick<PresetItem>();
  qp.title = 'New Experiment from Paper (Zhang et al. 2019)';
  qp.placeholder =
    'Filter by words in any order: dataset, network, setting (none, BN, BN+Aug), optimizer, wd';
  // VS Code still highlights what it finds of the typed text in these.
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const filter = (value: string) => {
    qp.items = filterPaperPicks(picks, value).map(presetItem);
  };
  qp.value = query;
  filter(query);
  return new Promise((resolve) => {
    const subscriptions = [
      qp.onDidChangeValue(filter),
      qp.onDidAccept(() => {
        resolve(qp.selectedItems[0]?.preset);
        qp.hide();
      }),
      qp.onDidHide(() => {
        resolve(undefined);
        for (const s of subscriptions) s.dispose();
        qp.dispose();
      }),
    ];
    qp.show();
  });
}

/**
 * `preset` and `scale` skip the quick picks (for tests and command links); `query` starts the filter of the
 * preset pick with that text. Returns the new document's uri, or undefined when a pick was dismissed.
 */
export async function newFromPaper(
  log: vscode.LogOutputChannel,
  preset?: string,
  scale?: 'paper' | 'cpu',
  query = '',
): Promise<vscode.Uri | undefined> {
  const name = preset ?? (await pickPreset(query));
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
    const untitled = await vscode.workspace.openTextDocument({ language: SPEC_LANGUAGE, content: doc.text });
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
