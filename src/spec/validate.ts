// All checks of a spec value in one place: schema, semantics, and each sweep value checked as if it
// were written in its place.
import { deepClone, describeValue, formatPath, isPlainObject, type Segment, setAtPath } from './paths';
import type { Problem } from './problem';
import { CASE_LABEL_KEY, SWEEP_CASES_KEY, schemaProblems, sweepablePaths } from './schema';
import { semanticProblems } from './semantic';

/** Schema and semantic problems of one spec value (its sweep values are not substituted). */
export function specProblems(value: unknown): Problem[] {
  return [...schemaProblems(value), ...semanticProblems(value)];
}

/** Every problem of a spec as written, sweep values included. */
export function allSpecProblems(value: unknown): Problem[] {
  const problems = specProblems(value);
  return [...problems, ...sweepValueProblems(value, problems)];
}

const startsWith = (segments: Segment[], prefix: Segment[]) => prefix.every((s, i) => segments[i] === s);

/**
 * Checks each sweep value by substituting it into the spec (without the sweep) and validating that
 * trial. Errors the trial has and the base spec does not are caused by the value, so they are reported
 * at the value: `sweep["data.dataset"][1]` for "cifar10". Warnings are not: a swept coefficient of 0 is
 * a baseline on purpose. Values cross the other sweep keys, but each is checked against the base alone
 * (checking every combination could mean thousands of trials). A case of `sweep.cases` is one such value
 * that sets all its paths together.
 */
function sweepValueProblems(value: unknown, found: Problem[]): Problem[] {
  if (!isPlainObject(value) || !isPlainObject(value.sweep)) return [];
  const { sweep: _sweep, ...base } = value;
  const key = (p: Problem) => `${formatPath(p.segments)}\u0000${p.message}`;
  const inBase = new Set(specProblems(base).map(key));
  const known = new Set(sweepablePaths());
  const problems: Problem[] = [];
  for (const [path, values] of Object.entries(value.sweep)) {
    if (!known.has(path) || !Array.isArray(values)) continue;
    values.forEach((v, i) => {
      const at: Segment[] = ['sweep', path, i];
      // The schema already checked the value itself (the sweep's items reference the field's schema).
      if (found.some((p) => p.severity === 'error' && startsWith(p.segments, at))) return;
      const trial = deepClone(base);
      try {
        setAtPath(trial, path, deepClone(v));
      } catch {
        return; // a parent is not an object: the base spec already has an error there
      }
      const fieldPath = path.split('.');
      for (const p of specProblems(trial)) {
        if (p.severity !== 'error' || inBase.has(key(p))) continue;
        const own = startsWith(p.segments, fieldPath);
        const message = own
          ? p.message
          : `with ${path} = ${describeValue(v)}: ${p.message} (at ${formatPath(p.segments) || 'the spec'})`;
        problems.push({ severity: 'error', segments: at, anchor: 'value', message });
      }
    });
  }
  const cases = value.sweep[SWEEP_CASES_KEY];
  if (Array.isArray(cases)) {
    cases.forEach((entry, i) => {
      const at: Segment[] = ['sweep', SWEEP_CASES_KEY, i];
      if (!isPlainObject(entry) || found.some((p) => p.severity === 'error' && startsWith(p.segments, at)))
        return;
      const paths = Object.keys(entry).filter((k) => k !== CASE_LABEL_KEY && known.has(k));
      const trial = deepClone(base);
      try {
        for (const path of paths) setAtPath(trial, path, deepClone(entry[path]));
      } catch {
        return;
      }
      for (const p of specProblems(trial)) {
        if (p.severity !== 'error' || inBase.has(key(p))) continue;
        // The case's own value when one of its paths holds the problem (the last such path wins, as in
        // the trial), else the case as a whole with where the problem is.
        const own = paths.filter((path) => startsWith(p.segments, path.split('.'))).pop();
        if (own !== undefined) {
          problems.push({ severity: 'error', segments: [...at, own], anchor: 'value', message: p.message });
        } else {
          const message = `with this case: ${p.message} (at ${formatPath(p.segments) || 'the spec'})`;
          problems.push({ severity: 'error', segments: at, anchor: 'start', message });
        }
      }
    });
  }
  return problems;
}
