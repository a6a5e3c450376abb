// A RunView as the results UI receives it, for the webview's unit tests: a completed trial of the sweep
// "sweep" (group "g") whose label lists its sweep values, as the trial labels of src/spec/sweep.ts do.
import type { RunView } from '../../src/protocol/runs';

export const runView = (
  id: string,
  values: Record<string, unknown>,
  over: Partial<RunView> = {},
): RunView => ({
  id,
  name: 'sweep',
  group: 'g',
  values,
  label: Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(', '),
  status: 'completed',
  ...over,
});
