// Hosts the results UI (webview/): editor panels (`wdlab.results`), restored after a reload by a
// serializer — Show Results retargets one results editor (a row of charts needs the editor area's
// room, not the bottom panel's), Compare Runs opens one per comparison — and a webview view in the
// panel area for those who want the results beside their editors.
// The host is the webview's only door to files: it sends runs and records (on `ready`, then live as
// runs train) and performs exports with a save dialog.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { renderResultsHtml } from '../../webview/html';
import type { MetricRecord } from '../protocol/records';
import type { RunView } from '../protocol/runs';
import type { HostToWebview, WebviewToHost } from '../protocol/webview';
import type { CatalogRun, RecordsEvent, RunCatalog } from './runCatalog';

export const RESULTS_PANEL_TYPE = 'wdlab.results';
export const RESULTS_VIEW_ID = 'wdlab.resultsView';
const PANEL_RUNS_KEY = 'wdlab.results.panelRuns';

/** What went over a webview boundary (kept for the integration tests and the logs; bounded). */
export interface ResultsMessageLogEntry {
  surface: 'view' | 'panel';
  session: number;
  direction: 'in' | 'out';
  type: string;
  runId?: string;
  runIds?: string[];
  count?: number;
  reset?: boolean;
}

/** One live webview (a view or a panel) showing a set of runs. */
class ResultsSession implements vscode.Disposable {
  private runIds: string[] = [];
  private title?: string;
  private ready = false;
  /** Runs whose full records were sent since the last `ready`; appended records go only to these. */
  private readonly synced = new Set<string>();
  private readonly follows = new Map<string, { dispose(): void; records: readonly MetricRecord[] }>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private generation = 0;

  constructor(
    readonly id: number,
    readonly surface: 'view' | 'panel',
    readonly webview: vscode.Webview,
    private readonly host: ResultsHost,
  ) {
    this.subscriptions.push(
      webview.onDidReceiveMessage((m: WebviewToHost) => this.onMessage(m)),
      host.catalog.onDidAppendRecords((e) => this.onRecords(e)),
      host.catalog.onDidChangeRun((r) => this.onRunChanged(r)),
    );
  }

  get shownRunIds(): readonly string[] {
    return this.runIds;
  }

  show(runIds: string[], title?: string): void {
    this.runIds = [...new Set(runIds)];
    this.title = title;
    for (const [id, f] of this.follows) {
      if (!this.runIds.includes(id)) {
        f.dispose();
        this.follows.delete(id);
      }
    }
    if (this.ready) void this.sendAll();
  }

  private onMessage(m: WebviewToHost): void {
    this.host.record({ surface: this.surface, session: this.id, direction: 'in', type: m?.type });
    switch (m?.type) {
      case 'ready':
        // Sent on every (re)load of the page: a hidden webview view loses its page and starts again.
        this.ready = true;
        void this.sendAll();
        break;
      case 'exportPng':
      case 'exportCsv':
        void this.host.export(m).then((reply) => this.post(reply));
        break;
      case 'openRun':
        void vscode.commands.executeCommand('wdlab.openRunFolder', m.runId);
        break;
    }
  }

  private async sendAll(): Promise<void> {
    const generation = ++this.generation;
    this.synced.clear();
    await this.host.catalog.ready();
    const runs = this.runIds.map((id) => this.host.catalog.view(id)).filter((v): v is RunView => !!v);
    this.post({ type: 'showRuns', runs, title: this.title });
    for (const run of runs) {
      let follow = this.follows.get(run.id);
      if (!follow) {
        follow = await this.host.catalog.follow(run.id);
        if (generation !== this.generation || !this.runIds.includes(run.id)) {
          follow.dispose();
          return;
        }
        this.follows.set(run.id, follow);
      }
      if (generation !== this.generation) return;
      this.post({ type: 'records', runId: run.id, records: [...follow.records], reset: true });
      this.synced.add(run.id);
    }
  }

  private onRecords(e: RecordsEvent): void {
    if (!this.ready || !this.synced.has(e.runId)) return;
    this.post({ type: 'records', runId: e.runId, records: e.records, reset: e.reset || undefined });
  }

  private onRunChanged(run: CatalogRun): void {
    if (!this.ready || !this.runIds.includes(run.id)) return;
    const view = this.host.catalog.view(run.id);
    if (view) this.post({ type: 'runUpdate', run: view });
  }

