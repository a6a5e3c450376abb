// `wdlab summary SPEC`: the layer table of each distinct network a spec's trials train (spec/layout.ts),
// before anything runs: the total parameter count, the layers `regularization.apply` selects, the
// scale-invariant layers (mechanism 1, docs/science.md section 3) and the K-FAC factor sizes (section 6).
import { networkLayout } from '../spec/layout';
import type { Trial } from '../spec/types';
import { formatTable } from './table';

const count = (n: number): string => n.toLocaleString('en');

/** The printed summary of one trial's network. */
export function formatLayout(trial: Trial): string {
  const { spec } = trial;
  const layout = networkLayout(spec);
  const rows = layout.layers.map((l) => [
    l.name,
    l.kind,
    l.kernelShape.join('x'),
    l.outputShape.join('x'),
    count(l.parameters),
    l.scaleInvariant ? 'yes' : 'no',
    l.decayed ? 'yes' : '-',
    `${l.kfac.dA}x${l.kfac.dA}`,
    `${l.kfac.dS}x${l.kfac.dS}`,
    String(l.kfac.locations),
  ]);
  const header = [
    'layer',
    'kind',
    'kernel',
    'output',
    'params',
    'BN (scale-inv.)',
    `decay (${spec.regularization.apply})`,
    'K-FAC A',
    'K-FAC S',
    'T',
  ];
  const invariant = layout.layers.filter((l) => l.scaleInvariant).length;
  const m = spec.model;
  const arch = m.arch === 'mlp' ? `mlp [${m.hidden.join(', ')}]` : `${m.arch}${m.depth} width ${m.width}`;
  return [
    `${arch}${m.batchNorm ? ' + BN (no gamma/beta)' : ''} on ${spec.data.dataset} [${layout.inputShape.join('x')}] → ${layout.numClasses} classes`,
    formatTable(header, rows),
    `total: ${count(layout.parameters)} parameters in ${layout.layers.length} linear layers; ${invariant} scale-invariant`,
  ].join('\n');
}

/** Every distinct network of the trials (a sweep over model or data keys gives several), labelled. */
export function formatSummary(trials: readonly Trial[], label: (t: Trial) => string): string {
  const seen = new Map<string, Trial[]>();
  for (const t of trials) {
    const key = JSON.stringify([t.spec.data.dataset, t.spec.model, t.spec.regularization.apply]);
    seen.set(key, [...(seen.get(key) ?? []), t]);
  }
  const parts = [...seen.values()].map((group) => {
    const which =
      seen.size > 1 ? `trials ${group.map((t) => t.index + 1).join(', ')}: ${label(group[0])}\n` : '';
    return which + formatLayout(group[0]);
  });
  return parts.join('\n\n');
}
