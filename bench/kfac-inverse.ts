// One K-FAC inverse round per factor size (inverses are amortised over T_inv steps and must not
// stall training): the float64 eigendecomposition (inverse.ts, what the worker threads run) against the
// float32 Newton-Schulz inverse on the training backend (newtonSchulz.ts), on a realistic factor
// A = E[a a^T] of ReLU activations with the homogeneous 1, damped as the factored scheme damps a conv layer
// (shift sqrt(lambda / T), pi = 1). VGG16's factors are 577, 1153, 2305 and 4609 wide. Prints one JSON line
// per size and method: milliseconds, iterations, the residual ||I - M X||_F / sqrt(n), and for
// Newton-Schulz its relative difference from the eigendecomposition's inverse where both ran. No pass/fail.
//
//   node out/bench/kfac-inverse.js [--backend auto|tensorflow|webgpu|wasm|cpu] [--sizes 257,577,1153]
//                                  [--methods eigendecomposition,newtonSchulz] [--damping 1e-3] [--locations 64]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/engine/backend';
import { symmetricEigen } from '../src/engine/optimizers/kfac/inverse';
import {
  inverseResidual,
  newtonSchulzInverse,
  newtonSchulzIterations,
  spectralUpperBound,
} from '../src/engine/optimizers/kfac/newtonSchulz';
import { read, readAndDispose } from '../src/engine/read';
import { tf } from '../src/engine/tf';
import type { BackendName } from '../src/spec/types';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    sizes: { type: 'string', default: '257,577,1153' },
    methods: { type: 'string', default: 'eigendecomposition,newtonSchulz' },
    damping: { type: 'string', default: '1e-3' },
    locations: { type: 'string', default: '64' },
  },
});

/** A = X^T X / N for X = [relu(z), 1], z ~ N(0, 1) with correlated columns (a shared component). */
function activationFactor(n: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = Math.max(2 * n, 1024);
    const z = tf.add(
      tf.randomNormal([rows, n - 1], 0, 1, 'float32', seed),
      tf.mul(tf.randomNormal([rows, 1], 0, 1, 'float32', seed + 1), 0.7),
    );
    const x = tf.concat([tf.relu(z), tf.ones([rows, 1])], 1);
    return tf.div(tf.matMul(x, x, true, false), rows) as tf.Tensor2D;
  });
}

async function main(): Promise<void> {
  const info = await initBackend(values.backend as BackendName, {
    wasmDir: join(__dirname, '..', '..', 'dist', 'wasm'),
  });
  const sizes = values.sizes.split(',').map(Number);
  const methods = values.methods.split(',');
  const shift = Math.sqrt(Number(values.damping) / Number(values.locations));
  for (const n of sizes) {
    const A = activationFactor(n, n);
    const host = Float32Array.from(await read(A));
    let exact: Float64Array | undefined;
    for (const method of methods) {
      const line: Record<string, unknown> = { n, method, backend: info.name, device: info.device, shift };
      const t0 = performance.now();
      if (method === 'eigendecomposition') {
        const { values: lambda, vectors: q } = symmetricEigen(host, n);
        line.ms = Math.round(performance.now() - t0);
        // (A + s I)^-1 = Q diag(1 / (lambda + s)) Q^T, in float64, for the residual and the comparison.
        exact = new Float64Array(n * n);
        for (let i = 0; i < n; i++)
          for (let k = 0; k < n; k++) {
            const qik = q[i * n + k] / (lambda[k] + shift);
            for (let j = 0; j < n; j++) exact[i * n + j] += qik * q[j * n + k];
          }
        const X = tf.tensor2d(Float32Array.from(exact), [n, n]);
        line.residual = (await readAndDispose(inverseResidual(A, shift, X)))[0];
        X.dispose();
      } else if (method === 'newtonSchulz') {
        const upper = spectralUpperBound(host, n, shift);
        const iterations = newtonSchulzIterations(shift, upper);
        const X = newtonSchulzInverse(A, shift, upper, iterations);
        // The residual's read-back waits for the device: the time is the device work, not its queueing.
        const residual = (await readAndDispose(inverseResidual(A, shift, X)))[0];
        line.ms = Math.round(performance.now() - t0);
        Object.assign(line, { iterations, kappaBound: Math.round(upper / shift), residual });
        if (exact) {
          const x = await read(X);
          let diff = 0;
          let norm = 0;
          for (let i = 0; i < n * n; i++) {
            diff += (x[i] - exact[i]) ** 2;
            norm += exact[i] ** 2;
          }
          line.relativeToEigen = Math.sqrt(diff / norm);
        }
        X.dispose();
      } else throw new Error(`unknown method "${method}" (eigendecomposition, newtonSchulz)`);
      console.log(JSON.stringify(line));
    }
    A.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
