// `wdlab report`: one self-contained HTML file with the results UI (media/webview.js and webview.css
// inline) and the runs' records embedded as JSON — the same charts as the VS Code view, to mail or
// archive, readable offline in any browser.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { renderResultsHtml } from '../../webview/html';
import type { MetricRecord } from '../protocol/records';
import type { ReportData } from '../protocol/webview';
import { readSpecIfAny } from '../runner/runFacts';
import { listRuns, readMetrics, readRunInfo, runFiles } from '../runner/runStore';
import { toRunView } from '../runner/runView';

/** Bad input (a missing run directory, nothing to report): exit code 2. */
export class ReportInputError extends Error {}

export interface ReportOptions {
  /** Folder of webview.js and webview.css; default: ../media next to the running bundle (dist/cli.js). */
  mediaDir?: string;
  title?: string;
  now?: Date;
}

const isRunDir = (dir: string) => existsSync(runFiles(dir).run);

/**
 * Run directories from the command line's arguments: a run directory, a runs directory (every run in
 * it), or a sweep group id (`<stamp>-<name>`, its trials `-t1`, `-t2`, ... in `runsDir`).
 */
export function resolveReportRuns(args: string[], runsDir: string): string[] {
  if (args.length === 0) throw new ReportInputError('report needs at least one run directory');
  const out: string[] = [];
  for (const arg of args) {
    const dir = resolve(arg);
    if (isRunDir(dir)) {
      out.push(dir);
      continue;
    }
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      const runs = listRuns(dir).map((r) => r.dir);
      if (runs.length === 0)
        throw new ReportInputError(`${arg} is neither a run directory nor a runs directory`);
      out.push(...runs);
      continue;
    }
    const group = listRuns(runsDir)
      .filter((r) => r.info.group === arg || r.info.id === arg)
      .map((r) => r.dir);
    if (group.length === 0) {
      throw new ReportInputError(`${arg}: no such run directory (nor a run or group id in ${runsDir})`);
    }
    out.push(...group);
  }
  return [...new Set(out)];
}

/**
 * Numbers with 9 significant digits: exact for the float32 values the trainer computes (9 digits
 * round-trip any float32) and ~30% less text than 17-digit doubles — a report of 20 runs x 10,000
 * records loads and parses that much faster.
 */
export function compactRecord(r: MetricRecord): MetricRecord {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) {
    out[k] =
      typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toPrecision(9)) : v;
  }
  return out as MetricRecord;
}

export function buildReportData(runDirs: string[], title?: string, now = new Date()): ReportData {
  const runs = runDirs.map((dir) => {
    if (!isRunDir(dir)) throw new ReportInputError(`${dir} is not a run directory (no run.json)`);
    return { dir, view: toRunView(readRunInfo(dir), readSpecIfAny(dir)) };
  });
  const records: ReportData['records'] = {};
  for (const { dir, view } of runs) records[view.id] = readMetrics(dir).map(compactRecord);
  const names = [...new Set(runs.map((r) => r.view.name))];
  return {
    title:
      title ??
      (names.length === 1
        ? `${names[0]} — ${runs.length} run${runs.length === 1 ? '' : 's'}`
        : `${runs.length} runs`),
    generatedAt: now.toISOString(),
    runs: runs.map((r) => r.view),
    records,
  };
}

export function writeReport(
  runDirs: string[],
  outFile: string,
  options: ReportOptions = {},
): { runs: number; bytes: number } {
  const mediaDir = options.mediaDir ?? join(__dirname, '..', 'media');
  const script = join(mediaDir, 'webview.js');
  const style = join(mediaDir, 'webview.css');
  for (const f of [script, style]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: build the results UI first (npm run build)`);
  }
  const data = buildReportData(runDirs, options.title, options.now);
  const html = renderResultsHtml({
    scriptUri: basename(script),
    styleUri: basename(style),
    cspSource: "'self'",
    nonce: randomBytes(18).toString('base64'),
    title: data.title,
    reportData: data,
    // The source map comment would point at a file the report does not carry.
    inlineScript: readFileSync(script, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'),
    inlineStyle: readFileSync(style, 'utf8'),
  });
  writeFileSync(outFile, html);
  return { runs: data.runs.length, bytes: Buffer.byteLength(html) };
}
