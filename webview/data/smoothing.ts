// Exponential moving average with TensorBoard's debiasing (tensorboard/webapp/widgets/line_chart_v2,
// "classicSmoothing"): s_t = w·s_{t-1} + (1−w)·y_t with s_0 = 0, reported as s_t / (1 − w^n) where n
// counts the finite values so far — the first points are not dragged towards zero. Non-finite values
// pass through and do not advance the average.
import type { Point } from './series';

export function emaSmooth(ys: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return ys.slice();
  // A constant series stays exact (debiasing would add float noise that a tight y axis magnifies).
  const finite = ys.filter(Number.isFinite);
  if (finite.every((y) => y === finite[0])) return ys.slice();
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    n += 1;
    return last / (1 - w ** n);
  });
}

export function smoothPoints(points: readonly Point[], weight: number): Point[] {
  if (!(weight > 0)) return points as Point[];
  const ys = emaSmooth(
    points.map((p) => p.y),
    weight,
  );
  return points.map((p, i) => ({ x: p.x, y: ys[i], step: p.step }));
}
