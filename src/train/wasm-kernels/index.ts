export { ADAM_UPDATE, type AdamUpdateAttrs, hasFusedAdam } from './adam-update.js';
export {
  BATCH_NORM_TRAIN,
  type BatchNormTrainAttrs,
  hasFusedBatchNorm,
} from './batch-norm-train.js';
export { WasmKernelError } from './errors.js';
export { registerWasmKernels } from './register.js';
