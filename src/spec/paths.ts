// Paths into a spec, in the three spellings the module meets: segment arrays (walking the JSON tree),
// JSON pointers (ajv's instancePath), and the dotted/bracket form users read in diagnostics and write
// as sweep keys.

/** One step into a JSON value: an object key or an array index. */
export type Segment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Segments as users read them: `optimizer.momentum`, `sweep["training.seed"][1]`, `model.hidden[0]`. */
export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Turns ajv's instancePath (a JSON pointer) into segments. A pointer does not say whether "1" is a key
 * or an index, so the data decides: inside an array it is an index.
 */
export function pointerToSegments(pointer: string, data: unknown): Segment[] {
  if (pointer === '') return [];
  const segments: Segment[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      const index = Number(key);
      segments.push(index);
      node = node[index];
    } else {
      segments.push(key);
      node = isPlainObject(node) ? node[key] : undefined;
    }
  }
  return segments;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON values only (specs come from JSON), so a JSON round trip is an exact deep copy. */
export function deepClone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Value at a dotted path such as `optimizer.lr`; undefined when any step is missing. */
export function getAtPath(obj: unknown, dotted: string): unknown {
  let node: unknown = obj;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * Sets the value at a dotted path, creating missing objects on the way (a sweep may set
 * `training.seed` in a spec that has no `training` block). Throws when a step is not an object.
 */
export function setAtPath(obj: object, dotted: string, v: unknown): void {
  const keys = dotted.split('.');
  let node = obj as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined) node[key] = {};
    const next = node[key];
    if (!isPlainObject(next)) throw new Error(`cannot set "${dotted}": "${key}" is not an object`);
    node = next;
  }
  node[keys[keys.length - 1]] = v;
}

/** Short rendering of a value for messages: `"cifar-10"`, `-0.1`, `a list`, `an object`. */
export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'an object';
  // JSON.stringify writes Infinity and NaN as null.
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
