// Dataset lookup by the spec's name: the synthetic sets (synthetic.ts), CIFAR-10/100 binary (cifar.ts) and
// MNIST / Fashion-MNIST IDX (idx.ts), all behind the same DatasetLoader interface.
import type { DataSpec, DatasetName } from '../../spec/types';
import { cifar10Loader, cifar100Loader } from './cifar';
import type { DatasetLoader, LoadedDataset, LoadOptions } from './dataset';
import { fashionMnistLoader, mnistLoader } from './idx';
import { syntheticImagesLoader, syntheticVectorsLoader } from './synthetic';

const loaders: Record<DatasetName, DatasetLoader> = {
  'synthetic-images': syntheticImagesLoader,
  'synthetic-vectors': syntheticVectorsLoader,
  cifar10: cifar10Loader,
  cifar100: cifar100Loader,
  mnist: mnistLoader,
  'fashion-mnist': fashionMnistLoader,
};

/** The loader for `name`. */
export function datasetLoader(name: DatasetName): DatasetLoader {
  const loader = loaders[name];
  if (!loader) throw new Error(`unknown dataset "${name}"`);
  return loader;
}

/**
 * Loads the dataset a spec names, with its sizes and path; `options` may add a data seed and the folder a
 * relative data.path resolves against (the spec file's).
 */
export function loadDataset(
  spec: DataSpec,
  options: Partial<Pick<LoadOptions, 'seed' | 'baseDir'>> = {},
): Promise<LoadedDataset> {
  return datasetLoader(spec.dataset).load({
    trainSize: spec.trainSize,
    testSize: spec.testSize,
    path: spec.path,
    ...options,
  });
}
