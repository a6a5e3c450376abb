// Checks the schema cannot express: what this version can run, fields that belong to another optimizer
// or schedule type, and combinations that are valid JSON but wrong science or wasted compute.

import { totalmem } from 'node:os';
import {
  ARCH_DEPTHS,
  DATASET_CLASSES,
  DATASET_INPUT_SHAPES,
  DATASET_SPLIT_SIZES,
  EXACT_JACOBIAN_MAX_CLASSES,
  KFAC_LARGE_FACTOR,
  MAX_TRIALS,
  UNAVAILABLE_BACKENDS,
  VECTOR_DATASETS,
} from './catalog';
import { resolveSpec } from './defaults';
import { resolveInverseMethod } from './inverseMethod';
import { largestKfacFactor, networkLayout } from './layout';
import { estimateStepMemory, formatBytes, type StepMemory, WASM_MEMORY_BYTES } from './memory';
import { OPTIMIZERS } from './optimizers';
import { describeValue, formatPath, isPlainObject } from './paths';
import { error, type Problem, warning } from './problem';
import { experimentSchema, variantFor } from './schema';
import type { DataSpec, DatasetName, ExperimentSpec, KfacSpec, ModelSpec } from './types';

type Block = Record<string, unknown>;

/**
 * Semantic problems of a spec value. Tolerates values that also fail the schema: each check reads only
 * values of the type it needs, so a schema error is not echoed by a second, confusing message.
 */
export function semanticProblems(raw: unknown): Problem[] {
  if (!isPlainObject(raw)) return [];
  // Effective values: what the run would use, defaults included (e.g. batchSize 128 vs trainSize).
  const effective = resolveSpec(raw) as unknown as Record<string, Block>;
  const blocks = (key: string): [Block, Block] => [
    isPlainObject(raw[key]) ? raw[key] : {},
    isPlainObject(effective[key]) ? effective[key] : {},
  ];
  return [
    ...dataProblems(blocks('data')[0]),
    ...modelProblems(blocks('model')[0], blocks('data')[1]),
    ...variantFieldProblems(raw),
    ...optimizerProblems(
      ...blocks('optimizer'),
      blocks('model')[1],
      blocks('data')[1],
      blocks('training')[1],
    ),
    ...regularizationProblems(...blocks('regularization'), blocks('model')[1]),
    ...scheduleProblems(blocks('schedule')[0], blocks('training')[1]),
    ...trainingProblems(raw, blocks('training')[1], blocks('data')[1]),
    ...memoryProblems(raw, effective),
    ...metricsProblems(...blocks('metrics'), blocks('data')[1]),
    ...sweepProblems(blocks('sweep')[0]),
  ];
}

function includes<T>(list: readonly T[], v: unknown): v is T {
  return list.includes(v as T);
}

function dataProblems(data: Block): Problem[] {
  const problems: Problem[] = [];
  const splits =
    typeof data.dataset === 'string' ? DATASET_SPLIT_SIZES[data.dataset as DatasetName] : undefined;
  for (const [key, split, words] of [
    ['trainSize', 'train', 'training'],
    ['testSize', 'test', 'test'],
  ] as const) {
    const n = data[key];
    if (splits && typeof n === 'number' && n > splits[split]) {
      problems.push(
        error(
          ['data', key],
          `data.${key} (${n}) is more than the ${splits[split]} ${words} examples of ${data.dataset}`,
        ),
      );
    }
  }
  if (data.augment === true && includes(VECTOR_DATASETS, data.dataset)) {
    problems.push(
      error(
        ['data', 'augment'],
        `augment crops and flips images, but dataset "${data.dataset}" has feature vectors; set augment to false`,
      ),
    );
  }
  return problems;
}

function modelProblems(model: Block, data: Block): Problem[] {
  const problems: Problem[] = [];
  const arch = model.arch;
  if ((arch === 'vgg' || arch === 'resnet') && includes(VECTOR_DATASETS, data.dataset)) {
    problems.push(
      error(
        ['model', 'arch'],
        `arch "${arch}" needs images, but dataset "${data.dataset}" has feature vectors; use arch "mlp"`,
      ),
    );
  }
  if (typeof model.depth === 'number') {
    const depths = typeof arch === 'string' ? ARCH_DEPTHS[arch as keyof typeof ARCH_DEPTHS] : undefined;
    if (arch === 'mlp') {
      problems.push(
        warning(
          ['model', 'depth'],
          'depth is ignored for an mlp: its depth is the number of hidden layers + 1',
          'key',
        ),
      );
    } else if (depths && Number.isInteger(model.depth) && !depths.includes(model.depth)) {
      problems.push(
        error(['model', 'depth'], `${arch} depth must be one of ${depths.join(', ')} (got ${model.depth})`),
      );
    }
  }
  if (model.hidden !== undefined && (arch === 'vgg' || arch === 'resnet')) {
    problems.push(
      warning(['model', 'hidden'], `hidden is ignored for ${arch}: it sets the layer sizes of an mlp`, 'key'),
    );
  }
  return problems;
}

