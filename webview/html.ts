// The results page's HTML, shared by the VS Code webview (scriptUri/styleUri are webview URIs) and
// `wdlab report` (one self-contained file: script, style and data inline). Pure: no vscode, no fs.
//
// CSP (docs/architecture.md): nothing by default, scripts only by nonce, styles from the extension or by
// nonce, never 'unsafe-eval' or 'unsafe-inline'. Chart.js sets canvas sizes through CSSOM, which CSP
// allows; the markup has no style attributes.
import type { ReportData } from '../src/protocol/webview';

export interface ResultsHtmlOptions {
  scriptUri: string;
  styleUri: string;
  /** webview.cspSource inside VS Code; "'self'" for a report file. */
  cspSource: string;
  nonce: string;
  title: string;
  reportData?: ReportData;
  /** The bundle's text, for a self-contained report (replaces scriptUri). */
  inlineScript?: string;
  /** The stylesheet's text, for a self-contained report (replaces styleUri). */
  inlineStyle?: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside <script>: no `<` can start `</script>` or `<!--`. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text safe inside <script>: `</script` and `<!--` cannot end or confuse the element. */
function inlineScriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function inlineStyleText(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function renderResultsHtml(o: ResultsHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(o.nonce)) throw new Error('the nonce must be 8+ base64 characters');
  const nonce = escapeHtml(o.nonce);
  const style =
    o.inlineStyle !== undefined
      ? `<style nonce="${nonce}">${inlineStyleText(o.inlineStyle)}</style>`
      : `<link rel="stylesheet" href="${escapeHtml(o.styleUri)}" nonce="${nonce}">`;
  const data =
    o.reportData !== undefined
      ? `<script type="application/json" id="wdlab-report-data" nonce="${nonce}">${jsonForScript(o.reportData)}</script>\n`
      : '';
  const script =
    o.inlineScript !== undefined
      ? `<script nonce="${nonce}">${inlineScriptText(o.inlineScript)}</script>`
      : `<script nonce="${nonce}" src="${escapeHtml(o.scriptUri)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
${style}
</head>
<body class="${o.reportData ? 'wd-report' : 'wd-webview'}">
<div id="wdlab-app" class="wd-app" data-view="loading"><p class="wd-empty">Loading…</p></div>
${data}${script}
</body>
</html>
`;
}
