// Slurm runs in the editor, against the real single-node cluster of test/harness/slurm-up.sh:
// Run with the Slurm executor submits one job array and returns; the Runs view shows the run PENDING (with
// Slurm's reason), RUNNING, then completed, from its folder and squeue; the results panel follows it live;
// Stop on a Slurm run ends it cancelled with a checkpoint. Without sbatch the suite says it skipped, unless
// WDLAB_REQUIRE_SLURM=1 (CI), where that is a failure.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SlurmJobOutcome } from '../../../src/extension/slurm';
import { findOnPath } from '../../../src/runner/executors/slurm';
import type { RunInfo } from '../../../src/runner/runStore';
import { suite, test } from '../runner';
import { api, describeTree, poll, showResultsUntilLiveRecords, treeRows, workspaceUri } from '../util';

const themeIcon = (item: vscode.TreeItem) =>
  item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
const runsDir = () => workspaceUri('.wdlab', 'runs').fsPath;
const runInfo = (id: string): RunInfo => JSON.parse(readFileSync(join(runsDir(), id, 'run.json'), 'utf8'));

function unavailable(): string | undefined {
  let why: string | undefined;
  if (!findOnPath('sbatch'))
    why = 'no sbatch on PATH (bash test/harness/slurm-up.sh starts a single-node cluster)';
  else {
    const probe = spawnSync('sinfo', ['-h', '-o', '%a'], { encoding: 'utf8', timeout: 15_000 });
    if (probe.status !== 0 || !/^up/m.test(probe.stdout))
      why = `Slurm does not answer (sinfo: ${(probe.stderr || '').trim()})`;
  }
  if (why && process.env.WDLAB_REQUIRE_SLURM === '1')
    throw new Error(`WDLAB_REQUIRE_SLURM is set but ${why}`);
  if (why) console.log(`  - skipped: ${why}`);
  return why;
}

/** A spec of a few seconds on the wasm backend, written into the workspace for this suite only. */
function writeSpec(name: string, epochs: number): vscode.Uri {
  const uri = workspaceUri(`${name}.wdlab.json`);
  writeFileSync(
    uri.fsPath,
    JSON.stringify({
      name,
      data: { dataset: 'synthetic-vectors', trainSize: 256, testSize: 128 },
      model: { arch: 'mlp', hidden: [32], batchNorm: true },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
      regularization: { type: 'weightDecay', coefficient: 0.0005 },
      training: { epochs, batchSize: 32, backend: 'wasm', logEverySteps: 1 },
    }),
  );
  return uri;
}

async function runRow(
  id: string,
  until: (item: vscode.TreeItem) => boolean,
  timeoutMs: number,
  what: string,
) {
  const wdlab = await api();
  let seen = '';
  return poll(
    async () => {
      const rows = await treeRows(wdlab);
      seen = describeTree(rows);
      const row = rows.find((r) => r.node.kind === 'run' && r.node.id === id);
      return row && until(row.item) ? row : undefined;
    },
    timeoutMs,
    () => `${what}; the Runs view:\n${seen}`,
  );
}

suite('Slurm runs in the Runs view', () => {
  test('Run on Slurm: the Runs view shows the run PENDING (BeginTime), RUNNING, then completed; Show Results follows it live', async () => {
    if (unavailable()) return;
    const wdlab = await api();
    const config = vscode.workspace.getConfiguration('wdlab');
    // Long enough (several seconds of training) that the view, which follows another process's run
    // through its files and a 2 s poll, sees it running before it completes.
    const uri = writeSpec('slurm-view', 400);
    // Held a few seconds by Slurm itself, so that PENDING is there to be seen.
    await config.update('slurm.sbatchArgs', ['--begin=now+4'], vscode.ConfigurationTarget.Workspace);
    await config.update('executor', 'slurm', vscode.ConfigurationTarget.Workspace);
    try {
      const outcome = await vscode.commands.executeCommand<SlurmJobOutcome>('wdlab.runExperiment', uri, {
        executor: 'slurm',
      });
      assert.ok(outcome, 'the Run command returned nothing (see the log channel)');
      assert.equal(outcome.executor, 'slurm');
      assert.match(outcome.jobId, /^\d+$/);
      assert.deepEqual(outcome.statuses, ['queued']);
      const id = outcome.runIds[0];
      assert.equal((runInfo(id).executor as { jobId?: string }).jobId, outcome.jobId);

      const pending = await runRow(
        id,
        (i) => String(i.description).startsWith('queued · PENDING'),
        15_000,
        'PENDING',
      );
      assert.equal(pending.item.description, 'queued · PENDING (BeginTime)');
      assert.equal(themeIcon(pending.item), 'clock');
      assert.equal(pending.item.contextValue, 'wdlab.run.queued.slurm', 'a live Slurm run offers Stop');

      const running = await runRow(id, (i) => themeIcon(i) === 'sync~spin', 30_000, 'RUNNING');
      assert.equal(running.item.contextValue, 'wdlab.run.running.slurm');
      // Slurm's word until the first progress, then how much of the run is done.
      assert.match(String(running.item.description), /^(running · (RUNNING|starting)|\d+% done)/);

      // The results panel follows the run's folder: records arrive while it trains.
      await showResultsUntilLiveRecords(wdlab, id);

      const done = await runRow(id, (i) => String(i.description).endsWith('completed'), 60_000, 'completed');
      assert.equal(themeIcon(done.item), 'pass');
      assert.equal(done.item.contextValue, 'wdlab.run.completed.slurm');
      assert.equal(runInfo(id).status, 'completed');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      await config.update('slurm.sbatchArgs', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('executor', undefined, vscode.ConfigurationTarget.Workspace);
      rmSync(uri.fsPath, { force: true });
    }
  }, 120_000);

  test('Stop on a running Slurm run: scancel --signal=TERM to its task; it ends cancelled with a checkpoint', async () => {
    if (unavailable()) return;
    const uri = writeSpec('slurm-stop', 400);
    try {
      const outcome = await vscode.commands.executeCommand<SlurmJobOutcome>('wdlab.runExperiment', uri, {
        executor: 'slurm',
      });
      assert.ok(outcome);
      const id = outcome.runIds[0];
      await poll(
        () => (existsSync(join(runsDir(), id, 'checkpoint', 'latest.json')) ? true : undefined),
        30_000,
      );
      await runRow(id, (i) => themeIcon(i) === 'sync~spin', 10_000, 'RUNNING');
      const stopped = await vscode.commands.executeCommand<number>('wdlab.stopRun', { kind: 'run', id });
      assert.equal(stopped, 1);
      const row = await runRow(id, (i) => themeIcon(i) === 'circle-slash', 30_000, 'cancelled');
      assert.equal(row.item.contextValue, 'wdlab.run.cancelled.slurm');
      const info = runInfo(id);
      assert.equal(info.status, 'cancelled');
      assert.ok(info.progress && info.progress.step < info.progress.totalSteps);
    } finally {
      rmSync(uri.fsPath, { force: true });
    }
  }, 90_000);
});
