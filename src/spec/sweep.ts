// Sweep expansion: the cartesian product of the sweep's value lists, one resolved spec per trial.
import { resolveSpec } from './defaults';
import { deepClone, setAtPath } from './paths';
import type { ExperimentSpec, Trial } from './types';

/**
 * Trials in key order with the last key varying fastest (like nested loops written in key order).
 * Each trial spec is an independent deep copy with its values applied, `sweep` emptied, and defaults
 * re-resolved, so a value that changes a type (optimizer.type = "adam") gets that type's own fields.
 */
export function expandSweep(spec: ExperimentSpec): Trial[] {
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
        return [path, list[pick]] as const;
      })
      .reverse();
    const trialSpec = deepClone(spec);
    trialSpec.sweep = {};
    for (const [path, v] of picks) {
      values[path] = deepClone(v);
      setAtPath(trialSpec, path, deepClone(v));
    }
    trials.push({ index, count, values, spec: resolveSpec(trialSpec) });
  }
  return trials;
}

/** `regularization.type=none, training.seed=1`; "" when the experiment is a single trial. */
export function trialLabel(trial: Trial): string {
  if (trial.count <= 1) return '';
  return Object.entries(trial.values)
    .map(([path, v]) => `${path}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}
