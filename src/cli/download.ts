// `wdlab download NAME [--data-dir DIR]`: the dataset download (runner/download.ts) with progress on
// stderr, so that stdout carries only the resulting folder.
import { resolve } from 'node:path';
import { DATASET_LAYOUTS, dataDirectory, type RealDatasetName } from '../engine/data/locate';
import { type DownloadEvent, type DownloadOptions, downloadDataset } from '../runner/download';

const MiB = 1024 * 1024;
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

/** A progress printer: one rewritten line on a terminal, a line per 10% otherwise (logs, CI). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: DownloadEvent) => void {
  let started = 0;
  let startOffset = 0;
  let lastDecile = -1;
  return (e) => {
    switch (e.type) {
      case 'start':
        started = Date.now();
        startOffset = e.offset;
        lastDecile = -1;
        stream.write(
          `${e.file}: ${e.url}${e.offset > 0 ? ` (resuming at ${mib(e.offset)} MiB)` : ''}${e.total === undefined ? '' : `, ${mib(e.total)} MiB`}\n`,
        );
        break;
      case 'progress': {
        const seconds = (Date.now() - started) / 1000;
        const rate = seconds > 0 ? (e.received - startOffset) / MiB / seconds : 0;
        const pct = e.total ? (100 * e.received) / e.total : undefined;
        const line = `  ${mib(e.received)}${e.total ? ` / ${mib(e.total)}` : ''} MiB${pct === undefined ? '' : `  ${pct.toFixed(1)}%`}  ${rate.toFixed(1)} MiB/s`;
        if (stream.isTTY) {
          stream.write(`\r${line}\x1b[K`);
          if (e.total !== undefined && e.received >= e.total) stream.write('\n');
        } else {
          const decile = pct === undefined ? lastDecile : Math.floor(pct / 10);
          if (decile > lastDecile) {
            lastDecile = decile;
            stream.write(`${line}\n`);
          }
        }
        break;
      }
      case 'retry':
        stream.write(`${stream.isTTY ? '\n' : ''}  ${e.url} failed (${e.error}); trying the next address\n`);
        break;
      case 'verified':
        stream.write(`  ${e.file}: md5 verified\n`);
        break;
      case 'extract':
        stream.write(`  extracting ${e.file}\n`);
        break;
    }
  };
}

/** Downloads `name` into DIR (default: $WDLAB_DATA, else the cache folder); prints the folder; exit code. */
export async function downloadCommand(
  name: RealDatasetName,
  dataDirFlag: string | undefined,
  options: Partial<DownloadOptions> = {},
): Promise<number> {
  const dataDir = dataDirFlag ? resolve(dataDirFlag) : dataDirectory().dir;
  const title = DATASET_LAYOUTS[name].title;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await downloadDataset(name, {
      dataDir,
      onEvent: progressPrinter(),
      signal: controller.signal,
      ...options,
    });
    if (!result.downloaded) console.error(`${title} is already complete in ${result.folder}`);
    else console.error(`${title} downloaded to ${result.folder}`);
    if (dataDir !== dataDirectory().dir) {
      console.error(
        `Specs find it with "data": { "path": ${JSON.stringify(dataDir)} } or WDLAB_DATA=${dataDir}`,
      );
    }
    console.log(result.folder);
    return 0;
  } catch (e) {
    if (!controller.signal.aborted) throw e;
    // Ctrl+C: the .part stays for the next run to resume (exit 130, as for a stopped run).
    console.error(`\n${(e as Error).message}`);
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
  }
}
