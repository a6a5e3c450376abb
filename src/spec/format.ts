// Diagnostics as text, in the gcc style that terminals and VS Code's problem matchers turn into links.
import type { SpecDiagnostic } from './types';

/** `file:line:col: error: message [path]`. */
export function formatDiagnostic(file: string, d: SpecDiagnostic): string {
  const where = d.path === '' ? '' : ` [${d.path}]`;
  return `${file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${where}`;
}
