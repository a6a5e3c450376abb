// Run colours per theme kind. The base is Tableau 10 (blue, orange, red, teal, green, yellow, purple,
// pink, brown, grey: neighbours far apart, the first two, a run without and one with weight decay,
// tell apart for colour-blind readers too); each hue is darkened for light backgrounds and lightened
// for dark ones just enough for a WCAG contrast of at least 3:1 (graphics, SC 1.4.11) against every
// built-in VS Code theme's editor background (lines are drawn opaque: translucency lowers contrast);
// high-contrast themes get at least 6.4:1. test/unit/webview/contrast.test.ts checks every one.

export type ThemeKind = 'light' | 'dark' | 'highContrast' | 'highContrastLight';

/** Tableau 10 as published, for reference: the palettes below are it, adjusted per theme kind. */
export const TABLEAU_10 = [
  '#4E79A7',
  '#F28E2B',
  '#E15759',
  '#76B7B2',
  '#59A14F',
  '#EDC948',
  '#B07AA1',
  '#FF9DA7',
  '#9C755F',
  '#BAB0AC',
] as const;

export const PALETTES: Readonly<Record<ThemeKind, readonly string[]>> = {
  // Light Modern, Light+ (#FFFFFF): ≥ 3.7:1 opaque.
  light: [
    '#4E79A7',
    '#BA6D21',
    '#D85455',
    '#598986',
    '#4F8F46',
    '#957F2D',
    '#A27094',
    '#B06C73',
    '#9C755F',
    '#867F7C',
  ],
  // Dark Modern (#1F1F1F), Dark+ (#1E1E1E): ≥ 4.5:1.
  dark: [
    '#6389B2',
    '#F28E2B',
    '#E1595B',
    '#76B7B2',
    '#59A14F',
    '#EDC948',
    '#B07AA1',
    '#FF9DA7',
    '#A37F6A',
    '#BAB0AC',
  ],
  // Dark High Contrast (#000000): ≥ 6.4:1.
  highContrast: [
    '#7092B8',
    '#F28E2B',
    '#E4696B',
    '#76B7B2',
    '#59A14F',
    '#EDC948',
    '#B37FA5',
    '#FF9DA7',
    '#AA8875',
    '#BAB0AC',
  ],
  // Light High Contrast (#FFFFFF): ≥ 6.4:1.
  highContrastLight: [
    '#3E6084',
    '#885018',
    '#9D3D3E',
    '#406360',
    '#396733',
    '#6D5C21',
    '#76526C',
    '#7F4E53',
    '#735746',
    '#615C59',
  ],
};

/**
 * The theme kind from VS Code's body classes (`vscode-high-contrast-light`, `vscode-high-contrast`,
 * `vscode-dark`, `vscode-light`); without them (a report page), dark when the background is dark (the
 * report's stylesheet follows prefers-color-scheme), else `prefersDark`.
 */
export function themeKind(
  classes: readonly string[],
  backgroundLuminance: number | undefined,
  prefersDark = false,
): ThemeKind {
  const has = (c: string) => classes.includes(c);
  if (has('vscode-high-contrast-light')) return 'highContrastLight';
  if (has('vscode-high-contrast')) return 'highContrast';
  // A light theme class with a dark background (or the reverse) cannot happen in VS Code, but the
  // background is what the lines are drawn on: it decides when it is known.
  if (backgroundLuminance !== undefined) return backgroundLuminance < 0.18 ? 'dark' : 'light';
  if (has('vscode-dark')) return 'dark';
  if (has('vscode-light')) return 'light';
  return prefersDark ? 'dark' : 'light';
}
