// The JSON Schema (schemas/experiment.schema.json, also the editor's completion and hover) and ajv
// validation against it, with ajv's errors rewritten as located, human messages.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schemaJson from '../../schemas/experiment.schema.json';
import { describeValue, formatPath, isPlainObject, pointerToSegments, type Segment } from './paths';
import { error, type Problem } from './problem';
import { closestMatch, didYouMean } from './suggest';

/** The parts of JSON Schema this module reads. */
export interface SchemaNode {
  $schema?: string;
  type?: string | string[];
  description?: string;
  markdownDescription?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  enumDescriptions?: string[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  allOf?: SchemaNode[];
  if?: SchemaNode;
  then?: SchemaNode;
  $ref?: string;
  minItems?: number;
  maxItems?: number;
  patternErrorMessage?: string;
  defaultSnippets?: unknown[];
}

export const experimentSchema = schemaJson as unknown as SchemaNode;

/** Fields not under the sweep: they name or describe the experiment, or are the sweep itself. */
export const NOT_SWEEPABLE: Record<string, string> = {
  name: 'it names the run directories',
  description: 'it describes the whole experiment',
  sweep: 'a sweep cannot sweep itself',
  $schema: 'it tells editors which schema the file follows',
};

/** One branch of a type-discriminated object (optimizer, schedule): `if type = X then ...`. */
export interface Variant {
  discriminator: string;
  value: string;
  /** Exactly the fields of this variant, discriminator first. */
  fields: string[];
  /** Per-variant defaults (e.g. Adam's lr), overriding the field's own default. */
  defaults: Record<string, unknown>;
}

/** The variants declared by an object schema's allOf if/then list. */
export function variantsOf(schema: SchemaNode): Variant[] {
  const variants: Variant[] = [];
  for (const branch of schema.allOf ?? []) {
    const conditions = Object.entries(branch.if?.properties ?? {});
    const thenProps = branch.then?.properties;
    if (conditions.length !== 1 || !thenProps) continue;
    const [discriminator, condition] = conditions[0];
    if (typeof condition.const !== 'string') continue;
    const defaults: Record<string, unknown> = {};
    for (const [field, sub] of Object.entries(thenProps))
      if (sub.default !== undefined) defaults[field] = sub.default;
    variants.push({ discriminator, value: condition.const, fields: Object.keys(thenProps), defaults });
  }
  return variants;
}

/** The variant a value selects, if its schema is discriminated and the value names a known variant. */
export function variantFor(schema: SchemaNode, value: unknown): Variant | undefined {
  if (!isPlainObject(value)) return undefined;
  return variantsOf(schema).find((v) => value[v.discriminator] === v.value);
}

/**
 * The sweep key whose values are cases: objects that set several paths at once, one trial per case (a grid
 * that is not a cartesian product, such as the paper's Table 1). Its keys are the sweepable paths plus
 * `CASE_LABEL_KEY`.
 */
export const SWEEP_CASES_KEY = 'cases';
/** The key of a case that names its trials instead of listing its values. */
export const CASE_LABEL_KEY = 'label';

/** Dotted paths a sweep may vary: the sweep block's declared properties, but for `cases`. */
export function sweepablePaths(): string[] {
  return Object.keys(experimentSchema.properties?.sweep?.properties ?? {}).filter(
    (k) => k !== SWEEP_CASES_KEY,
  );
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  // strict: false lets ajv accept VS Code's keywords (enumDescriptions, markdownDescription,
  // defaultSnippets, patternErrorMessage); verbose gives each error its data and parent schema.
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(experimentSchema);
  return validator;
}

/** Schema problems of a spec value, one clear message per problem. */
export function schemaProblems(value: unknown): Problem[] {
  const validate = compiled();
  if (validate(value)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    // `if` errors only wrap the real error inside `then` ("must match then schema"): drop them.
    if (e.keyword === 'if') continue;
    const problem = humanize(e, pointerToSegments(e.instancePath, value));
    const id = `${formatPath(problem.segments)}\u0000${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(problem);
  }
  return problems;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

const COMPARISONS: Record<string, string> = {
  minimum: '>=',
  exclusiveMinimum: '>',
  maximum: '<=',
  exclusiveMaximum: '<',
};

/** The problem with the candidate its "did you mean" names as its suggestion (for an editor's quick fix). */
function suggesting(problem: Problem, word: string, candidates: readonly string[]): Problem {
  const suggestion = closestMatch(word, candidates);
  return suggestion === undefined ? problem : { ...problem, suggestion };
}

function humanize(e: ErrorObject, segments: Segment[]): Problem {
  const subject = formatPath(segments) || 'the spec';
  const got = `(got ${describeValue(e.data)})`;
  const params = e.params as Record<string, unknown>;
  const parent = e.parentSchema as SchemaNode | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(parent?.properties ?? {});
      const at = [...segments, key];
      const inCase = segments.length === 3 && segments[0] === 'sweep' && segments[1] === SWEEP_CASES_KEY;
      if ((segments.length === 1 && segments[0] === 'sweep') || inCase) {
        if (key in NOT_SWEEPABLE) return error(at, `"${key}" cannot be swept (${NOT_SWEEPABLE[key]})`, 'key');
        const where = inCase ? ` in ${subject}` : '';
        return suggesting(
          error(at, `unknown sweep path "${key}"${where}${didYouMean(key, allowed)}`, 'key'),
          key,
          allowed,
        );
      }
      const where = segments.length === 0 ? 'the spec' : subject;
      return suggesting(
        error(at, `unknown key "${key}" in ${where}${didYouMean(key, allowed)}`, 'key'),
        key,
        allowed,
      );
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const where = segments.length === 0 ? 'the spec' : subject;
      return error(segments, `${where} is missing the required key "${missing}"`, 'start');
    }
    case 'type': {
      const types = String(params.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t);
      return error(segments, `${subject} must be ${types.join(' or ')} ${got}`);
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const list = allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
      if (typeof e.data !== 'string') return error(segments, `${subject} must be one of: ${list} ${got}`);
      const words = allowed.filter((v): v is string => typeof v === 'string');
      return suggesting(
        error(segments, `${subject} must be one of: ${list} ${got}${didYouMean(e.data, words)}`),
        e.data,
        words,
      );
    }
    case 'const':
      return error(segments, `${subject} must be ${describeValue(params.allowedValue)} ${got}`);
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return error(segments, `${subject} must be ${COMPARISONS[e.keyword]} ${params.limit} ${got}`);
    case 'minItems':
      if (params.limit === 1) return error(segments, `${subject} must be a non-empty list`);
      return error(segments, `${subject} must have at least ${params.limit} items (got ${countOf(e.data)})`);
    case 'maxItems':
      return error(segments, `${subject} must have at most ${params.limit} items (got ${countOf(e.data)})`);
    case 'minProperties':
      return error(segments, `${subject} must not be empty`, 'start');
    case 'minLength':
      return error(segments, `${subject} must not be empty`);
    case 'maxLength':
      return error(
        segments,
        `${subject} must be at most ${params.limit} characters (got ${String(e.data).length})`,
      );
    case 'pattern':
      return error(
        segments,
        `${subject} ${parent?.patternErrorMessage ?? `must match ${String(params.pattern)}`} ${got}`,
      );
    default:
      return error(segments, `${subject} ${e.message ?? 'is invalid'}`);
  }
}

function countOf(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}
