// Test helper: how far one vector is from a reference.

/** ||a - b|| / ||b|| (the reference's norm floored at 1e-30, so an all-zero reference stays finite). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
