// Legend labels that tell runs apart: the trial label (sweep values), else the sweep values themselves
// (a one-trial sweep has an empty label), else the run id; prefixed with the spec name when runs of
// several specs are shown, and suffixed with the run id where two would still read the same.
import type { RunView } from '../../src/protocol/runs';
import { formatValue } from './grouping';

export function displayLabels(runs: readonly RunView[]): Map<string, string> {
  const names = new Set(runs.map((r) => r.name));
  const base = runs.map((r) => {
    const values = Object.entries(r.values ?? {})
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(', ');
    const own = r.label && r.label !== r.id ? r.label : values;
    if (!own) return r.id;
    return names.size > 1 ? `${r.name}: ${own}` : own;
  });
  const count = new Map<string, number>();
  for (const b of base) count.set(b, (count.get(b) ?? 0) + 1);
  return new Map(
    runs.map((r, i) => [
      r.id,
      (count.get(base[i]) ?? 0) > 1 && base[i] !== r.id ? `${base[i]} (${r.id})` : base[i],
    ]),
  );
}
