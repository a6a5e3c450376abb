// Parsing "JSON with comments" with jsonc-parser, keeping the tree so every problem can be placed at
// a line and column of the user's text.
import {
  createScanner,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
  SyntaxKind,
} from 'jsonc-parser';
import { formatPath, type Segment } from './paths';
import { error, type Problem } from './problem';
import type { SpecDiagnostic } from './types';

export interface SpecDocument {
  text: string;
  /** Undefined for empty text. */
  root: Node | undefined;
  /** The plain value (jsonc-parser keeps the last of duplicate keys, like JSON.parse). */
  value: unknown;
  /** Syntax errors and duplicate keys. */
  problems: Problem[];
  /** Offsets at which each line starts, for line:column. */
  lineStarts: number[];
}

/**
 * Deepest nesting of objects and arrays a spec may have. A real spec nests 5 levels (sweep.cases);
 * far deeper text would overflow the parser's and the validator's recursion, so it is refused first.
 */
export const MAX_NESTING = 64;

export function parseSpecDocument(text: string): SpecDocument {
  const tooDeep = nestingBeyond(text, MAX_NESTING);
  if (tooDeep !== undefined) {
    const problem: Problem = {
      ...error(
        [],
        `nesting deeper than ${MAX_NESTING} levels of objects and arrays: not a spec (a spec nests about 5)`,
      ),
      range: { offset: tooDeep, length: 1 },
    };
    return { text, root: undefined, value: undefined, problems: [problem], lineStarts: lineStarts(text) };
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const problems: Problem[] = errors.map((e) => ({
    ...error([], `syntax error: ${describeParseError(e)}`),
    range: { offset: e.offset, length: Math.max(e.length, 1) },
  }));
  if (root && errors.length === 0) problems.push(...duplicateKeys(root, []), ...nonFiniteNumbers(root, text));
  return { text, root, value: root ? getNodeValue(root) : undefined, problems, lineStarts: lineStarts(text) };
}

/** The offset of the bracket that opens level `max + 1`, or undefined (jsonc-parser's scanner: no recursion). */
function nestingBeyond(text: string, max: number): number | undefined {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      depth += 1;
      if (depth > max) return scanner.getTokenOffset();
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth -= 1;
    }
  }
  return undefined;
}

/**
 * Numbers JSON can write but a float64 cannot hold: `1e400` parses as Infinity, which no field accepts
 * and which JSON.stringify would turn into null in spec.json.
 */
function nonFiniteNumbers(root: Node, text: string): Problem[] {
  const problems: Problem[] = [];
  const stack: { node: Node; segments: Segment[] }[] = [{ node: root, segments: [] }];
  while (stack.length > 0) {
    const { node, segments } = stack.pop()!;
    if (node.type === 'number' && !Number.isFinite(node.value)) {
      const written = text.slice(node.offset, node.offset + Math.min(node.length, 40));
      problems.push({
        ...error(
          segments,
          `not a finite number: ${written} is beyond the range of a 64-bit float (±1.8e308) and reads as ${node.value}`,
        ),
        range: { offset: node.offset, length: node.length },
      });
    } else if (node.type === 'object') {
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (valueNode) stack.push({ node: valueNode, segments: [...segments, String(keyNode?.value)] });
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => {
        stack.push({ node: child, segments: [...segments, i] });
      });
    }
  }
  return problems;
}

/** `comma expected (CommaExpected)`: words for people, the code for searching. */
function describeParseError(e: ParseError): string {
  const code = printParseErrorCode(e.error);
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `${words} (${code})`;
}

/** Duplicate keys parse without complaint, but only the last one counts: almost always a mistake. */
function duplicateKeys(node: Node, segments: Segment[]): Problem[] {
  const problems: Problem[] = [];
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      const key = String(keyNode?.value);
      if (seen.has(key)) {
        const where = formatPath(segments) || 'the spec';
        problems.push({
          ...error(
            [...segments, key],
            `duplicate key "${key}" in ${where}; only the last one would count`,
            'key',
          ),
          range: { offset: keyNode.offset, length: keyNode.length },
        });
      }
      seen.add(key);
      if (valueNode) problems.push(...duplicateKeys(valueNode, [...segments, key]));
    }
  } else if (node.type === 'array') {
    (node.children ?? []).forEach((child, i) => {
      problems.push(...duplicateKeys(child, [...segments, i]));
    });
  }
  return problems;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** 1-based line and column of a 0-based offset. */
export function lineColumn(doc: SpecDocument, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = doc.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - doc.lineStarts[lo] + 1 };
}

/** The value node at `segments`, or the deepest node that exists on the way (and whether it is exact). */
function findNode(root: Node, segments: readonly Segment[]): { node: Node; exact: boolean } {
  let node = root;
  for (const seg of segments) {
    let next: Node | undefined;
    if (node.type === 'object') {
      // The last property with that key: it is the one whose value the spec has.
      const props = (node.children ?? []).filter((p) => p.children?.[0]?.value === String(seg));
      next = props[props.length - 1]?.children?.[1];
    } else if (node.type === 'array' && typeof seg === 'number') {
      next = node.children?.[seg];
    }
    if (!next) return { node, exact: false };
    node = next;
  }
  return { node, exact: true };
}

/** The key node of a property value, if the value is the value of a property. */
function keyOf(node: Node): Node | undefined {
  return node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
}

/** Places a problem in the text. */
export function locate(doc: SpecDocument, problem: Problem): SpecDiagnostic {
  const base = { severity: problem.severity, message: problem.message, path: formatPath(problem.segments) };
  let range = problem.range;
  // A suggestion replaces the very node it was made for, so only a range placed exactly keeps it.
  let placed = range !== undefined;
  if (!range) {
    if (!doc.root) range = { offset: 0, length: 0 };
    else {
      const { node, exact } = findNode(doc.root, problem.segments);
      const key = keyOf(node);
      placed = exact && (problem.anchor === 'value' || (problem.anchor === 'key' && key !== undefined));
      if (exact && problem.anchor === 'value') range = { offset: node.offset, length: node.length };
      else if (exact && problem.anchor === 'key' && key) range = { offset: key.offset, length: key.length };
      // A value the user did not write (a default): point at the nearest block that holds it.
      else if (!exact && key) range = { offset: key.offset, length: key.length };
      else range = { offset: node.offset, length: 1 };
    }
  }
  const suggestion = placed && problem.suggestion !== undefined ? { suggestion: problem.suggestion } : {};
  return {
    ...base,
    ...lineColumn(doc, range.offset),
    offset: range.offset,
    length: range.length,
    ...suggestion,
  };
}
