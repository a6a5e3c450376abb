// Theme colours from CSS variables. VS Code injects `--vscode-*` into the webview and swaps them with the
// body class (vscode-light / vscode-dark / vscode-high-contrast / vscode-high-contrast-light);
// media/webview.css maps them to `--wd-*` with fallbacks for the standalone report, so this module reads
// one set of names. Line colours are not VS Code's `charts.*` colours (some themes define them
// translucent: Dark Modern's orange is rgba(234,92,0,0.33)) but a palette per theme kind
// (data/palette.ts), checked against the actual background.
import { ensureContrast, parseColor, relativeLuminance } from './data/contrast';
import { PALETTES, type ThemeKind, themeKind } from './data/palette';

export interface Theme {
  kind: ThemeKind;
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Line colours, one per run: the theme kind's palette, each at least 3:1 against `background`. */
  palette: string[];
}

/** The palette for a theme kind, nudged where a custom theme's background leaves a colour below 3:1. */
export function paletteFor(kind: ThemeKind, background: string): string[] {
  return PALETTES[kind].map((c) => ensureContrast(c, background, 3));
}

export function readTheme(el: Element = document.body): Theme {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const background = v('--wd-bg', '#ffffff');
  const bg = parseColor(background);
  const kind = themeKind(
    Array.from(el.classList),
    bg && bg.a === 1 ? relativeLuminance(bg) : undefined,
    globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false,
  );
  return {
    kind,
    foreground: v('--wd-fg', '#333333'),
    muted: v('--wd-muted', '#717171'),
    grid: v('--wd-grid', 'rgba(128, 128, 128, 0.25)'),
    background,
    fontFamily: v('--wd-font', 'system-ui, sans-serif'),
    fontSize: Number.parseFloat(v('--wd-font-size', '12')) || 12,
    palette: paletteFor(kind, background),
  };
}

/** Calls `onChange` when VS Code switches theme (it rewrites the body class and the variables). */
export function watchTheme(onChange: () => void): MutationObserver {
  const observer = new MutationObserver(() => onChange());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  const dark = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
  dark?.addEventListener?.('change', onChange);
  return observer;
}
