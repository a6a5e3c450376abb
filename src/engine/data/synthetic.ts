// The two built-in offline datasets. Everything is a deterministic function of (seed, trainSize,
// testSize): the generating process (prototypes / teacher) comes from `${seed}/process`, train and test
// from the disjoint streams `${seed}/train` and `${seed}/test`. Both streams are prefix-stable: the first
// n training examples are the same whatever trainSize is.
import { checkSizes, type DatasetLoader, type LoadedDataset, type LoadOptions } from './dataset';
import { applyNormalization, blackAfter, type ChannelNormalization, channelStats } from './normalize';
import { createRng } from './random';
import { IMAGE_CLASSES, IMAGE_SHAPE, makePrototypes, sampleImages } from './syntheticImages';
import { makeTeacher, sampleVectors, VECTOR_CLASSES, VECTOR_DIM } from './syntheticVectors';

/** Default seeds of the generating processes (fixed per dataset, not per trial). */
export const SYNTHETIC_IMAGES_SEED = 20190501;
export const SYNTHETIC_VECTORS_SEED = 20190502;

/** synthetic-images also reports the per-channel constants it normalised with (training-split statistics). */
export interface SyntheticImagesDataset extends LoadedDataset {
  normalization: ChannelNormalization;
}

export function generateSyntheticImages(options: LoadOptions): SyntheticImagesDataset {
  checkSizes(options);
  const seed = options.seed ?? SYNTHETIC_IMAGES_SEED;
  const prototypes = makePrototypes(createRng(`${seed}/process`));
  const train = sampleImages(prototypes, options.trainSize, createRng(`${seed}/train`));
  const test = sampleImages(prototypes, options.testSize, createRng(`${seed}/test`));
  const normalization = channelStats(train.x, IMAGE_SHAPE[2]);
  applyNormalization(train.x, normalization);
  applyNormalization(test.x, normalization);
  return {
    name: 'synthetic-images',
    inputShape: [...IMAGE_SHAPE],
    numClasses: IMAGE_CLASSES,
    isImage: true,
    // The generator's raw 0 plays black: images are generated around colour offsets, then standardised.
    padValue: blackAfter(normalization),
    train: { ...train, n: options.trainSize },
    test: { ...test, n: options.testSize },
    normalization,
  };
}

/** Inputs are already N(0, I): no normalisation. */
export function generateSyntheticVectors(options: LoadOptions): LoadedDataset {
  checkSizes(options);
  const seed = options.seed ?? SYNTHETIC_VECTORS_SEED;
  const teacher = makeTeacher(createRng(`${seed}/process`));
  const train = sampleVectors(teacher, options.trainSize, createRng(`${seed}/train`));
  const test = sampleVectors(teacher, options.testSize, createRng(`${seed}/test`));
  return {
    name: 'synthetic-vectors',
    inputShape: [VECTOR_DIM],
    numClasses: VECTOR_CLASSES,
    isImage: false,
    train: { ...train, n: options.trainSize },
    test: { ...test, n: options.testSize },
  };
}

export const syntheticImagesLoader: DatasetLoader = {
  name: 'synthetic-images',
  load: async (options) => generateSyntheticImages(options),
};

export const syntheticVectorsLoader: DatasetLoader = {
  name: 'synthetic-vectors',
  load: async (options) => generateSyntheticVectors(options),
};
