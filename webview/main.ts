// The results webview. Bundled by esbuild into media/webview.js (IIFE). Inside VS Code it
// talks to the extension host (webview/protocol.ts); in a `wdlab report` page it renders the data
// embedded as <script type="application/json" id="wdlab-report-data">.

import type { ReportData } from '../src/protocol/webview';
import { ResultsApp } from './app';
import { connectHost } from './host';

function embeddedReport(): ReportData | undefined {
  const node = document.getElementById('wdlab-report-data');
  if (!node?.textContent) return undefined;
  return JSON.parse(node.textContent) as ReportData;
}

function start(): void {
  performance.mark('wdlab:start');
  const root = document.getElementById('wdlab-app') ?? document.body;
  new ResultsApp(root, connectHost(), embeddedReport());
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
