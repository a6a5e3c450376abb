// Small workspace-file helpers shared by the commands (VS Code's file system API, so remote workspaces work).
import * as vscode from 'vscode';

/** Whether a file or folder exists at `uri`. */
export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
