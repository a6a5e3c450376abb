// What a row of the Runs view says (docs/architecture.md, The Runs view). Pure, so that it is tested
// without VS Code. A trial's label leads with what sets it apart from its siblings (the sweep's values,
// shortest first), and its description keeps the test accuracy where a narrow side bar still shows it,
// always written "acc", so that it is never read as progress (written "done").
import { formatAccuracy } from '../protocol/metrics';
import type { TrainingProgress } from '../protocol/records';
import { describeSlurm } from '../runner/executors/slurm';
import type { RunInfo } from '../runner/runStore';

/** The parts of a catalog run a row is built from. */
export interface RowRun {
  id: string;
  info: RunInfo;
  /** Last value of each metric so far. */
  final: Record<string, number>;
}

const percent = formatAccuracy;

/** Whole-run progress in percent (floored: 100% only once the last step is done); undefined if unknown. */
export function percentDone(p: TrainingProgress | undefined): number | undefined {
  if (!p || !(p.totalSteps > 0)) return undefined;
  return Math.min(100, Math.floor((100 * p.step) / p.totalSteps));
}

/** One sweep value as a row shows it: `type` paths by their value alone, the rest as `key=value`. */
function valuePart(path: string, value: unknown, keys: ReadonlyMap<string, string>): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const key = keys.get(path) ?? path;
  return key === 'type' ? text : `${key}=${text}`;
}

/**
 * The shortest unambiguous key of each path: its last segment ("training.seed" -> "seed"), or more of
 * it where two paths end alike ("optimizer.lr" and "schedule.lr" stay whole).
 */
function shortKeys(paths: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of paths) {
    const parts = path.split('.');
    let n = 1;
    const tail = (p: string, k: number) => p.split('.').slice(-k).join('.');
    while (n < parts.length && paths.some((o) => o !== path && tail(o, n) === tail(path, n))) n++;
    // `regularization.type` alone reads as its value (none, l2, weightDecay); two `type`s keep a prefix.
    out.set(path, n === 1 && parts.length > 1 ? parts.at(-1)! : tail(path, n));
  }
  return out;
}

/**
 * The row label of a trial: the sweep values that tell it from its siblings, e.g. "weightDecay · seed=2"
 * for `regularization.type=weightDecay, training.seed=2` (values every sibling shares are left out); a
 * labelled case first. A run alone under its spec name is told apart by when it was started.
 */
export function runLabel(run: RowRun, siblings: readonly RowRun[]): string {
  const { trial } = run.info;
  if (trial.count <= 1 && siblings.length <= 1) return startedLabel(run);
  const paths = Object.keys(trial.values ?? {});
  const differing = paths.filter((path) =>
    siblings.some((s) => JSON.stringify(s.info.trial.values?.[path]) !== JSON.stringify(trial.values[path])),
  );
  // A case's label stands for the values it set (src/spec/sweep.ts: trialLabel puts it first and names
  // only the other paths, as `path=value`).
  const caseLabel = trial.label.split(', ').find((part) => part !== '' && !part.includes('='));
  const named = (path: string) => !caseLabel || trial.label.includes(`${path}=`);
  const shown = (differing.length > 0 ? differing : paths).filter(named);
  const keys = shortKeys(shown);
  const label = [...(caseLabel ? [caseLabel] : []), ...shown.map((p) => valuePart(p, trial.values[p], keys))];
  return label.length > 0 ? label.join(' · ') : trial.label || run.id;
}

