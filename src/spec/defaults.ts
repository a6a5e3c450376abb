// The resolved spec: every default filled in from the schema's `default`s (and the per-type defaults of
// the optimizer/schedule variants), so the engine and the run store never guess.
import { ARCH_DEPTHS, DATASET_CLASSES, EXACT_JACOBIAN_MAX_CLASSES } from './catalog';
import { deepClone, isPlainObject } from './paths';
import { experimentSchema, type SchemaNode, variantFor } from './schema';
import type { Arch, DatasetName, ExperimentSpec } from './types';

/**
 * Fills defaults into a (validated) spec value. Idempotent, so a resolved spec with sweep values set
 * into it can be resolved again: a variant object keeps only its own fields, which is how a trial that
 * turns an SGD optimizer into Adam loses `momentum` and gains `betas` and `eps`.
 */
export function resolveSpec(raw: unknown): ExperimentSpec {
  const spec = fillDefaults(raw, experimentSchema) as ExperimentSpec;
  if (isPlainObject(spec) && isPlainObject(spec.model)) resolveDepth(spec.model);
  if (isPlainObject(spec) && isPlainObject(spec.metrics) && isPlainObject(spec.data))
    resolveJacobian(spec.metrics, spec.data);
  return spec;
}

function fillDefaults(value: unknown, schema: SchemaNode): unknown {
  const props = schema.properties;
  if (!isPlainObject(value) || !props) return deepClone(value);
  const variant = variantFor(schema, value);
  const allowed = (variant?.fields ?? Object.keys(props)).filter((k) => k in props);
  const out: Record<string, unknown> = {};
  // Keys the user wrote keep their order (it is the sweep's trial order); defaults follow.
  for (const key of Object.keys(value)) {
    if (allowed.includes(key) && value[key] !== undefined) out[key] = fillDefaults(value[key], props[key]);
  }
  for (const key of allowed) {
    if (key in out) continue;
    const fallback = variant && key in variant.defaults ? variant.defaults[key] : props[key].default;
    if (fallback !== undefined) out[key] = fillDefaults(deepClone(fallback), props[key]);
  }
  return out;
}

/** Depth depends on the architecture, which a schema default cannot express. */
function resolveDepth(model: Record<string, unknown>): void {
  const arch = model.arch as Arch;
  if (arch === 'mlp') {
    // An MLP's depth is its number of weight layers; a written `depth` is ignored (with a warning).
    if (Array.isArray(model.hidden)) model.depth = model.hidden.length + 1;
  } else if (model.depth === undefined && ARCH_DEPTHS[arch]) {
    model.depth = ARCH_DEPTHS[arch]?.[0];
  }
}

/**
 * The Jacobian-norm estimator depends on the number of classes C, which a schema default cannot express:
 * `exact` costs C backward passes, so it is the default up to 10 classes and `projection` above.
 */
function resolveJacobian(metrics: Record<string, unknown>, data: Record<string, unknown>): void {
  if (metrics.jacobian !== undefined) return;
  const classes = DATASET_CLASSES[data.dataset as DatasetName] ?? 0;
  metrics.jacobian = classes > EXACT_JACOBIAN_MAX_CLASSES ? 'projection' : 'exact';
}
