// The loader interface every dataset implements: the synthetic sets (synthetic.ts), CIFAR-10/100 binary
// (cifar.ts) and MNIST / Fashion-MNIST IDX (idx.ts). Data live in plain typed arrays on the host; the
// trainer slices batches and uploads them, so the same loader serves every backend.

export interface DataSplit {
  /** Row-major examples: n * prod(inputShape) floats, already normalised. */
  x: Float32Array;
  /** Class labels 0..numClasses-1. */
  y: Int32Array;
  n: number;
}

export interface LoadedDataset {
  name: string;
  /** Shape of one example: [32, 32, 3] (NHWC) for images, [d] for vectors. */
  inputShape: number[];
  numClasses: number;
  /** Whether random-crop + flip augmentation makes sense for it. */
  isImage: boolean;
  /**
   * Per channel, the value a black pixel has after normalisation: what the random crop pads with, as the
   * official pipeline pads the raw image with black before normalising (normalize.ts: blackAfter).
   */
  padValue?: number[];
  train: DataSplit;
  test: DataSplit;
}

export interface LoadOptions {
  trainSize: number;
  testSize: number;
  /** Seed of the data-generating process (synthetic sets) — fixed per dataset, not per trial. */
  seed?: number;
  /** Folder with the real files (the spec's data.path; locate.ts says where they are looked for without it). */
  path?: string;
  /** What a relative `path` resolves against: the spec file's folder (default: the working directory). */
  baseDir?: string;
}

export interface DatasetLoader {
  readonly name: string;
  load(options: LoadOptions): Promise<LoadedDataset>;
}

/** The sizes every loader takes: non-negative integers (the schema says so for specs; this guards callers). */
export function checkSizes(options: LoadOptions): void {
  for (const key of ['trainSize', 'testSize'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 0) throw new Error(`${key} must be a non-negative integer, got ${v}`);
  }
}
