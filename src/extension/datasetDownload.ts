// "Weight Decay Lab: Download Dataset": the runner's download (runner/download.ts, Node networking on the
// extension host's event loop; nothing is decoded or trained here) with a cancellable progress
// notification. The files go where the trainer looks for them: `wdlab.dataDirectory`, else $WDLAB_DATA,
// else the default cache folder (engine/data/locate.ts).
import * as vscode from 'vscode';
import {
  DATASET_LAYOUTS,
  isRealDataset,
  dataDirectory as locateDataDirectory,
  REAL_DATASETS,
  type RealDatasetName,
} from '../engine/data/locate';
import { DATASET_SOURCES, type DownloadEvent, downloadDataset } from '../runner/download';
import { dataDirectory } from './settings';

const DETAILS: Record<RealDatasetName, string> = {
  cifar10: '32x32 colour images, 10 classes, 50k train / 10k test · 162 MiB from cs.toronto.edu',
  cifar100: '32x32 colour images, 100 classes, 50k train / 10k test · 161 MiB from cs.toronto.edu',
  mnist: '28x28 handwritten digits, 60k train / 10k test · 11 MiB from yann.lecun.com (or its mirror)',
  'fashion-mnist': '28x28 clothing images, 10 classes, 60k train / 10k test · 30 MiB from Zalando Research',
};

const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);

/** Datasets being downloaded by this window: a second download of the same files would race on the .part. */
const inProgress = new Set<RealDatasetName>();

/**
 * Runs the download of `name` (or of a picked dataset) into `dataDir` (a spec's quick fix passes where that
 * spec's trials look; else the setting's folder); resolves to the dataset's folder, or undefined.
 */
export async function downloadDatasetCommand(
  log: vscode.LogOutputChannel,
  name?: unknown,
  dataDir?: unknown,
): Promise<string | undefined> {
  const picked = isRealDataset(name)
    ? name
    : (
        await vscode.window.showQuickPick(
          REAL_DATASETS.map((n) => ({
            label: DATASET_LAYOUTS[n].title,
            description: n,
            detail: DETAILS[n],
            name: n,
          })),
          { placeHolder: 'Download which dataset?', matchOnDescription: true },
        )
      )?.name;
  if (!picked) return undefined;
  if (inProgress.has(picked)) {
    void vscode.window.showInformationMessage(
      `Weight Decay Lab: ${DATASET_LAYOUTS[picked].title} is already downloading.`,
    );
    return undefined;
  }
  inProgress.add(picked);
  try {
    return await download(log, picked, typeof dataDir === 'string' && dataDir !== '' ? dataDir : undefined);
  } finally {
    inProgress.delete(picked);
  }
}

async function download(
  log: vscode.LogOutputChannel,
  picked: RealDatasetName,
  into?: string,
): Promise<string | undefined> {
  const dataDir = into ?? dataDirectory() ?? locateDataDirectory().dir;
  const { title } = DATASET_LAYOUTS[picked];
  const files = DATASET_SOURCES[picked].files.map((f) => f.name);
  log.info(`download ${picked} into ${dataDir}`);
  let cancelled = false;
  try {
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Weight Decay Lab: downloading ${title}`,
        cancellable: true,
      },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => {
          cancelled = true;
          controller.abort();
        });
        // The bar shows the whole dataset: file i of n contributes its fraction / n.
        let shown = 0;
        const onEvent = (e: DownloadEvent) => {
          const index = Math.max(0, files.indexOf(e.file));
          const prefix = files.length > 1 ? `${index + 1}/${files.length} ` : '';
          switch (e.type) {
            case 'start':
              log.info(`${e.file}: ${e.url}${e.offset > 0 ? ` (resuming at byte ${e.offset})` : ''}`);
              break;
            case 'progress': {
              const fraction = e.total ? e.received / e.total : 0;
              const overall = (100 * (index + fraction)) / files.length;
              progress.report({
                increment: Math.max(0, overall - shown),
                message: `${prefix}${e.file}: ${mib(e.received)}${e.total ? ` / ${mib(e.total)}` : ''} MiB`,
              });
              shown = Math.max(shown, overall);
              break;
            }
            case 'retry':
              log.warn(`${e.url} failed (${e.error}); trying the next address`);
              break;
            case 'verified':
              log.info(`${e.file}: md5 verified`);
              break;
            case 'extract':
              progress.report({ message: `extracting ${e.file}` });
              break;
          }
        };
        return downloadDataset(picked, { dataDir, onEvent, signal: controller.signal });
      },
    );
    const message = result.downloaded
      ? `${title} downloaded to ${result.folder}.`
      : `${title} is already complete in ${result.folder}.`;
    log.info(message);
    void vscode.window.showInformationMessage(`Weight Decay Lab: ${message}`);
    return result.folder;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (cancelled) {
      // The .part files stay: the next download resumes them.
      log.info(`download ${picked}: ${message}`);
      void vscode.window.showInformationMessage(
        `Weight Decay Lab: ${title} download cancelled; run Download Dataset again to resume it.`,
      );
      return undefined;
    }
    log.error(`download ${picked}: ${message}`);
    void vscode.window
      .showErrorMessage(`Weight Decay Lab: ${title}: ${message.replace(/:?\n\s*/g, '; ')}`, 'Show Logs')
      .then((choice) => choice && log.show(true));
    return undefined;
  }
}
