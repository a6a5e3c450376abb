// Worker thread entry (bundled to dist/kfacWorker.js): runs the float64 symmetric eigendecompositions of
// one K-FAC inverse round (inverse.ts) off the training thread (eigenPool.ts posts the jobs). Stateless:
// one message = one round, answered with the eigenpairs in the same order, buffers transferred.
import { parentPort } from 'node:worker_threads';
import type { EigenJob, EigenReply } from './eigenPool';
import { symmetricEigen } from './inverse';

parentPort?.on('message', (job: EigenJob) => {
  // Test hook: hold the job until the test opens the gate (asserts ordering without timing).
  if (job.gate) {
    const gate = new Int32Array(job.gate);
    while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0);
  }
  try {
    const results = job.matrices.map((m) => symmetricEigen(m.data, m.n));
    const reply: EigenReply = { id: job.id, results };
    parentPort?.postMessage(
      reply,
      results.flatMap((r) => [r.values.buffer as ArrayBuffer, r.vectors.buffer as ArrayBuffer]),
    );
  } catch (e) {
    const reply: EigenReply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
    parentPort?.postMessage(reply);
  }
});
