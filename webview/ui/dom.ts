// Tiny DOM helpers: elements are built with the DOM API (never innerHTML with data), so run labels and
// metric names are always text.

type Attrs = Record<string, string | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function button(
  label: string,
  ariaLabel: string,
  onClick: (e: MouseEvent) => void,
  cls = 'wd-btn',
): HTMLButtonElement {
  const b = el('button', { type: 'button', class: cls, 'aria-label': ariaLabel, title: ariaLabel }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function toggleButton(
  label: string,
  ariaLabel: string,
  pressed: boolean,
  onToggle: (pressed: boolean) => void,
): HTMLButtonElement {
  const b = button(
    label,
    ariaLabel,
    () => onToggle(b.getAttribute('aria-pressed') !== 'true'),
    'wd-btn wd-toggle',
  );
  b.setAttribute('aria-pressed', String(pressed));
  return b;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A short line sample in a run's colour and dash pattern (legend swatch). */
export function lineSwatch(color: string, dash: readonly number[], band = false): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'wd-swatch');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '10');
  svg.setAttribute('aria-hidden', 'true');
  if (band) {
    const rect = document.createElementNS(SVG, 'rect');
    for (const [k, v] of Object.entries({
      x: '0',
      y: '1',
      width: '28',
      height: '8',
      fill: color,
      'fill-opacity': '0.2',
    })) {
      rect.setAttribute(k, v);
    }
    svg.append(rect);
  }
  const line = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({
    x1: '1',
    y1: '5',
    x2: '27',
    y2: '5',
    stroke: color,
    'stroke-width': '2',
  })) {
    line.setAttribute(k, v);
  }
  if (dash.length > 0) line.setAttribute('stroke-dasharray', dash.join(' '));
  svg.append(line);
  return svg;
}
