// Executors: where a run's trainer runs, chosen per run (docs/cluster.md). `local` (default): a trainer child
// process of the CLI or the extension host, as always (local.ts). `slurm`: one task of a Slurm job array
// per trial, on the cluster's nodes, writing the same run folder (slurm.ts; docs/cluster.md). run.json's
// `executor` says which ran a run (absent: local), so list, Stop and Resume act on it the right way.
import type { RunInfo } from '../runStore';
import { EXECUTOR_KINDS, type ExecutorKind } from './record';

export { LocalExecutor } from './local';
export type { ExecutorKind, ExecutorRecord, SlurmOptions, SlurmRunRecord } from './record';
export { EXECUTOR_KINDS } from './record';
export {
  cancelSlurmArrays,
  describeSlurm,
  reconcileSlurmRuns,
  resubmitSlurmRuns,
  SlurmError,
  type SlurmSubmission,
  stopSlurmRuns,
  submitSlurmSweep,
} from './slurm';

/** Which executor ran (or runs) a run. */
export const executorOf = (info: RunInfo): ExecutorKind => info.executor?.kind ?? 'local';

export function parseExecutorKind(value: string | undefined): ExecutorKind {
  const kind = (value ?? 'local').trim().toLowerCase();
  if (!(EXECUTOR_KINDS as readonly string[]).includes(kind))
    throw new Error(`unknown executor "${value}" (expected ${EXECUTOR_KINDS.join(' or ')})`);
  return kind as ExecutorKind;
}
