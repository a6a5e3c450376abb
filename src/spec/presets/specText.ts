// Spec files as people write them: JSON with `//` comment lines on top, and every object or list that
// fits on one line written on one line (the style of examples/*.wdlab.json).

export interface RenderOptions {
  /** Line width to fit objects and lists into (biome's 110). */
  width?: number;
  /** Dotted key paths of lists whose items go on one line each however long (a table's rows). */
  oneLineItems?: readonly string[];
}

const inline = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }`;
  }
  return JSON.stringify(v);
};

function render(
  v: unknown,
  at: { indent: string; prefix: string; path: string; root: boolean },
  options: Required<RenderOptions>,
): string {
  const flat = inline(v);
  const isContainer = typeof v === 'object' && v !== null;
  if (!isContainer || (!at.root && at.indent.length + at.prefix.length + flat.length + 1 <= options.width)) {
    return flat;
  }
  const indent = `${at.indent}  `;
  if (Array.isArray(v)) {
    const oneLine = options.oneLineItems.includes(at.path);
    const items = v.map(
      (x) =>
        `${indent}${oneLine ? inline(x) : render(x, { indent, prefix: '', path: at.path, root: false }, options)}`,
    );
    return `[\n${items.join(',\n')}\n${at.indent}]`;
  }
  const lines = Object.entries(v)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => {
      const prefix = `${JSON.stringify(k)}: `;
      const path = at.path === '' ? k : `${at.path}.${k}`;
      return `${indent}${prefix}${render(x, { indent, prefix, path, root: false }, options)}`;
    });
  return `{\n${lines.join(',\n')}\n${at.indent}}`;
}

/** `value` (a JSON object) as spec text: the comment lines, then the object; ends with a newline. */
export function renderSpecText(
  value: object,
  comments: readonly string[] = [],
  options: RenderOptions = {},
): string {
  const full = { width: options.width ?? 110, oneLineItems: options.oneLineItems ?? [] };
  const body = render(value, { indent: '', prefix: '', path: '', root: true }, full);
  const head = comments.map((c) => `// ${c}`.trimEnd());
  return [...head, body, ''].join('\n');
}

/** Words joined into lines of at most `width` characters (for comment blocks). */
export function wrapText(text: string, width = 104): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