  private post(message: HostToWebview): void {
    this.host.record({
      surface: this.surface,
      session: this.id,
      direction: 'out',
      type: message.type,
      runId:
        message.type === 'records'
          ? message.runId
          : message.type === 'runUpdate'
            ? message.run.id
            : undefined,
      runIds: message.type === 'showRuns' ? message.runs.map((r) => r.id) : undefined,
      count: message.type === 'records' ? message.records.length : undefined,
      reset: message.type === 'records' ? message.reset : undefined,
    });
    void this.webview.postMessage(message);
  }

  dispose(): void {
    this.ready = false;
    for (const f of this.follows.values()) f.dispose();
    this.follows.clear();
    for (const s of this.subscriptions) s.dispose();
  }
}

export class ResultsHost
  implements vscode.WebviewViewProvider, vscode.WebviewPanelSerializer, vscode.Disposable
{
  /** Messages to and from the webviews, newest last (at most 1000). */
  readonly messageLog: ResultsMessageLogEntry[] = [];
  private viewSession?: ResultsSession;
  private webviewView?: vscode.WebviewView;
  private viewRuns: { runIds: string[]; title?: string } = { runIds: [] };
  private readonly panels = new Set<{ panel: vscode.WebviewPanel; session: ResultsSession }>();
  /** The editor Show Results reuses (one per window). */
  private resultsEditor?: { panel: vscode.WebviewPanel; session: ResultsSession };
  private nextSession = 1;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly catalog: RunCatalog,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      vscode.window.registerWebviewViewProvider(RESULTS_VIEW_ID, this),
      vscode.window.registerWebviewPanelSerializer(RESULTS_PANEL_TYPE, this),
    );
  }

  record(entry: ResultsMessageLogEntry): void {
    this.messageLog.push(entry);
    if (this.messageLog.length > 1000) this.messageLog.splice(0, this.messageLog.length - 1000);
    this.log.trace(
      `results ${entry.surface}#${entry.session} ${entry.direction} ${entry.type}${entry.runId ? ` ${entry.runId}` : ''}`,
    );
  }

  /** The runs each open surface shows (for tests and the status bar). */
  surfaces(): { surface: 'view' | 'panel'; session: number; runIds: readonly string[] }[] {
    const out = [...this.panels].map(({ session }) => ({
      surface: session.surface,
      session: session.id,
      runIds: session.shownRunIds,
    }));
    if (this.viewSession)
      out.unshift({ surface: 'view', session: this.viewSession.id, runIds: this.viewSession.shownRunIds });
    return out;
  }

  /** Shows runs in the Results view of the panel area (revealing it). */
  async showInView(runIds: string[], title?: string): Promise<void> {
    this.viewRuns = { runIds, title };
    if (this.webviewView && this.viewSession) {
      this.viewSession.show(runIds, title);
      this.webviewView.title = 'Results';
      this.webviewView.description = title;
      this.webviewView.show(true);
    } else {
      await vscode.commands.executeCommand(`${RESULTS_VIEW_ID}.focus`);
    }
  }

  /**
   * Shows runs in the results editor: the one Show Results opened before (its runs replaced), else a
   * new editor tab. The focus stays where it was (clicking through the Runs view keeps it there).
   */
  showInEditor(runIds: string[], title?: string): vscode.WebviewPanel {
    // The panel-area view, when someone opens it, shows the same runs.
    this.viewRuns = { runIds, title };
    const name = title ? `Results: ${title}` : 'Results';
    const current = this.resultsEditor;
    if (current) {
      current.panel.title = name;
      current.session.show(runIds, name);
      void this.rememberPanel(name, runIds);
      current.panel.reveal(undefined, true);
      return current.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      RESULTS_PANEL_TYPE,
      name,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
      this.webviewOptions(),
    );
    const entry = this.setUpPanel(panel, runIds, name);
    this.resultsEditor = entry;
    panel.onDidDispose(() => {
      if (this.resultsEditor === entry) this.resultsEditor = undefined;
    });
    return panel;
  }

  /** Opens an editor panel comparing runs. */
  openPanel(runIds: string[], title: string): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(
      RESULTS_PANEL_TYPE,
      title,
      vscode.ViewColumn.Active,
      this.webviewOptions(),
    );
    this.setUpPanel(panel, runIds, title);
    return panel;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.viewSession?.dispose();
    this.webviewView = view;
    view.webview.options = this.webviewOptions();
    const session = new ResultsSession(this.nextSession++, 'view', view.webview, this);
    this.viewSession = session;
    session.show(this.viewRuns.runIds, this.viewRuns.title);
    view.description = this.viewRuns.title;
    view.webview.html = this.html(view.webview, 'Weight Decay Lab: Results');
    view.onDidDispose(() => {
      session.dispose();
      if (this.viewSession === session) {
        this.viewSession = undefined;
        this.webviewView = undefined;
      }
    });
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    // The run ids come from the webview's own state (webview/state.ts keeps `runIds`, the last
    // `showRuns`), else from what this host remembered for a panel of that title: a state saved before
    // the first `showRuns` arrived has none.
    const fromState = (state as { runIds?: unknown } | undefined)?.runIds;
    const kept = Array.isArray(fromState) ? fromState.filter((s): s is string => typeof s === 'string') : [];
    const remembered = this.context.workspaceState.get<Record<string, string[]>>(PANEL_RUNS_KEY, {});
    const runIds = kept.length > 0 ? kept : (remembered[panel.title] ?? []);
    panel.webview.options = this.webviewOptions();
    const entry = this.setUpPanel(panel, runIds, panel.title);
    // The results editor of the last session becomes this one's: Show Results keeps reusing one tab.
    if (!this.resultsEditor && /^Results(: |$)/.test(panel.title)) {
      this.resultsEditor = entry;
      panel.onDidDispose(() => {
        if (this.resultsEditor === entry) this.resultsEditor = undefined;
      });
    }
  }

  private setUpPanel(
    panel: vscode.WebviewPanel,
    runIds: string[],
    title: string,
  ): { panel: vscode.WebviewPanel; session: ResultsSession } {
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'wdlab.svg');
    const session = new ResultsSession(this.nextSession++, 'panel', panel.webview, this);
    session.show(runIds, title);
    const entry = { panel, session };
    this.panels.add(entry);
    void this.rememberPanel(title, runIds);
    panel.webview.html = this.html(panel.webview, title);
    panel.onDidDispose(() => {
      session.dispose();
      this.panels.delete(entry);
    });
    return entry;
  }

  private async rememberPanel(title: string, runIds: string[]): Promise<void> {
    const all = { ...this.context.workspaceState.get<Record<string, string[]>>(PANEL_RUNS_KEY, {}) };
    delete all[title];
    all[title] = runIds;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - 20))) delete all[k];
    await this.context.workspaceState.update(PANEL_RUNS_KEY, all);
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    };
  }

  private html(webview: vscode.Webview, title: string): string {
    const media = (file: string) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'media', file)).toString();
    return renderResultsHtml({
      scriptUri: media('webview.js'),
      styleUri: media('webview.css'),
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      title,
    });
  }

  /** Saves an export the webview produced; the webview never touches files. */
  async export(m: Extract<WebviewToHost, { type: 'exportPng' | 'exportCsv' }>): Promise<HostToWebview> {
    const png = m.type === 'exportPng';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = m.suggestedName.replace(/[\\/:*?"<>|]/g, '_');
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: png ? { 'PNG image': ['png'] } : { CSV: ['csv'] },
      title: png ? 'Save chart as PNG' : 'Save data as CSV',
    });
    if (!target) return { type: 'exportResult', ok: false, detail: 'cancelled' };
    try {
      const bytes = png
        ? Buffer.from(m.dataUrl.slice(m.dataUrl.indexOf(',') + 1), 'base64')
        : Buffer.from(m.csv, 'utf8');
      await vscode.workspace.fs.writeFile(target, bytes);
      this.log.info(`exported ${target.fsPath} (${bytes.length} bytes)`);
      return { type: 'exportResult', ok: true, detail: target.fsPath };
    } catch (e) {
      this.log.error(`export to ${target.fsPath} failed: ${(e as Error).message}`);
      return { type: 'exportResult', ok: false, detail: (e as Error).message };
    }
  }

  dispose(): void {
    this.viewSession?.dispose();
    for (const { session } of this.panels) session.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