/** "an SGD", "a K-FAC-F": the optimizer as a message names it. */
function articleName(type: string): string {
  const d = OPTIMIZERS.find((o) => o.type === type);
  return d ? `${d.article} ${d.displayName}` : `a ${type}`;
}

/** Why a field of one optimizer is wrong in another, where the answer teaches something. */
const FOREIGN_FIELD_HINTS: Record<string, string> = {
  'adam.momentum': "Adam's first-moment decay is betas[0]",
  'adam.nesterov': 'Adam has no Nesterov variant here; its first-moment decay is betas[0]',
  'sgd.betas': 'betas belong to Adam; SGD uses momentum',
  'sgd.eps': 'eps belongs to Adam',
};

/** Fields of a type-discriminated block (optimizer, schedule) that its type does not take. */
function variantFieldProblems(raw: Block): Problem[] {
  const problems: Problem[] = [];
  for (const [blockKey, blockSchema] of Object.entries(experimentSchema.properties ?? {})) {
    const block = raw[blockKey];
    const variant = variantFor(blockSchema, block);
    if (!variant || !isPlainObject(block)) continue;
    const takes = variant.fields.filter((f) => f !== variant.discriminator);
    for (const field of Object.keys(block)) {
      if (variant.fields.includes(field) || !(field in (blockSchema.properties ?? {}))) continue;
      const hint = FOREIGN_FIELD_HINTS[`${variant.value}.${field}`];
      const takesText = takes.length > 0 ? `it takes ${takes.join(', ')}` : 'it takes no parameters';
      const message =
        blockKey === 'optimizer'
          ? `${field} is not ${articleName(variant.value)} parameter; ${hint ?? takesText}`
          : `${field} is not a parameter of a "${variant.value}" ${blockKey} (${takesText})`;
      problems.push(error([blockKey, field], message, 'key'));
    }
  }
  return problems;
}

function optimizerProblems(
  optimizer: Block,
  effective: Block,
  model: Block,
  data: Block,
  training: Block,
): Problem[] {
  const problems: Problem[] = [];
  if (optimizer.type === 'sgd' && optimizer.nesterov === true && effective.momentum === 0) {
    problems.push(error(['optimizer', 'nesterov'], 'nesterov needs momentum > 0 (momentum is 0)'));
  }
  const secondOrder = OPTIMIZERS.find((o) => o.type === optimizer.type)?.secondOrder;
  if (secondOrder) {
    if (effective.inverseMethod === 'newtonSchulz' && effective.dampingScheme === 'eigen') {
      problems.push(
        error(
          ['optimizer', 'inverseMethod'],
          'newtonSchulz inverts the damped factors, which only the factored scheme uses; dampingScheme "eigen" needs the eigenbasis (inverseMethod "eigendecomposition" or "auto")',
        ),
      );
    }
    // E-KFAC always eigendecomposes (its corrected eigenvalues live in the eigenbasis).
    const eigenOnly = secondOrder.form === 'eigenvalueCorrected';
    const kfac = eigenOnly
      ? ({ inverseMethod: 'eigendecomposition', dampingScheme: 'eigen' } as const)
      : (effective as unknown as Pick<KfacSpec, 'inverseMethod' | 'dampingScheme'>);
    const backend = String(training.backend);
    // With backend auto the device is known only at run time; a GPU is what auto would find first.
    const onDevice =
      kfac.inverseMethod === 'newtonSchulz' ||
      (backend !== 'auto' && resolveInverseMethod(kfac, backend) === 'newtonSchulz');
    const onDeviceIfGpu = !eigenOnly && resolveInverseMethod(kfac, 'webgpu') === 'newtonSchulz';
    const d = largestFactorOf(model, data);
    if (d !== undefined && d > KFAC_LARGE_FACTOR && !onDevice) {
      const seconds = Math.round(4 * (d / 1000) ** 3);
      const gpuHint =
        onDeviceIfGpu && backend === 'auto'
          ? ' (unless it runs on a GPU: auto then inverts on the device by Newton-Schulz)'
          : '';
      problems.push(
        warning(
          ['optimizer', 'type'],
          `K-FAC will eigendecompose a ${d} x ${d} factor on the CPU (float64) every ${effective.inverseEvery} steps, about ${seconds} s each${gpuHint}; use a narrower model, a larger inverseEvery${eigenOnly ? '' : ', or inverseMethod "newtonSchulz"'}`,
        ),
      );
    }
  }
  return problems;
}

