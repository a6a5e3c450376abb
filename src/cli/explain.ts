// `wdlab explain RUN...`: the mechanism verdict (src/protocol/verdict.ts) of runs that differ in the
// regularizer — for each of the paper's three mechanisms the signature measured with numbers, a verdict,
// the test-accuracy difference against the seed spread, and what the paper expects. `wdlab run` prints
// the same tables at the end of a sweep that has such a contrast; the results view shows them as a card.
import { type Contrast, explainRuns, type VerdictReport, verdictLabel } from '../protocol/verdict';
import { buildReportData, ReportInputError, resolveReportRuns } from './report';
import { formatTable } from './table';

/** The verdict of the runs in these run directories (their run.json, spec.json and metrics.jsonl). */
export function explainRunDirs(runDirs: string[]): VerdictReport {
  const data = buildReportData(runDirs);
  return explainRuns(data.runs, data.records);
}

/** One contrast as text: its title, the table (one row per mechanism), accuracy and the paper's word. */
export function formatContrast(c: Contrast): string {
  const baseline = c.baseline.type === 'none' ? 'none' : 'L2';
  const rows = c.rows.map((r) => [
    r.title,
    verdictLabel(r.verdict),
    r.expected ? 'expected here' : '-',
    r.signature,
  ]);
  const runs = (n: number) => `${n} run${n === 1 ? '' : 's'}`;
  const rules = c.rows.filter((r) => r.rule).map((r) => `Mechanism ${r.mechanism}: ${r.rule}`);
  return [
    `${c.title}  (${runs(c.regularized.runIds.length)} vs ${runs(c.baseline.runIds.length)})`,
    '',
    formatTable(
      ['mechanism', 'verdict', 'paper', `measured, weight decay / ${baseline} at the end of the runs`],
      rows,
    ),
    '',
    `test accuracy: ${c.accuracy.text}`,
    `paper: ${c.expectation.text}`,
    ...(rules.length > 0 ? [`"shows" when ${rules.join('; ')}.`] : []),
    c.summary,
  ].join('\n');
}

export function formatVerdict(report: VerdictReport): string {
  return [...report.contrasts.map(formatContrast), ...report.notes].join('\n\n');
}

const NO_CONTRAST =
  'No two completed runs here differ only in the regularizer (weight decay vs none or L2, same everything else but the seed): nothing to explain. A sweep over regularization.type, e.g. ["none", "weightDecay"], makes such a pair.';

/** `wdlab explain`: exit 0 (a verdict, or a line saying there is no contrast). */
export function explainCommand(args: string[], runsDir: string, json: boolean): number {
  if (args.length === 0)
    throw new ReportInputError('explain needs run directories, a runs directory or sweep group ids');
  const report = explainRunDirs(resolveReportRuns(args, runsDir));
  if (json) console.log(JSON.stringify(report, null, 2));
  else if (report.contrasts.length === 0) console.log([NO_CONTRAST, ...report.notes].join('\n'));
  else console.log(formatVerdict(report));
  return 0;
}

/**
 * After `wdlab run`: the verdict of the sweep's runs when they hold a regularizer contrast; nothing
 * otherwise. A failure to explain never fails the run.
 */
export function printRunVerdict(runDirs: string[]): void {
  try {
    const report = explainRunDirs(runDirs);
    if (report.contrasts.length === 0) return;
    console.log(`\nWhat weight decay did here (wdlab explain):\n\n${formatVerdict(report)}`);
  } catch (e) {
    console.error(`wdlab explain: ${(e as Error).message}`);
  }
}
