export { fillBatch } from './batch.js';
export { type DownloadProgress, downloadToFile } from './download.js';
export {
  createDownloadReporter,
  type DownloadReporter,
  type DownloadReporterOptions,
} from './download-progress.js';
export { Cifar10BatchError, Cifar10DataError, Cifar10FetchError } from './errors.js';
export {
  CIFAR10_DIR_FILES,
  type EnsureCifar10Result,
  ensureCifar10,
  type FetchCifar10Options,
  fetchCifar10,
  missingCifar10Files,
} from './fetch.js';
export {
  loadCifar10FromDir,
  loadCifar10FromStore,
  writeCifar10Dir,
} from './load.js';
export { CIFAR10_FILES, type Cifar10LoadOptions } from './parse.js';
export { type SyntheticCifar10Options, syntheticCifar10 } from './synthetic.js';
export * from './types.js';
