// AssemblyScript, compiled to one wasm SIMD module by scripts/build-simd-module.ts. Its functions
// take byte offsets into tfjs-wasm's heap, which the module imports as its memory, so they read
// and write tensors where the backend keeps them, without copies.

export { adamStep } from './adam';
export { addInto } from './add-into';
export { batchNormBackward, batchNormForward } from './batch-norm';
export { biasRelu, biasReluGrad } from './bias-relu';
export { conv2dBackpropInput, conv2dFilterGrad, conv2dForward } from './conv2d';
export { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise';
export { maxPool2x2, maxPool2x2Grad } from './max-pool-grad';
export { copyRuns, cropNhwc, padNhwc } from './pad';
export { reluGrad } from './relu-grad';
export { smallMatMul } from './small-matmul';
