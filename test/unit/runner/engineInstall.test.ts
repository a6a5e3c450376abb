// The engine installer's failures (runner/engineInstall.ts), each caused for real: a wheel that does not
// exist, a zip that is not a TensorFlow wheel, a Python without pip, a PATH without a C++ compiler, and an
// engine that no wheel can give. Each says what failed and what to do, and leaves no engine folder (nor a
// staging folder) behind. The successful build is what `.ci/run` does before the tests (npm run
// native:build), and the tensorflow tests run on its result.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EngineInstallError, installEngine } from '../../../src/runner/engineInstall';
import { cliPath } from '../../helpers/backend';
import { runCli } from '../../helpers/cli';

const scratch: string[] = [];
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const tmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
};

/** The engine folder is empty afterwards: no engine, no staging folder (a `wheels/` cache may stay). */
const assertNothingLeft = (dir: string) =>
  assert.deepEqual(
    readdirSync(dir).filter((f) => f !== 'wheels'),
    [],
  );

const which = (cmd: string): string =>
  execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();

async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof EngineInstallError, String(e));
    assert.match(e.message, message);
    return true;
  });
}

describe('wdlab engine install: failures name the cause and the fix, and leave nothing behind', () => {
  test('a wheel that does not exist', async () => {
    const dir = tmp('wdlab-eng-');
    await rejects(
      installEngine({ engine: 'tensorflow', dir, wheel: join(dir, 'nope.whl'), cliPath: cliPath() }),
      /no such wheel: .*nope\.whl/,
    );
    assertNothingLeft(dir);
  });

  test('a zip that is not a TensorFlow wheel', async () => {
    const dir = tmp('wdlab-eng-');
    const wheel = join(dir, '..', `${dir.split('/').pop()}-fake.whl`);
    scratch.push(wheel);
    execFileSync('python3', [
      '-c',
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr("tensorflow/__init__.py", "")',
      wheel,
    ]);
    await rejects(
      installEngine({ engine: 'tensorflow', dir, wheel, cliPath: cliPath() }),
      /is not a TensorFlow wheel with the C API .*it has no tensorflow\/libtensorflow_cc\.so\.2/,
    );
    assertNothingLeft(dir);
  });

  test('a Python without pip (a venv made --without-pip)', async () => {
    const dir = tmp('wdlab-eng-');
    const venv = tmp('wdlab-venv-');
    execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
    await rejects(
      installEngine({
        engine: 'tensorflow',
        dir,
        python: join(venv, 'bin', 'python'),
        source: 'wheel',
        cliPath: cliPath(),
      }),
      /has no pip: install pip .*or pass --wheel FILE/,
    );
    assertNothingLeft(dir);
  });

  test('no C++ compiler on PATH', async () => {
    const dir = tmp('wdlab-eng-');
    // A PATH with Node, npm and Python but no c++ or make.
    const bin = tmp('wdlab-path-');
    for (const cmd of ['node', 'npm', 'python3']) symlinkSync(which(cmd), join(bin, cmd));
    const path = process.env.PATH;
    process.env.PATH = bin;
    try {
      await rejects(
        installEngine({ engine: 'tensorflow', dir, source: 'wheel', cliPath: cliPath() }),
        /no C\+\+ compiler \(c\+\+\) or make on PATH.*apt-get install g\+\+ make/,
      );
    } finally {
      process.env.PATH = path;
    }
    assertNothingLeft(dir);
  });

  test('engines that no tensorflow-cpu wheel can give', async () => {
    const dir = tmp('wdlab-eng-');
    await rejects(
      installEngine({ engine: 'tensorflow-gpu', dir, source: 'wheel', cliPath: cliPath() }),
      /tensorflow-gpu cannot be built from a tensorflow-cpu wheel \(that wheel has no CUDA\)/,
    );
    await rejects(
      installEngine({ engine: 'webgpu', dir, source: 'wheel', cliPath: cliPath() }),
      /webgpu cannot be built from a tensorflow-cpu wheel \(that wheel has no Dawn\)/,
    );
  });

  test('the CLI: an unknown engine is a usage error (exit 2); a failed install exits 1 with the reason', async () => {
    const dir = tmp('wdlab-eng-');
    const unknown = await runCli(['engine', 'install', 'pytorch'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /ENGINE one of tensorflow, tensorflow-gpu, webgpu/);
    const failed = await runCli(
      ['engine', 'install', 'tensorflow', '--wheel', join(dir, 'x.whl'), '--quiet'],
      dir,
      {
        WDLAB_ENGINES: join(dir, 'engines'),
      },
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /wdlab engine: tensorflow not installed: no such wheel: .*x\.whl/);
  });
});
