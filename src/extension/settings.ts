// Settings under `wdlab.` (package.json contributes.configuration).
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_RUNS_DIR } from '../runner/runStore';

/** `wdlab.runsDirectory`, absolute: relative paths are resolved against the first workspace folder. */
export function runsDirectory(context: vscode.ExtensionContext): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const configured = vscode.workspace.getConfiguration('wdlab', folder).get<string>('runsDirectory')?.trim();
  const value = configured || DEFAULT_RUNS_DIR;
  if (isAbsolute(value)) return value;
  // Without a folder there is no workspace to keep runs in: the extension's own storage.
  return folder ? join(folder.uri.fsPath, value) : join(context.globalStorageUri.fsPath, 'runs');
}

/** `wdlab.stopGracePeriodSeconds` in milliseconds. */
export function stopGraceMs(): number {
  const s = vscode.workspace.getConfiguration('wdlab').get<number>('stopGracePeriodSeconds', 30);
  return Math.max(1, Number.isFinite(s) ? s : 30) * 1000;
}