/**
 * The largest K-FAC factor dimension of the network (docs/science.md section 6; layout.ts), or undefined when the
 * spec is too broken to tell (the schema reports why).
 */
function largestFactorOf(model: Block, data: Block): number | undefined {
  if (!Object.hasOwn(DATASET_INPUT_SHAPES, String(data.dataset))) return undefined;
  try {
    const layout = networkLayout({
      data: data as unknown as DataSpec,
      model: model as unknown as ModelSpec,
      regularization: { type: 'none', coefficient: 0, apply: 'all' },
    });
    const d = largestKfacFactor(layout);
    return Number.isFinite(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

function regularizationProblems(reg: Block, effective: Block, model: Block): Problem[] {
  const problems: Problem[] = [];
  const coefficient = effective.coefficient;
  if (effective.type === 'none' && typeof reg.coefficient === 'number' && reg.coefficient > 0) {
    problems.push(warning(['regularization', 'coefficient'], 'coefficient is ignored when type is "none"'));
  }
  if ((effective.type === 'l2' || effective.type === 'weightDecay') && coefficient === 0) {
    problems.push(
      warning(
        ['regularization', 'coefficient'],
        `coefficient is 0, so "${effective.type}" has no effect; use type "none" for the baseline`,
      ),
    );
  }
  if (isPlainObject(reg.normTransfer) && effective.type !== 'none') {
    problems.push(
      warning(
        ['regularization', 'normTransfer'],
        `normTransfer (the paper's wn-conv) is meant to replace weight decay: with type "${effective.type}" both act, so the run no longer isolates the norm's effect; use type "none"`,
        'key',
      ),
    );
  }
  if (reg.apply === 'conv' && model.arch === 'mlp') {
    problems.push(
      warning(
        ['regularization', 'apply'],
        '"apply": "conv" decays every layer but the last, which for an mlp means its hidden layers (it has no conv layers); use "all" or "fc" if that is not what you meant',
      ),
    );
  }
  return problems;
}

function scheduleProblems(schedule: Block, training: Block): Problem[] {
  const problems: Problem[] = [];
  if (schedule.type === 'step') {
    const byEpochs = schedule.everyEpochs !== undefined;
    const bySteps = schedule.everySteps !== undefined;
    if (byEpochs && bySteps) {
      problems.push(
        error(
          ['schedule', 'everySteps'],
          'a "step" schedule takes exactly one of everyEpochs / everySteps, not both',
          'key',
        ),
      );
    } else if (!byEpochs && !bySteps) {
      problems.push(error(['schedule'], 'a "step" schedule needs everyEpochs or everySteps', 'key'));
    }
  }
  if (schedule.type === 'multiStep' && Array.isArray(schedule.milestones)) {
    const milestones = schedule.milestones;
    const epochs = training.epochs;
    milestones.forEach((m, i) => {
      if (typeof m !== 'number') return;
      const before = milestones[i - 1];
      if (i > 0 && typeof before === 'number' && m <= before) {
        problems.push(
          error(
            ['schedule', 'milestones', i],
            `schedule.milestones must be strictly increasing (${m} comes after ${before})`,
          ),
        );
      } else if (typeof epochs === 'number' && m >= epochs) {
        problems.push(
          warning(
            ['schedule', 'milestones', i],
            `milestone ${m} is not before the end of training (training.epochs is ${epochs}), so it never takes effect`,
          ),
        );
      }
    });
  }
  return problems;
}

function trainingProblems(raw: Block, training: Block, data: Block): Problem[] {
  const problems: Problem[] = [];
  const rawTraining = isPlainObject(raw.training) ? raw.training : {};
  if (includes(UNAVAILABLE_BACKENDS, rawTraining.backend)) {
    problems.push(
      error(
        ['training', 'backend'],
        `backend "${rawTraining.backend}" is not yet available in this version; use auto, tensorflow, wasm or cpu`,
      ),
    );
  }
  const { batchSize } = training;
  const { trainSize } = data;
  // A trainSize below 1 already fails the schema; comparing with it would only echo that error.
  if (
    typeof batchSize === 'number' &&
    typeof trainSize === 'number' &&
    trainSize >= 1 &&
    batchSize > trainSize
  ) {
    // Point at what the user wrote: the batch size if given, else the training-set size.
    const at = 'batchSize' in rawTraining ? ['training', 'batchSize'] : ['data', 'trainSize'];
    problems.push(
      error(
        at,
        `training.batchSize (${batchSize}) is larger than data.trainSize (${trainSize}): not one full batch`,
      ),
    );
  }
  return problems;
}

/**
 * A step that cannot fit (memory.ts): refused where the backend cannot address it (wasm's 4 GB), warned of
 * where it would take most of this machine's memory. Says the parameter count and where the bytes go.
 */
function memoryProblems(raw: Block, effective: Record<string, Block>, machineBytes = totalmem()): Problem[] {
  let m: StepMemory;
  try {
    m = estimateStepMemory(effective as unknown as ExperimentSpec);
  } catch {
    return []; // A network the other checks already reject.
  }
  if (!Number.isFinite(m.total)) return [];
  const training = effective.training;
  const rawTraining = isPlainObject(raw.training) ? raw.training : {};
  const at = 'batchSize' in rawTraining ? ['training', 'batchSize'] : ['model'];
  const what = `one training step needs about ${formatBytes(m.total)} (${m.parameters.toLocaleString('en')} parameters: weights and gradients ${formatBytes(m.weights)}, optimizer state ${formatBytes(m.optimizer)}, activations at batch ${training.batchSize} ${formatBytes(m.activations)})`;
  const smaller = 'use a smaller training.batchSize or model.width';
  if (training.backend === 'wasm' && m.total > WASM_MEMORY_BYTES)
    return [
      error(
        at,
        `${what}, more than the 4 GB the wasm backend can address: ${smaller}, or the tensorflow backend`,
      ),
    ];
  if (m.total > machineBytes)
    return [
      warning(
        at,
        `${what}, more than this machine's ${formatBytes(machineBytes)}: ${smaller}, or run it on a larger machine`,
      ),
    ];
  if (training.backend === 'auto' && m.total > WASM_MEMORY_BYTES)
    return [
      warning(
        at,
        `${what}: where no native or GPU engine is installed, auto falls back to wasm, which can address 4 GB; ${smaller}, or install the tensorflow engine`,
      ),
    ];
  if (m.total > machineBytes / 2)
    return [warning(at, `${what}, more than half of this machine's ${formatBytes(machineBytes)}`)];
  return [];
}

/** Measurement settings that cost more than they should, or that the run will not use as written. */
function metricsProblems(metrics: Block, effective: Block, data: Block): Problem[] {
  const problems: Problem[] = [];
  const classes = typeof data.dataset === 'string' ? DATASET_CLASSES[data.dataset as DatasetName] : undefined;
  // Written on purpose only: without it, resolveSpec picks "projection" above 10 classes.
  if (metrics.jacobian === 'exact' && classes !== undefined && classes > EXACT_JACOBIAN_MAX_CLASSES) {
    problems.push(
      warning(
        ['metrics', 'jacobian'],
        `the exact Jacobian norm takes one backward pass per class (${classes} for "${data.dataset}"); set metrics.jacobian to "projection" for an unbiased estimate at metrics.jacobianProjections passes`,
      ),
    );
  }
  if (typeof metrics.jacobianProjections === 'number' && effective.jacobian !== 'projection') {
    problems.push(
      warning(
        ['metrics', 'jacobianProjections'],
        `jacobianProjections is ignored when metrics.jacobian is "${effective.jacobian}" (it sets the draws of "projection")`,
      ),
    );
  }
  const capped = (field: string, limit: unknown, limitName: string) => {
    const v = metrics[field];
    if (typeof v === 'number' && typeof limit === 'number' && limit >= 1 && v > limit) {
      problems.push(
        warning(
          ['metrics', field],
          `metrics.${field} (${v}) is larger than ${limitName} (${limit}); ${limit} examples will be used`,
        ),
      );
    }
  };
  capped('jacobianBatch', data.testSize, 'data.testSize');
  capped('trainEvalSize', data.trainSize, 'data.trainSize');
  return problems;
}

/** A canonical JSON rendering (sorted keys), so {a, b} and {b, a} count as the same sweep value. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

function sweepProblems(sweep: Block): Problem[] {
  const problems: Problem[] = [];
  const trials = Object.values(sweep).reduce<number>((n, v) => n * (Array.isArray(v) ? v.length : 1), 1);
  if (trials > MAX_TRIALS) {
    problems.push(
      error(
        ['sweep'],
        `the sweep expands to ${trials} trials, more than the ${MAX_TRIALS} this version runs`,
        'key',
      ),
    );
  }
  for (const [key, values] of Object.entries(sweep)) {
    if (!Array.isArray(values)) continue;
    const seen = new Map<string, number>();
    values.forEach((v, i) => {
      const id = canonical(v);
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else {
        problems.push(
          warning(
            ['sweep', key, i],
            `duplicate sweep value ${describeValue(v)} (same as ${formatPath(['sweep', key, first])}); it runs the same trials twice`,
          ),
        );
      }
    });
  }
  return problems;
}
