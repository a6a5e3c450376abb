// Starter specs for "New Experiment": the example specs shipped in the extension's examples/ folder
// (the same files the README and the tests run), so a template can never drift from a tested example.
// No `vscode` here, so a unit test checks every template with the same validator the editor uses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpecTemplate {
  id: string;
  label: string;
  detail: string;
  /** The example file in examples/; a new spec is named after it. */
  file: string;
}

export const SPEC_TEMPLATES: readonly SpecTemplate[] = [
  {
    id: 'quickstart',
    label: 'Quickstart',
    detail: 'VGG11 with batch norm on synthetic images: SGD without vs with weight decay (2 trials)',
    file: 'quickstart.wdlab.json',
  },
  {
    id: 'mechanism-1',
    label: 'Mechanism 1: effective learning rate (SGD)',
    detail:
      'BN network + SGD: lr/‖W‖² falls without weight decay, holds at the equilibrium with it (2 trials)',
    file: 'mechanism-1-effective-lr.wdlab.json',
  },
  {
    id: 'mechanism-1-adam',
    label: 'Mechanism 1: Adam with L2 vs decoupled weight decay',
    detail: 'BN network + Adam: none vs L2 (through the preconditioner) vs decoupled weight decay (3 trials)',
    file: 'mechanism-1-adam.wdlab.json',
  },
  {
    id: 'mechanism-2',
    label: 'Mechanism 2: Jacobian norm',
    detail: 'No batch norm: the input-output Jacobian norm without vs with weight decay (2 trials)',
    file: 'mechanism-2-jacobian.wdlab.json',
  },
];

/** File name stem of a new spec made from the template: `<stem>.wdlab.json`. */
export const templateStem = (t: SpecTemplate): string => t.file.replace(/\.wdlab\.json$/, '');

/**
 * The template's text for a new file. The examples point `$schema` at the repository's schema folder,
 * which a user's workspace does not have; VS Code supplies the schema by file name, so the line goes.
 */
export function templateText(examplesDir: string, t: SpecTemplate): string {
  return readFileSync(join(examplesDir, t.file), 'utf8').replace(/^[ \t]*"\$schema":.*\r?\n/m, '');
}
