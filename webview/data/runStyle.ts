// Telling many runs apart (conventions.md: DVC caps compared runs at 7 colours). A run's look is a
// colour from the theme palette combined with a dash pattern: palette × dashes distinct looks, then
// generated hues so no two of the first few hundred runs look the same.

/** Dash patterns for runs; the first is solid. Theory overlays use THEORY_DASH, which is not among them. */
export const RUN_DASHES: readonly (readonly number[])[] = [[], [8, 4], [3, 3], [12, 3, 3, 3], [2, 6]];
export const THEORY_DASH: readonly number[] = [1, 3];

export interface LineLook {
  color: string;
  dash: number[];
}

export function runLook(index: number, palette: readonly string[]): LineLook {
  const p = Math.max(1, palette.length);
  const d = RUN_DASHES.length;
  const cycle = Math.floor(index / (p * d));
  const color =
    cycle === 0 || palette.length === 0
      ? (palette[index % p] ?? '#888888')
      : // Golden-angle hue steps keep generated colours far apart from each other.
        `hsl(${Math.round((index * 137.508) % 360)}, 65%, 55%)`;
  return { color, dash: [...RUN_DASHES[Math.floor(index / p) % d]] };
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
