// Symmetric eigendecomposition of a K-FAC factor in float64 (docs/science.md section 6: "Inverses by
// eigendecomposition"). The factor is read back from the device once per T_inv steps, decomposed with
// ml-matrix (Householder tridiagonalisation + QL, float64), and its eigenvectors sent back as float32 for
// the per-step preconditioning matmuls. Cost is O(d^3) on the CPU, in worker threads (eigenPool.ts): fine
// for MLP/small-CNN factors; for the paper's 4609 x 4609 VGG16 factors on a GPU the factored scheme inverts
// on the device instead (newtonSchulz.ts).
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface SymmetricEigen {
  /** Eigenvalues, ascending, clamped at 0 (a covariance is PSD; float error can make tiny ones negative). */
  values: Float64Array;
  /** Eigenvectors as columns, row-major [n, n]. */
  vectors: Float64Array;
}

/** Eigendecomposition of the symmetric n x n matrix `m` (row-major; symmetrised as (m + m^T)/2 first). */
export function symmetricEigen(m: ArrayLike<number>, n: number): SymmetricEigen {
  if (m.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} entries, got ${m.length}`);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(n);
    for (let j = 0; j < n; j++) row[j] = 0.5 * (m[i * n + j] + m[j * n + i]);
    rows.push(row);
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = Float64Array.from(evd.realEigenvalues, (v) => Math.max(0, v));
  const q = evd.eigenvectorMatrix;
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vectors[i * n + j] = q.get(i, j);
  return { values, vectors };
}
