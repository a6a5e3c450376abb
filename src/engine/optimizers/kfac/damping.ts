// Damping of a K-FAC block (docs/science.md section 6). With A = Q_A diag(a) Q_A^T and S = Q_S diag(s) Q_S^T, a
// block T * A (x) S acting on the gradient matrix G [d_A, d_S] (rows: inputs with the homogeneous 1 last;
// columns: outputs) is damped and inverted as one of:
//   eigen    (KFAC-Pytorch, exact Tikhonov): C^-1 G = Q_A ((Q_A^T G Q_S) ./ D) Q_S^T in the Kronecker
//            eigenbasis, D[i][j] = T * a_i s_j + lambda (eigenDenominators);
//   factored (official, pi-adjusted Tikhonov): (A + pi r I)^-1 G (S + r/pi I)^-1 / T with r = sqrt(lambda/T),
//            pi = sqrt((tr A / d_A) / (tr S / d_S)) (factoredShifts; conv layers use lambda/T, T = 1 for
//            dense), i.e. the Kronecker eigenvalue T (a_i + pi r)(s_j + r/pi), which factors into one
//            inverse per factor (factoredInverseSpectra, or newtonSchulz.ts on the device).

/** tr F of a row-major n x n host copy (float64 sum). */
export function traceOf(f: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f[i * n + i];
  return sum;
}

const mean = (v: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i];
  return sum / v.length;
};

/** pi = sqrt((tr A / d_A) / (tr S / d_S)), from the factors' eigenvalues (their sum is the trace). */
export function piAdjustment(eigA: ArrayLike<number>, eigS: ArrayLike<number>): number {
  return piFromMeans(mean(eigA), mean(eigS));
}

/** pi from the factors' mean eigenvalues tr A / d_A and tr S / d_S. */
export function piFromMeans(meanA: number, meanS: number): number {
  // A zero factor (a layer whose statistics are all zero) would give pi = 0 or infinity: fall back to 1.
  if (!(meanA > 0) || !(meanS > 0)) return 1;
  return Math.sqrt(meanA / meanS);
}

/**
 * The factored scheme's shifts: A + pi r I and S + r/pi I with r = sqrt(lambda / T), whose inverses give the
 * block inverse (A + pi r I)^-1 (x) (S + r/pi I)^-1 / T (newtonSchulz.ts inverts them on the device).
 */
export function factoredShifts(
  meanA: number,
  meanS: number,
  damping: number,
  locations: number,
): { pi: number; shiftA: number; shiftS: number } {
  const pi = piFromMeans(meanA, meanS);
  const root = Math.sqrt(damping / locations);
  return { pi, shiftA: pi * root, shiftS: root / pi };
}

/**
 * The factored scheme in the factors' own eigenbases: 1 / (a_i + pi r) and 1 / (T (s_j + r/pi)), so that
 * Q_A diag(first) Q_A^T = (A + pi r I)^-1 and Q_S diag(second) Q_S^T = (S + r/pi I)^-1 / T, and
 * C^-1 G = (A + pi r I)^-1 G (S + r/pi I)^-1 / T: two matmuls per step instead of the eigenbasis form's four.
 */
export function factoredInverseSpectra(
  eigA: ArrayLike<number>,
  eigS: ArrayLike<number>,
  damping: number,
  locations: number,
): { a: Float64Array; s: Float64Array } {
  const { shiftA, shiftS } = factoredShifts(mean(eigA), mean(eigS), damping, locations);
  return {
    a: Float64Array.from(eigA, (v) => 1 / (v + shiftA)),
    s: Float64Array.from(eigS, (v) => 1 / (locations * (v + shiftS))),
  };
}

/** The eigen scheme's damped Kronecker eigenvalues D = T a_i s_j + lambda, row-major [d_A, d_S]. */
export function eigenDenominators(
  eigA: ArrayLike<number>,
  eigS: ArrayLike<number>,
  damping: number,
  locations: number,
): Float64Array {
  const dS = eigS.length;
  const denominators = new Float64Array(eigA.length * dS);
  for (let i = 0; i < eigA.length; i++)
    for (let j = 0; j < dS; j++) denominators[i * dS + j] = locations * eigA[i] * eigS[j] + damping;
  return denominators;
}
