// Telling many runs apart (docs/architecture.md: DVC caps compared runs at 7 colours). A run's look is a
// colour from the theme palette combined with a dash pattern: palette × dashes distinct looks, then
// generated hues so no two of the first few hundred runs look the same. The layers of a per-layer
// metric are drawn in shades of their run's colour (layerShade).
import { awayFrom, ensureContrast, mix, parseColor, relativeLuminance, toHex } from './contrast';

/** Dash patterns for runs; the first is solid. Theory overlays use THEORY_DASH, which is not among them. */
export const RUN_DASHES: readonly (readonly number[])[] = [[], [8, 4], [3, 3], [12, 3, 3, 3], [2, 6]];
export const THEORY_DASH: readonly number[] = [1, 3];

export interface LineLook {
  color: string;
  dash: number[];
}

/** `hsl(h, s%, l%)` as `#rrggbb`. */
function hslHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return toHex({ r: 255 * f(0), g: 255 * f(8), b: 255 * f(4), a: 1 });
}

/**
 * The look of the run at `index`: palette colour and dash. Past palette × dashes, generated hues, lighter
 * on a dark `background` and darker on a light one, at least 3.5:1 against it.
 */
export function runLook(index: number, palette: readonly string[], background?: string): LineLook {
  const p = Math.max(1, palette.length);
  const d = RUN_DASHES.length;
  const cycle = Math.floor(index / (p * d));
  let color: string;
  if (cycle === 0 || palette.length === 0) color = palette[index % p] ?? '#888888';
  else {
    const bg = background === undefined ? undefined : parseColor(background);
    const dark = bg !== undefined && relativeLuminance(bg) < 0.18;
    // Golden-angle hue steps keep generated colours far apart from each other.
    color = hslHex((index * 137.508) % 360, 0.65, dark ? 0.62 : 0.4);
    // 3.5, not 3: a margin over WCAG's 3:1 for the hues no one tuned by eye.
    if (background !== undefined) color = ensureContrast(color, background, 3.5);
  }
  return { color, dash: [...RUN_DASHES[Math.floor(index / p) % d]] };
}

/** How far the last layer's shade moves from the run colour (towards black or white). */
export const LAYER_SHADE_SPAN = 0.55;

/**
 * The colour of layer `index` of `count` in a run's colour: the first layer is the run colour itself,
 * later ones move towards white on a dark background and towards black on a light one, so every shade
 * keeps (at least) the run colour's contrast against the background.
 */
export function layerShade(color: string, index: number, count: number, background: string): string {
  const c = parseColor(color);
  const bg = parseColor(background);
  if (!c || !bg || count <= 1 || index <= 0) return color;
  const t = (LAYER_SHADE_SPAN * Math.min(index, count - 1)) / (count - 1);
  return toHex(mix({ ...c, a: 1 }, awayFrom({ ...c, a: 1 }, bg), t));
}

/** `#rrggbb`, `rgb()` or `hsl()` with an alpha, for bands. */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (hex) {
    const h = hex[1].length === 3 ? [...hex[1]].map((ch) => ch + ch).join('') : hex[1];
    const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const fn = /^(rgb|hsl)a?\(([^)]*)\)$/i.exec(c);
  if (fn) {
    const parts = fn[2]
      .split(/[\s,/]+/)
      .filter(Boolean)
      .slice(0, 3);
    return `${fn[1].toLowerCase()}a(${parts.join(', ')}, ${alpha})`;
  }
  return c;
}
