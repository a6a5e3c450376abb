/** Compact numbers for ticks and tooltips: 4 significant digits, exponent outside [1e-3, 1e5). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** A fraction as percent, for accuracies: 0.8734 -> `87.34%` (ticks and tooltips; CSV keeps fractions). */
export function formatPercent(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return `${formatNumber(Number((100 * v).toPrecision(12)))}%`;
}

export const X_AXIS_TITLES = { step: 'step', epoch: 'epoch', time: 'time (s)' } as const;

/** A "nice" step (1, 2 or 5 × 10^k) near `raw`. */
export function niceStep(raw: number): number {
  const k = 10 ** Math.floor(Math.log10(raw));
  const m = raw / k;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * k;
}

/**
 * Tick values for a log axis on [min, max] (both > 0). Chart.js labels every mantissa within a decade,
 * which piles labels on top of each other in narrow ranges (an effective LR that moves by 40%): over
 * less than half a decade, evenly spaced nice values; then 1-2-3-5-7, 1-2-5, or whole decades.
 */
export function logTicks(min: number, max: number, maxCount = 6): number[] {
  if (!(min > 0) || !(max > min)) return min > 0 ? [min] : [];
  const decades = Math.log10(max / min);
  if (decades < 0.5) {
    const step = niceStep((max - min) / Math.max(1, maxCount - 1));
    const out: number[] = [];
    for (let v = Math.ceil(min / step) * step; v <= max * (1 + 1e-9); v += step)
      out.push(Number(v.toPrecision(12)));
    return out;
  }
  const mantissas = decades < 1 ? [1, 2, 3, 5, 7] : decades <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((decades + 1) / maxCount));
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    if (mantissas.length === 1 && e % every !== 0) continue;
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}
