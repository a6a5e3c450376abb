// The data layer's public surface.
export { augmentBatch, CROP_PADDING, cropAndFlip, epochPermutation, gatherBatch } from './batches';
export type { DataSplit, DatasetLoader, LoadedDataset, LoadOptions } from './dataset';
export type { ChannelNormalization } from './normalize';
export { datasetLoader, loadDataset } from './registry';
export {
  generateSyntheticImages,
  generateSyntheticVectors,
  SYNTHETIC_IMAGES_SEED,
  SYNTHETIC_VECTORS_SEED,
  type SyntheticImagesDataset,
} from './synthetic';
