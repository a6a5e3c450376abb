// Exports: inside VS Code the host saves files (showSaveDialog + workspace.fs; the webview never touches
// files). In a report page there is no host: the browser downloads the file from a link.
import type { Host } from '../host';

export interface Exporter {
  png(name: string, dataUrl: string): void;
  csv(name: string, csv: string): void;
}

function download(name: string, href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.className = 'wd-download';
  document.body.append(a);
  a.click();
  a.remove();
}

export function createExporter(host: Host, notify: (text: string) => void): Exporter {
  if (host.inVsCode) {
    return {
      png: (suggestedName, dataUrl) => host.post({ type: 'exportPng', suggestedName, dataUrl }),
      csv: (suggestedName, csv) => host.post({ type: 'exportCsv', suggestedName, csv }),
    };
  }
  return {
    png: (name, dataUrl) => {
      download(name, dataUrl);
      notify(`Downloaded ${name}`);
    },
    csv: (name, csv) => {
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      download(name, url);
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      notify(`Downloaded ${name}`);
    },
  };
}
