// The optimizer registry of the spec layer: one line per optimizer (docs/architecture.md, Adding an
// optimizer). The mapped type makes a missing entry a compile error; `optimizerDescriptor` makes an
// unknown name a runtime error, never a silent gap.
import type { OptimizerSpec, OptimizerType } from '../types';
import { adam } from './adam';
import type { OptimizerDescriptor } from './descriptor';
import { ekfacF, ekfacG } from './ekfac';
import { kfacF, kfacG } from './kfac';
import { sgd } from './sgd';

export type { CurvatureKind, OptimizerDescriptor, SecondOrder } from './descriptor';

/** The spec interface whose `type` includes T (K-FAC's one interface has two types). */
export type SpecOf<T extends OptimizerType> = OptimizerSpec extends infer S
  ? S extends { type: infer U }
    ? T extends U
      ? S
      : never
    : never
  : never;

const REGISTRY: { [T in OptimizerType]: OptimizerDescriptor<SpecOf<T>> } = {
  sgd,
  adam,
  'kfac-f': kfacF,
  'kfac-g': kfacG,
  'ekfac-f': ekfacF,
  'ekfac-g': ekfacG,
};

/** Every optimizer, in the order of the paper's tables (first-order, then K-FAC, then E-KFAC). */
export const OPTIMIZERS: readonly OptimizerDescriptor[] = Object.values(REGISTRY) as OptimizerDescriptor[];

export function optimizerDescriptor(type: string): OptimizerDescriptor {
  const d = (REGISTRY as Record<string, OptimizerDescriptor | undefined>)[type];
  if (!d) throw new Error(`unknown optimizer "${type}" (known: ${OPTIMIZERS.map((o) => o.type).join(', ')})`);
  return d;
}

/** Whether an optimizer spec is a second-order one (K-FAC or E-KFAC), narrowing its type. */
export function isSecondOrder(
  spec: OptimizerSpec,
): spec is Extract<OptimizerSpec, { type: 'kfac-f' | 'kfac-g' | 'ekfac-f' | 'ekfac-g' }> {
  return optimizerDescriptor(spec.type).secondOrder !== undefined;
}

/**
 * The optimizer's part of the spec schema that the descriptors own: the `type` enum with its descriptions,
 * and one `if type then these fields (lr default)` variant per optimizer. schemas/experiment.schema.json
 * holds exactly this (`npm run schema` writes it; test/unit/spec/optimizerRegistry.test.ts checks it).
 */
export function optimizerSchemaFragment(): {
  enum: string[];
  enumDescriptions: string[];
  allOf: unknown[];
} {
  return {
    enum: OPTIMIZERS.map((o) => o.type),
    enumDescriptions: OPTIMIZERS.map((o) => o.summary),
    allOf: OPTIMIZERS.map((o) => ({
      if: { properties: { type: { const: o.type } }, required: ['type'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword.
      then: {
        properties: Object.fromEntries([
          ['type', {}],
          ...o.fields.map((f) => [f, f === 'lr' ? { default: o.lrDefault } : {}]),
        ]),
      },
    })),
  };
}
