// "Weight Decay Lab: Install Training Engine": the runner's engine installer (runner/engineInstall.ts:
// npm, pip and node-gyp in child processes; nothing heavy on the extension host) with a progress
// notification and every command's output in the log. An extension installed from a VSIX has no
// node_modules, so this is how it gets native TensorFlow or WebGPU (docs/engines.md). The engine goes to
// `wdlab.enginePath`, else the engines folder the CLI uses too, where every trainer looks for it.
import * as vscode from 'vscode';
import { ENGINE_NAMES, type EngineName, enginesDirectory } from '../engine/engines';
import { installEngine } from '../runner/engineInstall';
import { enginePath } from './settings';

const CHOICES: Record<EngineName, { label: string; detail: string }> = {
  tensorflow: {
    label: 'Native TensorFlow (CPU)',
    detail:
      'tfjs-node on libtensorflow with oneDNN: the fastest engine on a CPU. Downloads libtensorflow 2.9.1, or offline builds it from a local tensorflow-cpu wheel (needs Python with pip, g++ and make). About 1.2 GB.',
  },
  'tensorflow-gpu': {
    label: 'Native TensorFlow (NVIDIA CUDA)',
    detail:
      'tfjs-node-gpu: needs an NVIDIA driver with CUDA 11.2 and cuDNN 8.1, and internet for libtensorflow-gpu.',
  },
  webgpu: {
    label: 'WebGPU (Dawn)',
    detail: 'Any GPU through Vulkan, Metal or Direct3D 12 (the `webgpu` package with Dawn built in).',
  },
};

let running = false;

/** Installs `engine` (or a picked one); resolves to its folder, or undefined if not installed. */
export async function installEngineCommand(
  log: vscode.LogOutputChannel,
  engine?: unknown,
): Promise<string | undefined> {
  const picked = ENGINE_NAMES.includes(engine as EngineName)
    ? (engine as EngineName)
    : (
        await vscode.window.showQuickPick(
          ENGINE_NAMES.map((name) => ({ ...CHOICES[name], description: name, name })),
          { placeHolder: 'Install which training engine?', matchOnDetail: true },
        )
      )?.name;
  if (!picked) return undefined;
  if (running) {
    void vscode.window.showInformationMessage('Weight Decay Lab: an engine is already being installed.');
    return undefined;
  }
  running = true;
  const dir = enginePath() ?? enginesDirectory();
  log.info(`install engine ${picked} into ${dir}`);
  try {
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Weight Decay Lab: installing ${CHOICES[picked].label}`,
      },
      (progress) =>
        installEngine({
          engine: picked,
          dir,
          onStep: (s) => {
            log.info(s);
            progress.report({ message: s });
          },
          onLog: (text) => {
            for (const line of text.split('\n')) if (line.trim()) log.trace(line);
          },
        }),
    );
    log.info(`${result.check}`);
    const message = `${CHOICES[picked].label} installed (${result.manifest.library}). New runs with backend "auto" or "${picked === 'webgpu' ? 'webgpu' : 'tensorflow'}" use it.`;
    log.info(`${message} Folder: ${result.folder}`);
    void vscode.window.showInformationMessage(`Weight Decay Lab: ${message}`);
    return result.folder;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`install engine ${picked}: ${message}`);
    void vscode.window
      .showErrorMessage(`Weight Decay Lab: ${CHOICES[picked].label} not installed: ${message}`, 'Show Logs')
      .then((choice) => {
        if (choice) log.show(true);
      });
    return undefined;
  } finally {
    running = false;
  }
}
