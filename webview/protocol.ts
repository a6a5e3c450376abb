// The typed message protocol between the extension host and the results webview (architecture.md: one
// protocol module per boundary, discriminated unions on `type`). Imported by src/extension/ (host side),
// webview/ (browser side) and src/cli/report.ts (the static HTML report, which feeds the same UI).
// Nothing here may import `vscode`, Node modules or tfjs.
import type { MetricRecord } from '../src/runner/protocol';
import type { PaperSetup } from '../src/spec/setup';

export type RunStatusView =
  | 'queued'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'interrupted'
  | 'damaged';

/** What the charts need to know about one run (a trial of a sweep). */
export interface RunView {
  /** The run directory's name (unique within a runs directory). */
  id: string;
  /** Spec name. */
  name: string;
  /** Sweep group id shared by the trials of one sweep. */
  group: string;
  /** The trial's sweep values by dotted path, e.g. {"regularization.type": "weightDecay", "training.seed": 1}. */
  values: Record<string, unknown>;
  /** Short human label, e.g. "regularization.type=weightDecay, training.seed=1" (or the run id). */
  label: string;
  status: RunStatusView;
  /** Failure reason, when failed. */
  error?: string;
  backend?: string;
  progress?: { step: number; totalSteps: number; epoch: number; epochs: number };
  /** The run's cell in the paper's Table 1 grid: dataset, network, setting, optimizer, variant. */
  setup?: PaperSetup;
}

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
