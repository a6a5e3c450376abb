// Theme colours from CSS variables. VS Code injects `--vscode-*` into the webview and swaps them with the
// body class (vscode-light / vscode-dark / vscode-high-contrast); media/webview.css maps them to `--wd-*`
// with fallbacks for the standalone report, so this module reads one set of names.

export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Line colours: VS Code's `--vscode-charts-*` first, then a few extra hues. */
  palette: string[];
}

const PALETTE_VARS = [
  '--wd-chart-1',
  '--wd-chart-2',
  '--wd-chart-3',
  '--wd-chart-4',
  '--wd-chart-5',
  '--wd-chart-6',
  '--wd-chart-7',
  '--wd-chart-8',
  '--wd-chart-9',
  '--wd-chart-10',
];

export function readTheme(el: Element = document.body): Theme {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const palette = PALETTE_VARS.map((name) => css.getPropertyValue(name).trim()).filter(Boolean);
  return {
    foreground: v('--wd-fg', '#333333'),
    muted: v('--wd-muted', '#717171'),
    grid: v('--wd-grid', 'rgba(128, 128, 128, 0.25)'),
    background: v('--wd-bg', '#ffffff'),
    fontFamily: v('--wd-font', 'system-ui, sans-serif'),
    fontSize: Number.parseFloat(v('--wd-font-size', '12')) || 12,
    palette:
      palette.length > 0 ? palette : ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'],
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
