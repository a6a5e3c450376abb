// Damping of a K-FAC block in the Kronecker eigenbasis (science.md section 6). With A = Q_A diag(a) Q_A^T
// and S = Q_S diag(s) Q_S^T, a block T * A (x) S acting on the gradient matrix G [d_A, d_S] (rows: inputs
// with the homogeneous 1 last; columns: outputs) is inverted as
//     C^-1 G = Q_A ((Q_A^T G Q_S) ./ D) Q_S^T
// where D[i][j] is the damped eigenvalue of the Kronecker product:
//   eigen    (KFAC-Pytorch, exact Tikhonov):   D = T * a_i s_j + lambda
//   factored (official, pi-adjusted Tikhonov): D = T * (a_i + pi sqrt(lambda/T)) (s_j + sqrt(lambda/T) / pi),
//            pi = sqrt((tr A / d_A) / (tr S / d_S)); conv layers use lambda/T (T = 1 for dense).
// The factored form is (A + pi sqrt(l) I)^-1 (x) (S + sqrt(l)/pi I)^-1 / T with l = lambda / T.

export type DampingScheme = 'factored' | 'eigen';

export interface DampedSpectrum {
  /** D, row-major [d_A, d_S]. */
  denominators: Float64Array;
  /** The factored scheme's pi (1 for eigen, or when a trace is 0). */
  pi: number;
}

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

export function dampedSpectrum(
  eigA: ArrayLike<number>,
  eigS: ArrayLike<number>,
  damping: number,
  locations: number,
  scheme: DampingScheme,
): DampedSpectrum {
  const dA = eigA.length;
  const dS = eigS.length;
  const T = locations;
  const denominators = new Float64Array(dA * dS);
  if (scheme === 'eigen') {
    for (let i = 0; i < dA; i++)
      for (let j = 0; j < dS; j++) denominators[i * dS + j] = T * eigA[i] * eigS[j] + damping;
    return { denominators, pi: 1 };
  }
  const { pi, shiftA, shiftS } = factoredShifts(mean(eigA), mean(eigS), damping, T);
  for (let i = 0; i < dA; i++)
    for (let j = 0; j < dS; j++) denominators[i * dS + j] = T * (eigA[i] + shiftA) * (eigS[j] + shiftS);
  return { denominators, pi };
}
