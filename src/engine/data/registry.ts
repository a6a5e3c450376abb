// Dataset lookup by the spec's name. The real datasets (CIFAR-10/100 binary, MNIST / Fashion-MNIST IDX)
// plug in here in a later version through the same DatasetLoader interface (LoadOptions.path).
import type { DataSpec, DatasetName } from '../../spec/types';
import type { DatasetLoader, LoadedDataset, LoadOptions } from './dataset';
import { syntheticImagesLoader, syntheticVectorsLoader } from './synthetic';

const loaders: Partial<Record<DatasetName, DatasetLoader>> = {
  'synthetic-images': syntheticImagesLoader,
  'synthetic-vectors': syntheticVectorsLoader,
};

/** The loader for `name`; throws for datasets this version cannot read yet. */
export function datasetLoader(name: DatasetName): DatasetLoader {
  const loader = loaders[name];
  if (!loader) throw new Error(`dataset "${name}" is not yet available in this version`);
  return loader;
}

/** Loads the dataset a spec names, with its sizes and path; `options` may add a data seed. */
export function loadDataset(
  spec: DataSpec,
  options: Partial<Pick<LoadOptions, 'seed'>> = {},
): Promise<LoadedDataset> {
  return datasetLoader(spec.dataset).load({
    trainSize: spec.trainSize,
    testSize: spec.testSize,
    path: spec.path,
    ...options,
  });
}
