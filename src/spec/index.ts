// The experiment spec module: parse (with locations), validate (schema + semantics + sweep values),
// resolve defaults, expand sweeps. Other modules import only from here.
import { existsSync, readFileSync } from 'node:fs';
import { resolveSpec } from './defaults';
import { locate, parseSpecDocument } from './parse';
import { formatPath } from './paths';
import { expandSweep } from './sweep';
import type { ExperimentSpec, SpecDiagnostic, Trial } from './types';
import { allSpecProblems } from './validate';

export { resolveSpec } from './defaults';
export { formatDiagnostic } from './format';
export { getAtPath, setAtPath } from './paths';
export { experimentSchema, sweepablePaths } from './schema';
export { expandSweep, trialLabel } from './sweep';
export type * from './types';

export const SCHEMA_PATH_FROM_ROOT = 'schemas/experiment.schema.json';

export interface SpecLoadResult {
  /** Present iff there are no errors (warnings allowed). */
  spec?: ExperimentSpec;
  /** Sweep expansion of spec (1 trial when no sweep); [] on errors. */
  trials: Trial[];
  /** Errors and warnings, sorted by offset. */
  diagnostics: SpecDiagnostic[];
}

export function loadSpecText(text: string): SpecLoadResult {
  const doc = parseSpecDocument(text);
  // A syntax error leaves a partial tree, and text nested too deep has none: checking either would report
  // phantom problems.
  const syntaxBroken =
    doc.problems.some((p) => p.message.startsWith('syntax error')) ||
    (doc.root === undefined && doc.problems.length > 0);
  const problems = syntaxBroken ? doc.problems : [...doc.problems, ...allSpecProblems(doc.value)];
  const diagnostics = problems
    .map((p) => locate(doc, p))
    .sort((a, b) => a.offset - b.offset || severityRank(a) - severityRank(b));
  if (diagnostics.some((d) => d.severity === 'error')) return { trials: [], diagnostics };
  const spec = resolveSpec(doc.value);
  // Trials resolve their defaults from the spec as written (a swept dataset gets its own defaults).
  return { spec, trials: expandSweep(spec, doc.value), diagnostics };
}

const severityRank = (d: SpecDiagnostic) => (d.severity === 'error' ? 0 : 1);

export function loadSpecFile(file: string): SpecLoadResult {
  if (!existsSync(file)) throw new Error(`experiment spec not found: ${file}`);
  // Editors do not count a byte-order mark as text, so neither do the offsets.
  return loadSpecText(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
}

/**
 * Errors of an already-resolved spec object (a run's spec.json on resume), as `message [path]`; [] if
 * valid. Warnings are left out: a resolved spec carries every default, some of which warn when written.
 */
export function resolvedSpecDiagnostics(spec: unknown): string[] {
  return allSpecProblems(spec)
    .filter((p) => p.severity === 'error')
    .map((p) => (p.segments.length > 0 ? `${p.message} [${formatPath(p.segments)}]` : p.message));
}
