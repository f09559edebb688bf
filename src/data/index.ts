export { fillBatch } from './batch.js';
export { Cifar10BatchError, Cifar10DataError } from './errors.js';
export {
  loadCifar10FromDir,
  loadCifar10FromStore,
  writeCifar10Dir,
} from './load.js';
export { CIFAR10_FILES, type Cifar10LoadOptions } from './parse.js';
export { type SyntheticCifar10Options, syntheticCifar10 } from './synthetic.js';
export * from './types.js';
