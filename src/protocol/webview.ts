// The typed message protocol between the extension host and the results webview (docs/architecture.md:
// one protocol module per boundary, discriminated unions on `type`). Imported by src/extension/ (host
// side), webview/ (browser side) and src/cli/report.ts (the static HTML report, which feeds the same UI).
// Nothing here may import `vscode`, Node modules or tfjs.
import type { MetricRecord } from './records';
import type { RunView } from './runs';

// ---- host -> webview ----

/** Replaces the set of runs shown (order = legend order). Records of runs no longer shown are dropped. */
export interface ShowRunsMessage {
  type: 'showRuns';
  runs: RunView[];
  /** Optional title, e.g. "Compare 6 runs" or the spec name. */
  title?: string;
}

/** New records of one run, in step order. `reset` replaces what the view had for that run. */
export interface RecordsMessage {
  type: 'records';
  runId: string;
  records: MetricRecord[];
  reset?: boolean;
}

/** A run's status or progress changed (records unchanged). */
export interface RunUpdateMessage {
  type: 'runUpdate';
  run: RunView;
}

/** The outcome of an export the webview asked for. */
export interface ExportResultMessage {
  type: 'exportResult';
  ok: boolean;
  /** Where it was saved, or why not. */
  detail: string;
}

export type HostToWebview = ShowRunsMessage | RecordsMessage | RunUpdateMessage | ExportResultMessage;

// ---- webview -> host ----

/** Sent once the webview's script has started; the host answers with showRuns + records. */
export interface ReadyMessage {
  type: 'ready';
}

/** Save a chart as PNG (data URL from canvas.toDataURL) — the webview never touches files. */
export interface ExportPngMessage {
  type: 'exportPng';
  suggestedName: string;
  dataUrl: string;
}

/** Save the visible series as CSV text. */
export interface ExportCsvMessage {
  type: 'exportCsv';
  suggestedName: string;
  csv: string;
}

/** The user clicked a run in the legend/tooltip and wants its folder or spec. */
export interface OpenRunMessage {
  type: 'openRun';
  runId: string;
}

export type WebviewToHost = ReadyMessage | ExportPngMessage | ExportCsvMessage | OpenRunMessage;

/** Static data embedded in a report page (`wdlab report`) instead of messages from a host. */
export interface ReportData {
  title: string;
  generatedAt: string;
  runs: RunView[];
  records: Record<string, MetricRecord[]>;
}
