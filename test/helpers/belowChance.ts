// The run folder of a one-trial MLP on synthetic images (10 classes), queued as the runner creates it:
// the tests of run warnings (below chance accuracy, an exploded loss) complete it their own way.
import assert from 'node:assert/strict';
import { createSweepRuns } from '../../src/runner/runStore';
import { expandSweep, loadSpecText, type Trial, trialLabel } from '../../src/spec';

export function createBelowChanceRun(runsDir: string): { runDir: string; trial: Trial } {
  const loaded = loadSpecText(
    JSON.stringify({
      name: 'below-chance',
      data: { dataset: 'synthetic-images', trainSize: 256, testSize: 64 },
      model: { arch: 'mlp' },
      optimizer: { type: 'sgd', lr: 0.1 },
    }),
  );
  assert.ok(loaded.spec, JSON.stringify(loaded.diagnostics));
  const trials = expandSweep(loaded.spec);
  const { runDirs } = createSweepRuns(runsDir, trials, trials.map(trialLabel), undefined);
  return { runDir: runDirs[0], trial: trials[0] };
}
