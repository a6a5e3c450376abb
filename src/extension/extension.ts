// VS Code entry point. Issue 3 builds the extension surface; this issue ships the manifest's
// jsonValidation (schema-driven IntelliSense for *.wdlab.json), which needs no code.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
