// Sweep expansion: the cartesian product of the sweep's value lists, one resolved spec per trial.
import { resolveSpec } from './defaults';
import { deepClone, isPlainObject, setAtPath } from './paths';
import { CASE_LABEL_KEY, SWEEP_CASES_KEY } from './schema';
import type { ExperimentSpec, Trial, TrialCase } from './types';

/**
 * Trials in key order with the last key varying fastest (like nested loops written in key order).
 * Each trial spec is an independent deep copy with its values applied, `sweep` emptied, and defaults
 * re-resolved, so a value that changes a type (optimizer.type = "adam") gets that type's own fields.
 * Given the spec as written (`written`, unresolved), every default is resolved per trial: a swept
 * optimizer type gets its own default lr, a swept dataset its own Jacobian estimator, a swept arch its own
 * depth. Without it, defaults the base spec already resolved are kept.
 * A `cases` axis contributes one value per case, each setting several paths at once, in the case's key
 * order; the trial's `values` list those paths one by one.
 */
export function expandSweep(spec: ExperimentSpec, written?: unknown): Trial[] {
  const axes = Object.entries(spec.sweep ?? {});
  const count = axes.reduce((n, [, values]) => n * values.length, 1);
  const trials: Trial[] = [];
  for (let index = 0; index < count; index++) {
    const values: Record<string, unknown> = {};
    let rest = index;
    // Mixed-radix digits of the index, least significant = last key.
    const picks = axes
      .slice()
      .reverse()
      .map(([path, list]) => {
        const pick = rest % list.length;
        rest = Math.floor(rest / list.length);
        return [path, list[pick], pick] as const;
      })
      .reverse();
    const trialSpec = (isPlainObject(written) ? deepClone(written) : deepClone(spec)) as ExperimentSpec;
    trialSpec.sweep = {};
    let trialCase: TrialCase | undefined;
    for (const [path, v, pick] of picks) {
      if (path === SWEEP_CASES_KEY && isPlainObject(v)) {
        trialCase = applyCase(trialSpec, v, pick, values);
        continue;
      }
      values[path] = deepClone(v);
      setAtPath(trialSpec, path, deepClone(v));
    }
    const trial: Trial = { index, count, values, spec: resolveSpec(trialSpec) };
    if (trialCase) trial.case = trialCase;
    trials.push(trial);
  }
  return trials;
}

function applyCase(
  trialSpec: ExperimentSpec,
  entry: Record<string, unknown>,
  index: number,
  values: Record<string, unknown>,
): TrialCase {
  const paths: string[] = [];
  for (const [path, v] of Object.entries(entry)) {
    if (path === CASE_LABEL_KEY) continue;
    paths.push(path);
    values[path] = deepClone(v);
    setAtPath(trialSpec, path, deepClone(v));
  }
  const label = entry[CASE_LABEL_KEY];
  return typeof label === 'string' ? { index, label, paths } : { index, paths };
}

/**
 * `regularization.type=none, training.seed=1`; "" when the experiment is a single trial. A labelled
 * case shows as its label in place of the paths it set.
 */
export function trialLabel(trial: Trial): string {
  if (trial.count <= 1) return '';
  const fromCase = new Set(trial.case?.label === undefined ? [] : trial.case.paths);
  const parts = Object.entries(trial.values)
    .filter(([path]) => !fromCase.has(path))
    .map(([path, v]) => `${path}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return trial.case?.label === undefined ? parts.join(', ') : [trial.case.label, ...parts].join(', ');
}
