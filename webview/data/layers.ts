// The layer picker of a per-layer chart: all layers, the scale-invariant ones (followed by BN without
// affine: where the effective learning rate η/‖W‖² and the angular-update theory apply), or one layer.
// Which layers are scale-invariant comes from each run's run.json `layers` (RunView.layers); a run that
// does not say (written before the trainer reported its layers) has none.
import type { RunView } from '../../src/protocol/runs';

/** `all`, `scaleInvariant`, or `layer:<name>`. */
export type LayerPick = 'all' | 'scaleInvariant' | `layer:${string}`;

export const ALL_LAYERS: LayerPick = 'all';
export const SCALE_INVARIANT: LayerPick = 'scaleInvariant';
export const onlyLayer = (name: string): LayerPick => `layer:${name}`;

/** Whether a run says `layer` is scale-invariant. */
export const isScaleInvariant = (run: RunView, layer: string): boolean =>
  run.layers?.some((l) => l.name === layer && l.scaleInvariant) === true;

/** A stored pick that still makes sense for the chart's layers; else `all`. */
export function sanitizePick(pick: string | undefined, layers: readonly string[]): LayerPick {
  if (pick === SCALE_INVARIANT) return pick;
  if (pick?.startsWith('layer:') && layers.includes(pick.slice('layer:'.length))) return pick as LayerPick;
  return ALL_LAYERS;
}

/** The chart's layers that a run draws under `pick`, in the chart's order. */
export function pickedLayers(layers: readonly string[], run: RunView, pick: LayerPick): string[] {
  if (pick === ALL_LAYERS) return [...layers];
  if (pick === SCALE_INVARIANT) return layers.filter((l) => isScaleInvariant(run, l));
  const one = pick.slice('layer:'.length);
  return layers.includes(one) ? [one] : [];
}

export interface LayerOption {
  value: LayerPick;
  label: string;
  disabled: boolean;
}

/**
 * The picker's options: all (n), scale-invariant (n, disabled when no shown run marks any of the
 * chart's layers so), then each layer, marked "scale-invariant" where a run says it is.
 */
export function layerOptions(layers: readonly string[], runs: readonly RunView[]): LayerOption[] {
  const invariant = layers.filter((l) => runs.some((r) => isScaleInvariant(r, l)));
  return [
    { value: ALL_LAYERS, label: `all layers (${layers.length})`, disabled: false },
    {
      value: SCALE_INVARIANT,
      label: `scale-invariant (${invariant.length})`,
      disabled: invariant.length === 0,
    },
    ...layers.map((l) => ({
      value: onlyLayer(l),
      label: invariant.includes(l) ? `${l} · scale-invariant` : l,
      disabled: false,
    })),
  ];
}
