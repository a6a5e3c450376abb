// Test helper: the real `wdlab` CLI bundle in a child process, with its exit code and output. The runs
// and data folders of the developer's environment are not inherited, so a test sees only what it sets.
import { spawn } from 'node:child_process';
import { cliPath } from './backend';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const { WDLAB_RUNS_DIR: _r, WDLAB_DATA: _d, ...inherited } = process.env;
  const child = spawn(process.execPath, [cliPath(), ...args], { cwd, env: { ...inherited, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
