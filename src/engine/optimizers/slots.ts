// Optimizer slot variables (momentum buffers, Adam moments): creation, checkpoint copies, restore.
import { tf } from '../tf';
import type { Param } from './optimizer';

/** A per-parameter buffer, checkpointed as `${param}/${suffix}`. */
export class SlotSet {
  private readonly slots = new Map<string, tf.Variable>();

  constructor(
    params: readonly Param[],
    readonly suffix: string,
  ) {
    // Inside tidy so the zeros tensor the variable is built from is released (docs/engines.md).
    for (const p of params)
      this.slots.set(
        p.name,
        tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)),
      );
  }

  get(param: string): tf.Variable {
    const v = this.slots.get(param);
    if (!v) throw new Error(`no "${this.suffix}" slot for parameter "${param}"`);
    return v;
  }

  keys(): string[] {
    return [...this.slots.keys()].map((param) => `${param}/${this.suffix}`);
  }

  /** Adds copies (owned and disposed by the caller) to `into`. */
  copyInto(into: Map<string, tf.Tensor>): void {
    for (const [param, v] of this.slots) into.set(`${param}/${this.suffix}`, tf.clone(v));
  }

  /** Assigns saved values; throws on a missing key or a shape mismatch (a checkpoint of another run). */
  restore(state: Map<string, tf.Tensor>): void {
    for (const [param, v] of this.slots) {
      const key = `${param}/${this.suffix}`;
      const saved = state.get(key);
      if (!saved) throw new Error(`optimizer state has no "${key}"`);
      if (!tf.util.arraysEqual(saved.shape, v.shape)) {
        throw new Error(`optimizer state "${key}" has shape [${saved.shape}], expected [${v.shape}]`);
      }
      v.assign(saved);
    }
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

/** Restores every slot set from a checkpoint, refusing keys none of them owns (state of another optimizer). */
export function restoreAll(sets: readonly SlotSet[], state: Map<string, tf.Tensor>): void {
  const known = new Set(sets.flatMap((s) => s.keys()));
  for (const key of state.keys()) {
    if (!known.has(key)) throw new Error(`optimizer state has unexpected entry "${key}"`);
  }
  for (const s of sets) s.restore(state);
}

/** The gradient for a parameter, or undefined when the loss did not use it (tf.variableGrads omits those). */
export function gradientOf(grads: Map<string, tf.Tensor>, param: Param): tf.Tensor | undefined {
  const g = grads.get(param.name);
  if (g && !tf.util.arraysEqual(g.shape, param.variable.shape)) {
    throw new Error(
      `gradient for "${param.name}" has shape [${g.shape}], expected [${param.variable.shape}]`,
    );
  }
  return g;
}
