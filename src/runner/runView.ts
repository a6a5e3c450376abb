// A run's record on disk (run.json) as the results UI sees it: the webview panel and `wdlab report` feed
// the same RunView (src/protocol/runs.ts).
import type { RunView } from '../protocol/runs';
import type { ExperimentSpec } from '../spec/types';
import { runFacts } from './runFacts';
import type { RunInfo } from './runStore';

/** `spec`: the run's resolved spec.json, which gives the view the facts the mechanism verdict compares. */
export function toRunView(info: RunInfo, spec?: ExperimentSpec): RunView {
  return {
    id: info.id,
    name: info.name,
    group: info.group,
    values: info.trial.values,
    label: info.trial.label || info.id,
    status: info.status,
    error: info.error?.message,
    backend: info.backend?.name,
    progress: info.progress,
    setup: info.setup,
    layers: info.layers,
    facts: spec && runFacts(spec),
  };
}