/** "2024-11-25 04:56" from a run id or group id `<yyyymmdd-hhmmss>-<name>...`; the id itself otherwise. */
export function startedLabel(run: { id: string }): string {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(run.id);
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}` : run.id;
}

/**
 * The row description, accuracy first once a run has one: "acc 85.9% · completed",
 * "41% done · acc 62.0% · epoch 3/10", "acc 14.7% · stopped at 38%", "queued · PENDING (Resources)",
 * "failed: diverged at step 17".
 */
export function describeRun(run: RowRun): string {
  const { info, final } = run;
  const accuracy = final['test/accuracy'];
  const acc = accuracy === undefined ? undefined : `acc ${percent(accuracy)}`;
  const done = percentDone(info.progress);
  const slurm = describeSlurm(info);
  const join = (...parts: (string | undefined)[]) => parts.filter((p) => p).join(' · ');
  switch (info.status) {
    case 'queued':
      return join('queued', slurm);
    case 'running': {
      const p = info.progress;
      // The task has started (it wrote `running`): a PENDING from the last squeue is stale.
      if (!p) return join('running', slurm && !slurm.startsWith('PENDING') ? slurm : 'starting');
      const epoch = `epoch ${Math.min(p.epochs, Math.floor(p.epoch) + 1)}/${p.epochs}`;
      return join(`${done ?? 0}% done`, acc, epoch);
    }
    case 'completed':
      return join(acc, 'completed', warningsText(info));
    case 'cancelled':
      if (done === undefined || info.progress?.step === 0) return 'stopped before it started';
      return join(acc, `stopped at ${done}%`, slurm?.split(';')[0]);
    case 'interrupted':
      return join(acc, `interrupted${done === undefined ? '' : ` at ${done}%`}`, slurm?.split(';')[0]);
    case 'failed':
      return `failed: ${(info.error?.message ?? '').split('\n')[0]}`;
    default:
      return join(acc, info.status);
  }
}

function warningsText(info: RunInfo): string | undefined {
  const n = info.warnings?.length ?? 0;
  return n === 0 ? undefined : `${n} warning${n === 1 ? '' : 's'}`;
}

/**
 * A sweep's row: "63% done · 4 trials · 2 completed · 1 running". Done counts each trial's own
 * progress (a completed trial whole, one not started as nothing), so it is the sweep's, not a trial's.
 */
export function describeGroup(members: readonly RowRun[], count: number): string {
  const by = (s: RunInfo['status']) => members.filter((r) => r.info.status === s).length;
  const live = members.some((r) => r.info.status === 'running' || r.info.status === 'queued');
  // While it trains, how far the sweep is comes first (a narrow side bar cuts the end off).
  const parts = live ? [`${sweepPercentDone(members, count)}% done`] : [];
  parts.push(`${count} trials`, `${by('completed')} completed`);
  for (const s of ['running', 'queued', 'failed', 'cancelled', 'interrupted'] as const) {
    if (by(s) > 0) parts.push(`${by(s)} ${s === 'cancelled' ? 'stopped' : s}`);
  }
  return parts.join(' · ');
}

/** The sweep's progress: the mean of its trials' fractions done (missing trials count as not started). */
export function sweepPercentDone(members: readonly RowRun[], count: number): number {
  const total = members.reduce((sum, r) => {
    if (r.info.status === 'completed') return sum + 1;
    const p = r.info.progress;
    return sum + (p && p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0);
  }, 0);
  return Math.floor((100 * total) / Math.max(count, members.length, 1));
}

/** What a screen reader says for a row: the status in words, then the description's facts. */
export function rowAccessibility(run: RowRun, label: string): string {
  const accuracy = run.final['test/accuracy'];
  const done = percentDone(run.info.progress);
  const parts = [label, run.info.status];
  if (run.info.status !== 'completed' && done !== undefined) parts.push(`${done} percent done`);
  if (accuracy !== undefined) parts.push(`test accuracy ${(accuracy * 100).toFixed(1)} percent`);
  return parts.join(', ');
}

const accuracies = (values: readonly (number | undefined)[]): string => {
  const known = values.filter((v): v is number => v !== undefined);
  if (known.length === 0) return '';
  const shown = known.slice(0, 4).map((v) => percent(v));
  return ` (acc ${shown.join(', ')}${known.length > 4 ? ', …' : ''})`;
};

/** The "finished" notification: "quickstart finished: 2 completed (acc 85.9%, 70.4%)". */
export function describeFinished(
  name: string,
  statuses: readonly string[],
  testAccuracy: readonly (number | undefined)[],
): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  const completed = statuses.flatMap((s, i) => (s === 'completed' ? [testAccuracy[i]] : []));
  const parts = [...counts].map(([s, n]) =>
    s === 'completed'
      ? `${n} completed${accuracies(completed)}`
      : `${n} ${s === 'cancelled' ? 'stopped' : s}`,
  );
  return `${name} finished: ${parts.join(', ') || 'nothing ran'}`;
}

/** A trial's end as a Stop reports it (experimentRunner.ts: TrialEnd). */
export interface StoppedTrial {
  runId: string;
  status: string;
  started: boolean;
  progress?: TrainingProgress;
}

/**
 * What a Stop says once it has happened: which trial stopped where, which queued trials were cancelled
 * before they started, and whether the rest of the sweep goes on, e.g. "Stopped weightDecay at 38% (step
 * 120 of 320). The sweep goes on with 2 more trials. Resume continues it from its last checkpoint once
 * the sweep has ended."
 */
export function describeStop(
  report: { stopped: readonly StoppedTrial[]; skipped: readonly StoppedTrial[]; continuing: number },
  labelOf: (runId: string) => string,
): string {
  const sentences: string[] = [];
  const where = (t: StoppedTrial) => {
    const done = percentDone(t.progress);
    return done === undefined ? '' : ` at ${done}% (step ${t.progress!.step} of ${t.progress!.totalSteps})`;
  };
  const stopped = report.stopped.filter((t) => t.status === 'cancelled' || t.status === 'interrupted');
  const other = report.stopped.filter((t) => !stopped.includes(t));
  if (stopped.length > 0)
    sentences.push(`Stopped ${stopped.map((t) => `${labelOf(t.runId)}${where(t)}`).join(', ')}.`);
  for (const t of other) sentences.push(`${labelOf(t.runId)} had already ${t.status}.`);
  const n = report.skipped.length;
  if (n > 0) {
    const names = report.skipped.map((t) => labelOf(t.runId)).join(', ');
    sentences.push(
      `${n === 1 ? 'One queued trial' : `${n} queued trials`} (${names}) cancelled before starting.`,
    );
  }
  if (report.continuing > 0) {
    const c = report.continuing;
    sentences.push(`The sweep goes on with ${c} more trial${c === 1 ? '' : 's'}.`);
  }
  const resumable = stopped.length + n;
  // While the rest of the sweep trains, its stopped trials wait for it to end (one job at a time).
  const later = report.continuing > 0 ? ' once the sweep has ended' : '';
  if (resumable === 1) {
    sentences.push(
      stopped.length === 1
        ? `Resume continues it from its last checkpoint${later}.`
        : `Resume starts it${later || ' later'}.`,
    );
  } else if (resumable > 1) {
    sentences.push(`Resume Sweep continues all ${resumable}, each from its last checkpoint.`);
  }
  return sentences.join(' ') || 'Nothing was running any more.';
}
