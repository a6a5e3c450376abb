// Settings under `wdlab.` (package.json contributes.configuration).
import { homedir } from 'node:os';
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

/**
 * `wdlab.dataDirectory`, absolute (`~` is the home folder; a relative path is resolved against the first
 * workspace folder, else the home folder), or undefined when unset (engine/data/locate.ts then decides).
 */
export const dataDirectory = (): string | undefined => absolutePath('dataDirectory');

/** A path setting made absolute: `~` is the home folder, a relative path the first workspace folder's. */
function absolutePath(setting: string): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const configured = vscode.workspace.getConfiguration('wdlab', folder).get<string>(setting)?.trim();
  if (!configured) return undefined;
  const value =
    configured === '~' || configured.startsWith('~/') ? join(homedir(), configured.slice(1)) : configured;
  if (isAbsolute(value)) return value;
  return join(folder ? folder.uri.fsPath : homedir(), value);
}

/** `wdlab.enginePath` (the engines folder; engine/engines.ts), absolute, or undefined when unset. */
export const enginePath = (): string | undefined => absolutePath('enginePath');

/**
 * What the trainer processes add to their environment: WDLAB_DATA from `wdlab.dataDirectory` and
 * WDLAB_ENGINES from `wdlab.enginePath`, when set.
 */
export function trainerEnv(): Record<string, string> {
  const dir = dataDirectory();
  const engines = enginePath();
  return { ...(dir ? { WDLAB_DATA: dir } : {}), ...(engines ? { WDLAB_ENGINES: engines } : {}) };
}
