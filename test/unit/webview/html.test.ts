import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReportData } from '../../../src/protocol/webview';
import { escapeHtml, jsonForScript, renderResultsHtml } from '../../../webview/html';

const base = {
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/webview.css',
  cspSource: 'https://*.vscode-cdn.net',
  nonce: 'abcDEF0123456789xyz',
  title: 'Results',
};

const scriptTags = (html: string) => html.match(/<script\b[^>]*>/g) ?? [];

describe('renderResultsHtml', () => {
  test('a strict CSP: nothing by default, scripts by nonce only, never unsafe-eval/unsafe-inline', () => {
    const html = renderResultsHtml(base);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    assert.ok(csp, 'CSP meta present');
    const policy = csp.replace(/&#39;/g, "'");
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'nonce-abcDEF0123456789xyz'(;|$)/);
    assert.match(policy, /style-src https:\/\/\*\.vscode-cdn\.net 'nonce-abcDEF0123456789xyz'/);
    assert.match(policy, /img-src https:\/\/\*\.vscode-cdn\.net data:/);
    assert.match(policy, /font-src https:\/\/\*\.vscode-cdn\.net/);
    assert.doesNotMatch(html, /unsafe-eval|unsafe-inline/);
    assert.ok(
      html.indexOf('Content-Security-Policy') < html.indexOf('<link'),
      'CSP comes before any resource',
    );
  });

  test('webview mode: the script and stylesheet by URI, every script with the nonce, no report data', () => {
    const html = renderResultsHtml(base);
    const scripts = scriptTags(html);
    assert.equal(scripts.length, 1);
    for (const s of scripts) assert.match(s, /nonce="abcDEF0123456789xyz"/);
    assert.match(
      html,
      /<script nonce="abcDEF0123456789xyz" src="https:\/\/file\+\.vscode-resource[^"]*webview\.js"><\/script>/,
    );
    assert.match(html, /<link rel="stylesheet" href="[^"]*webview\.css"/);
    assert.doesNotMatch(html, /wdlab-report-data/);
    assert.doesNotMatch(html, /\sstyle="/, 'no inline style attributes');
  });

  const data: ReportData = {
    title: 'evil </script><script>alert(1)</script>',
    generatedAt: '2026-01-01T00:00:00.000Z',
    runs: [
      {
        id: 'r1',
        name: 'x',
        group: 'g',
        values: { note: '</script><img src=x onerror=alert(1)> <!-- \u2028' },
        label: 'a </script> label & "quotes"',
        status: 'completed',
      },
    ],
    records: { r1: [{ step: 0, epoch: 0, time: 0, 'train/loss': 1 }] },
  };

  test('report mode: data embedded as JSON that a </script> in a label cannot break out of', () => {
    const html = renderResultsHtml({ ...base, title: data.title, reportData: data });
    const scripts = scriptTags(html);
    assert.equal(scripts.length, 2, scripts.join('\n'));
    for (const s of scripts) assert.match(s, /nonce="abcDEF0123456789xyz"/);
    const m =
      /<script type="application\/json" id="wdlab-report-data" nonce="[^"]+">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m);
    assert.ok(!m[1].includes('<'), 'no "<" inside the data element');
    assert.deepEqual(JSON.parse(m[1]), data);
    assert.equal((html.match(/<\/script>/g) ?? []).length, 2, 'only the two real closing tags');
    assert.match(html, /<title>evil &#60;\/script&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;<\/title>/);
  });

  test('self-contained report: script and style inline with the nonce, a </script> in the bundle escaped', () => {
    const html = renderResultsHtml({
      ...base,
      cspSource: "'self'",
      reportData: data,
      inlineScript: 'const s = "</script><!--"; console.log(s);',
      inlineStyle: 'body { color: red } /* </style> */',
    });
    assert.doesNotMatch(html, /webview\.js|webview\.css/);
    assert.match(
      html,
      /<style nonce="abcDEF0123456789xyz">body \{ color: red \} \/\* <\\\/style> \*\/<\/style>/,
    );
    assert.match(
      html,
      /<script nonce="abcDEF0123456789xyz">const s = "<\\\/script><\\!--"; console\.log\(s\);<\/script>/,
    );
    assert.equal((html.match(/<\/script>/g) ?? []).length, 2);
    assert.ok(html.includes('style-src &#39;self&#39; &#39;nonce-abcDEF0123456789xyz&#39;'));
  });

  test('rejects a nonce that could break the attribute or the policy', () => {
    assert.throws(() => renderResultsHtml({ ...base, nonce: 'x" onload="y' }));
    assert.throws(() => renderResultsHtml({ ...base, nonce: 'short' }));
  });

  test('helpers', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;',
    );
    assert.equal(jsonForScript({ a: '</script>' }), '{"a":"\\u003c/script>"}');
    assert.deepEqual(JSON.parse(jsonForScript({ a: '</script>\u2028' })), { a: '</script>\u2028' });
  });
});
