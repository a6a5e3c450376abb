// A completed run's warnings (run.json `warnings`, runner/warnings.ts) in the Runs view: the run's tooltip
// says them. The run folder is written as the runner leaves it (runStore), as another process's run would be.
import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { readRunInfo, writeRunInfo } from '../../../src/runner/runStore';
import { chanceWarnings } from '../../../src/runner/warnings';
import { createBelowChanceRun } from '../../helpers/belowChance';
import { suite, test } from '../runner';
import { api, describeTree, poll, treeRows } from '../util';

suite('run warnings in the Runs view', () => {
  test('a completed run below chance says so in its tooltip', async () => {
    const wdlab = await api();
    const { runDir } = createBelowChanceRun(wdlab.catalog.directory);
    const runDirs = [runDir];
    const warnings = chanceWarnings({ 'test/accuracy': 0.02 }, 10);
    writeRunInfo(runDirs[0], {
      ...readRunInfo(runDirs[0]),
      status: 'completed',
      endedAt: new Date().toISOString(),
      ownerPid: 0,
      warnings,
    });
    const id = readRunInfo(runDirs[0]).id;
    let rows: Awaited<ReturnType<typeof treeRows>> = [];
    const row = await poll(
      async () => {
        rows = await treeRows(wdlab);
        return rows.find(
          (r) => r.node.kind === 'run' && r.node.id === id && /completed/.test(String(r.item.description)),
        );
      },
      10_000,
      () => describeTree(rows),
    );
    const tooltip = (row.item.tooltip as vscode.MarkdownString).value;
    console.log(`    tooltip: ${tooltip.split('\n').filter(Boolean).join(' | ')}`);
    assert.ok(tooltip.includes(`$(warning) ${warnings[0]}`), tooltip);
    assert.match(warnings[0], /^test\/accuracy ended at 2\.0%, below chance \(10\.0% for 10 classes\)/);
  });
});
