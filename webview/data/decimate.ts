// Decimation by min/max per bucket: the x range is cut into target/2 buckets and each keeps its lowest
// and highest point, in x order. Unlike averaging or LTTB, every spike and dip of the raw series stays
// visible (a divergence or a loss spike must not vanish when 10,000 points are drawn in 600 pixels).
import type { Point } from './series';

export function decimateMinMax(points: readonly Point[], target: number): Point[] {
  const n = points.length;
  if (n <= target || target < 4) return points as Point[];
  const buckets = Math.floor(target / 2);
  const out: Point[] = [];
  // Buckets by index, not by x: records come at a regular step cadence and indices keep it O(n).
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(n, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else if (lo < hi) out.push(points[lo], points[hi]);
    else out.push(points[hi], points[lo]);
  }
  return out;
}
