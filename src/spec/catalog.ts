// What this version can run. The schema lists every value a spec may name (so specs written for later
// versions keep their IntelliSense); this table says which of them are not implemented yet, and the
// architecture facts a flat JSON Schema cannot express without a cascade of if/then errors.
import type { Arch, BackendName, DatasetName } from './types';

/**
 * Examples in the official splits of the real datasets (docs/science.md section 1: CIFAR 50k train / 10k test;
 * MNIST and Fashion-MNIST 60k / 10k): trainSize / testSize can take at most these.
 */
export const DATASET_SPLIT_SIZES: Partial<Record<DatasetName, { train: number; test: number }>> = {
  cifar10: { train: 50_000, test: 10_000 },
  cifar100: { train: 50_000, test: 10_000 },
  mnist: { train: 60_000, test: 10_000 },
  'fashion-mnist': { train: 60_000, test: 10_000 },
};
export const UNAVAILABLE_BACKENDS: readonly BackendName[] = [];

/** Depths with a defined layer layout; the first is the default. */
export const ARCH_DEPTHS: Partial<Record<Arch, readonly number[]>> = {
  vgg: [11, 13, 16, 19],
  resnet: [20, 32, 44, 56],
};

/** Datasets whose examples are feature vectors, which only an MLP can take. */
export const VECTOR_DATASETS: readonly DatasetName[] = ['synthetic-vectors'];

/** Number of classes of each dataset (the `exact` Jacobian norm costs one backward pass per class). */
export const DATASET_CLASSES: Record<DatasetName, number> = {
  'synthetic-images': 10,
  'synthetic-vectors': 10,
  cifar10: 10,
  cifar100: 100,
  mnist: 10,
  'fashion-mnist': 10,
};

/** Shape of one example of each dataset: images NHWC [height, width, channels], vectors [features]. */
export const DATASET_INPUT_SHAPES: Record<DatasetName, readonly number[]> = {
  'synthetic-images': [32, 32, 3],
  'synthetic-vectors': [64],
  cifar10: [32, 32, 3],
  cifar100: [32, 32, 3],
  mnist: [28, 28, 1],
  'fashion-mnist': [28, 28, 1],
};

/** Input features of each dataset's examples (images: height x width x channels), what an MLP's first layer takes. */
export const DATASET_FEATURES = Object.fromEntries(
  Object.entries(DATASET_INPUT_SHAPES).map(([name, shape]) => [name, shape.reduce((a, b) => a * b, 1)]),
) as Record<DatasetName, number>;

/**
 * Above this factor size K-FAC's float64 CPU eigendecomposition (about 4 s at 1000, cubic) earns a warning.
 */
export const KFAC_LARGE_FACTOR = 1024;

/** Above this many classes the exact Jacobian norm (one backward pass per class) earns a warning. */
export const EXACT_JACOBIAN_MAX_CLASSES = 10;

/** More trials than this is almost surely a mistake in a sweep, and would take forever to enumerate. */
export const MAX_TRIALS = 10_000;
