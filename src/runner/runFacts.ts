// What the mechanism verdict (src/protocol/verdict.ts) needs to know of a run: from its resolved spec
// (spec.json) the optimizer, BN, the regularizer and the seed, and a key that is equal for runs that differ
// only in the regularizer and the seed. (Which layers are scale-invariant and decayed is RunView.layers.)
import { readFileSync } from 'node:fs';
import type { RunFacts } from '../protocol/runs';
import { resolveSpec } from '../spec';
import { optimizerDescriptor } from '../spec/optimizers';
import type { ExperimentSpec } from '../spec/types';
import { runFiles } from './runStore';

/** JSON with object keys sorted at every level, so that equal values give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The configuration two runs must share to be compared by their regularizer: everything that shapes the
 * training trajectory except the regularizer's type, coefficient and scope and the seed. Left out as well:
 * names, where the data lives, the backend and threads (the same step on any of them), how often records,
 * checkpoints and measurements are taken, and the test batch size (inference only).
 */
export function contrastConfig(spec: ExperimentSpec): string {
  const { path: _path, ...data } = spec.data;
  return canonical({
    data,
    model: spec.model,
    optimizer: spec.optimizer,
    schedule: spec.schedule,
    training: { epochs: spec.training.epochs, batchSize: spec.training.batchSize },
    normTransfer: spec.regularization.normTransfer,
  });
}

export function runFacts(spec: ExperimentSpec): RunFacts {
  const descriptor = optimizerDescriptor(spec.optimizer.type);
  return {
    optimizer: spec.optimizer.type,
    optimizerName: descriptor.displayName,
    paperOptimizer: descriptor.paper.counterpart,
    inPaper: descriptor.paper.inPaper,
    effectiveLr: descriptor.effectiveLr?.stem,
    batchNorm: spec.model.batchNorm,
    regularization: spec.regularization.type,
    coefficient: spec.regularization.coefficient,
    apply: spec.regularization.apply,
    seed: spec.training.seed,
    config: contrastConfig(spec),
  };
}

/** spec.json's parsed JSON as a resolved spec; undefined when it is not one (a damaged or foreign file). */
export function specFromJson(json: unknown): ExperimentSpec | undefined {
  try {
    const spec = resolveSpec(json);
    const ok =
      typeof spec?.optimizer?.type === 'string' &&
      typeof spec.model?.batchNorm === 'boolean' &&
      typeof spec.regularization?.type === 'string' &&
      typeof spec.regularization.coefficient === 'number' &&
      typeof spec.training?.seed === 'number';
    return ok ? spec : undefined;
  } catch {
    return undefined;
  }
}

/** A run folder's resolved spec.json, or undefined when it is missing or damaged (the facts are left out). */
export function readSpecIfAny(runDir: string): ExperimentSpec | undefined {
  try {
    return specFromJson(JSON.parse(readFileSync(runFiles(runDir).spec, 'utf8')));
  } catch {
    return undefined;
  }
}
