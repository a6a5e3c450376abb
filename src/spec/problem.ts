// A problem found in a spec value, before it is placed in the text. Checks work on plain values and
// say where by path; parse.ts turns the path into line, column and range.
import type { Segment } from './paths';
import type { Severity } from './types';

/** Which part of the node at `segments` the problem points at. */
export type Anchor =
  /** The value (an out-of-range number, an enum typo). */
  | 'value'
  /** The property key (an unknown or misplaced key). */
  | 'key'
  /** The first character of the value (a missing key in an object: squiggle `{`, not the whole block). */
  | 'start';

export interface Problem {
  severity: Severity;
  segments: Segment[];
  anchor: Anchor;
  message: string;
  /** An exact range when the path alone is ambiguous (the second of two duplicate keys). */
  range?: { offset: number; length: number };
  /** The string the message's "did you mean" proposes for the key or string value the problem points at. */
  suggestion?: string;
}

export function error(segments: Segment[], message: string, anchor: Anchor = 'value'): Problem {
  return { severity: 'error', segments, anchor, message };
}

export function warning(segments: Segment[], message: string, anchor: Anchor = 'value'): Problem {
  return { severity: 'warning', segments, anchor, message };
}
