// `wdlab engine list|install|check`: the native training engines (engine/engines.ts, runner/engineInstall.ts).
//
//   wdlab engine list                      where each engine is found, or how to get it
//   wdlab engine install ENGINE            into the engines folder (--source auto|download|wheel, --wheel FILE)
//   wdlab engine check ENGINE              load it as a trainer would and time a step's worth of kernels
import { initBackend } from '../engine/backend';
import {
  ENGINE_NAMES,
  ENGINE_PACKAGES,
  type EngineName,
  enginesDirectory,
  resolveEngine,
} from '../engine/engines';
import { tf } from '../engine/tf';
import { EngineInstallError, type EngineSource, installEngine } from '../runner/engineInstall';

export class EngineInputError extends Error {}

export interface EngineFlags {
  source?: string;
  wheel?: string;
  python?: string;
  'engines-dir'?: string;
  quiet?: boolean;
}

const isEngine = (name: string | undefined): name is EngineName => ENGINE_NAMES.includes(name as EngineName);

export async function engineCommand(args: string[], flags: EngineFlags): Promise<number> {
  const [verb, name, ...extra] = args;
  if (flags['engines-dir']) process.env.WDLAB_ENGINES = flags['engines-dir'];
  if (verb === 'list' && name === undefined) return list();
  if ((verb === 'install' || verb === 'check') && isEngine(name) && extra.length === 0)
    return verb === 'install' ? install(name, flags) : check(name);
  throw new EngineInputError(
    `engine needs: list | install ENGINE | check ENGINE, with ENGINE one of ${ENGINE_NAMES.join(', ')}`,
  );
}

function list(): number {
  console.log(`engines folder: ${enginesDirectory()}`);
  for (const engine of ENGINE_NAMES) {
    let where: string;
    try {
      const found = resolveEngine(engine);
      where = `${found.path}${found.library ? ` (${found.library})` : ''}`;
    } catch (e) {
      where = `not installed — wdlab engine install ${engine}  [${(e as Error).message}]`;
    }
    console.log(`${engine.padEnd(15)} ${ENGINE_PACKAGES[engine].padEnd(26)} ${where}`);
  }
  return 0;
}

async function install(engine: EngineName, flags: EngineFlags): Promise<number> {
  const source = flags.source ?? 'auto';
  if (!['auto', 'download', 'wheel'].includes(source))
    throw new EngineInputError(`--source must be auto, download or wheel (got "${source}")`);
  const started = Date.now();
  try {
    const result = await installEngine({
      engine,
      source: source as EngineSource,
      wheel: flags.wheel,
      python: flags.python,
      onStep: (s) => console.error(`wdlab engine: ${s}`),
      onLog: flags.quiet ? undefined : (t) => process.stderr.write(t.replace(/^/gm, '  ')),
    });
    console.error(`wdlab engine: ${result.check}`);
    console.error(
      `wdlab engine: ${engine} installed in ${((Date.now() - started) / 1000).toFixed(0)} s: ${result.manifest.library}`,
    );
    console.log(result.folder);
    return 0;
  } catch (e) {
    if (e instanceof EngineInstallError) {
      console.error(`wdlab engine: ${engine} not installed: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** Loads the engine as a trainer does and runs a forward and backward conv and a matMul on it. */
async function check(engine: EngineName): Promise<number> {
  const info = await initBackend(engine === 'webgpu' ? 'webgpu' : 'tensorflow');
  const started = performance.now();
  const grad = tf.tidy(() => {
    const x = tf.randomNormal([8, 16, 16, 8]);
    const w = tf.variable(tf.randomNormal([3, 3, 8, 16]));
    const { grads } = tf.variableGrads(
      () =>
        tf
          .conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 1, 'same')
          .square()
          .mean() as tf.Scalar,
      [w],
    );
    const a = tf.randomNormal([256, 256]);
    return tf.matMul(a, a).sum().add(grads[w.name].sum());
  });
  const value = (await grad.data())[0];
  grad.dispose();
  if (!Number.isFinite(value)) throw new Error(`${engine}: a conv gradient and a matMul gave ${value}`);
  console.log(
    `${info.name}: ${info.device}; a conv gradient and a matMul ran in ${(performance.now() - started).toFixed(0)} ms`,
  );
  return 0;
}
