// Contrast of line colours against the chart background (WCAG 2.x): relative luminance and contrast
// ratio, alpha compositing (a line drawn at 33% opacity is seen as its blend with the background), and
// a nudge towards black or white for colours that a custom theme's background leaves too faint.
// https://www.w3.org/TR/WCAG22/#dfn-relative-luminance — graphics need 3:1 (success criterion 1.4.11).

export interface Rgba {
  r: number;
  g: number;
  b: number;
  /** 0..1 */
  a: number;
}

/** `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()`/`rgba()`; undefined for anything else. */
export function parseColor(css: string): Rgba | undefined {
  const c = css.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(c);
  if (hex) {
    const h = hex[1].length <= 4 ? [...hex[1]].map((ch) => ch + ch).join('') : hex[1];
    const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    return { r, g, b, a: h.length === 8 ? Number.parseInt(h.slice(6), 16) / 255 : 1 };
  }
  const fn = /^rgba?\(([^)]*)\)$/.exec(c);
  if (!fn) return undefined;
  const parts = fn[1].split(/[\s,/]+/).filter(Boolean);
  if (parts.length < 3) return undefined;
  const channel = (p: string) => (p.endsWith('%') ? (Number.parseFloat(p) * 255) / 100 : Number(p));
  const [r, g, b] = parts.slice(0, 3).map(channel);
  const a =
    parts[3] === undefined
      ? 1
      : parts[3].endsWith('%')
        ? Number.parseFloat(parts[3]) / 100
        : Number(parts[3]);
  if (![r, g, b, a].every(Number.isFinite)) return undefined;
  return { r, g, b, a };
}

export const toHex = ({ r, g, b }: Rgba): string =>
  `#${[r, g, b]
    .map((v) =>
      Math.round(Math.min(255, Math.max(0, v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

/** WCAG 2.x relative luminance of an opaque sRGB colour. */
export function relativeLuminance({ r, g, b }: Rgba): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** `fg` drawn with its alpha over an opaque `bg`: the colour the eye sees. */
export function composite(fg: Rgba, bg: Rgba): Rgba {
  const mixC = (f: number, b: number) => f * fg.a + b * (1 - fg.a);
  return { r: mixC(fg.r, bg.r), g: mixC(fg.g, bg.g), b: mixC(fg.b, bg.b), a: 1 };
}

/** Contrast ratio (1..21) of `fg` (composited at its alpha) against the opaque background `bg`. */
export function contrastRatio(fg: Rgba, bg: Rgba): number {
  const l1 = relativeLuminance(composite(fg, bg));
  const l2 = relativeLuminance(bg);
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}

/** `c` moved a fraction `t` of the way to `to` (opaque). */
export const mix = (c: Rgba, to: Rgba, t: number): Rgba => ({
  r: c.r + (to.r - c.r) * t,
  g: c.g + (to.g - c.g) * t,
  b: c.b + (to.b - c.b) * t,
  a: 1,
});

const BLACK: Rgba = { r: 0, g: 0, b: 0, a: 1 };
const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 1 };

/**
 * White for a colour lighter than the background, black for one darker: mixing `c` towards it only
 * moves it further from the background, so its contrast can only grow.
 */
export const awayFrom = (c: Rgba, bg: Rgba): Rgba =>
  relativeLuminance(c) >= relativeLuminance(bg) ? WHITE : BLACK;

/**
 * `color` as is when it reaches `min`:1 against `background`, else mixed towards black or white (away
 * from the background) in small steps until it does. Colours or backgrounds it cannot parse pass through.
 */
export function ensureContrast(color: string, background: string, min = 3): string {
  const c = parseColor(color);
  const bg = parseColor(background);
  if (!c || !bg || bg.a < 1 || contrastRatio({ ...c, a: 1 }, bg) >= min) return color;
  // A colour as dark as a dark background gets lighter (and vice versa), whichever reaches `min`.
  const opaque = { ...c, a: 1 };
  const to = contrastRatio(WHITE, bg) >= contrastRatio(BLACK, bg) ? WHITE : BLACK;
  for (let t = 0.05; t < 1; t += 0.05) {
    // Measured as it will be drawn: rounded to #rrggbb.
    const hex = toHex(mix(opaque, to, t));
    if (contrastRatio(parseColor(hex)!, bg) >= min) return hex;
  }
  return toHex(to);
}
