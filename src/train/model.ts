import * as tf from '@tensorflow/tfjs';
import type { ConvPadding, Layer, Size2d } from '../spec/types.js';
import { ModelBuildError } from './errors.js';
import { hasPadding, nhwcPadding, type Pads2d, planPadding } from './layers/common.js';
import {
  AdaptiveAvgPool2d,
  SeededDropout,
  TorchActivation,
  TorchBatchNorm,
  TorchConv2d,
  TorchLinear,
  TorchPool2d,
} from './layers/index.js';
import { createRng, RNG_STREAM, type Rng } from './rng.js';

/** CIFAR-10 images as the data layer's fillBatch writes them: NHWC, [height, width, channels]. */
export const CIFAR10_INPUT_SHAPE: readonly [number, number, number] = [32, 32, 3];

export interface CreateModelOptions {
  /** Seeds the weights (and the dropout masks): same seed, same model. */
  seed: number;
  /** [height, width, channels]; CIFAR-10's [32, 32, 3] unless given. */
  inputShape?: readonly [number, number, number];
  /** JSON pointer of `layers`, for error messages; "/layers" unless given. */
  path?: string;
}

/**
 * Builds a fresh tfjs model for a layer list with PyTorch's semantics and initialization.
 *
 * Tensors are channels-last (NHWC) where PyTorch is NCHW; every layer maps its axes, so the
 * network computes what the PyTorch one does. One difference is deliberate: Flatten keeps the
 * NHWC order, so the following Linear sees the same features in another order. Its weights are
 * drawn independently and identically, so training from scratch is unaffected, and it saves a
 * transpose per step. The caller owns the model: `model.dispose()` frees its weights.
 */
export function createModel(layers: readonly Layer[], options: CreateModelOptions): tf.LayersModel {
  const inputShape = options.inputShape ?? CIFAR10_INPUT_SHAPE;
  const builder = new ModelBuilder(options.seed);
  const input = tf.input({ shape: [...inputShape] });
  try {
    const output = builder.applyAll(input, layers, options.path ?? '/layers');
    return tf.model({ inputs: input, outputs: output });
  } catch (error) {
    builder.disposeWeights();
    throw error;
  }
}

/** Trainable parameters: what PyTorch counts (BatchNorm's running statistics are not). */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, weight) => sum + weight.shape.reduce<number>((product, dim) => product * (dim ?? 0), 1),
    0,
  );
}

function pair(size: Size2d): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/** Dimensions of a symbolic tensor without the batch. */
function dims(x: tf.SymbolicTensor): number[] {
  return x.shape.slice(1).map((dim) => dim ?? 0);
}

function describeShape(x: tf.SymbolicTensor): string {
  const shape = dims(x);
  // Report PyTorch's order (C, H, W) since that is what the student wrote.
  const torch = shape.length === 3 ? [shape[2], shape[0], shape[1]] : shape;
  return `[${torch.join(', ')}]`;
}

class ModelBuilder {
  private readonly initRng: Rng;
  private readonly dropoutRng: Rng;
  private readonly created: tf.layers.Layer[] = [];

  constructor(seed: number) {
    this.initRng = createRng(seed, RNG_STREAM.init);
    this.dropoutRng = createRng(seed, RNG_STREAM.dropout);
  }

  /** Frees the weights of layers built before a failure; the model that owns them never came to be. */
  disposeWeights(): void {
    for (const layer of this.created) {
      for (const weight of layer.weights) weight.dispose();
    }
  }

  applyAll(x: tf.SymbolicTensor, layers: readonly Layer[], path: string): tf.SymbolicTensor {
    let output = x;
    for (let index = 0; index < layers.length; index += 1) {
      const layer = layers[index] as Layer;
      // A ReLU straight after a Conv2d joins it: one layer, which the wasm engine runs as one
      // kernel (conv, bias and ReLU) each way; other engines run the same ops as before.
      if (layer.type === 'Conv2d' && layers[index + 1]?.type === 'ReLU') {
        output = this.conv2d(output, layer, `${path}/${index}`, true);
        index += 1;
        continue;
      }
      output = this.apply(output, layer, `${path}/${index}`);
    }
    return output;
  }

  private use(
    layer: tf.layers.Layer,
    x: tf.SymbolicTensor | tf.SymbolicTensor[],
  ): tf.SymbolicTensor {
    this.created.push(layer);
    return layer.apply(x) as tf.SymbolicTensor;
  }

  private spatial(x: tf.SymbolicTensor, path: string, type: string): [number, number, number] {
    const shape = dims(x);
    if (shape.length !== 3) {
      throw new ModelBuildError(
        path,
        `${type} needs an image-shaped input [C, H, W]; it gets ${describeShape(x)}`,
      );
    }
    return shape as [number, number, number];
  }

  private flat(x: tf.SymbolicTensor, path: string, type: string): number {
    const shape = dims(x);
    if (shape.length !== 1) {
      throw new ModelBuildError(
        path,
        `${type} needs a flat input [features]; it gets ${describeShape(x)} (add a Flatten first)`,
      );
    }
    return shape[0] as number;
  }

  private apply(x: tf.SymbolicTensor, layer: Layer, path: string): tf.SymbolicTensor {
    switch (layer.type) {
      case 'Conv2d':
        return this.conv2d(x, layer, path, false);
      case 'Linear': {
        const features = this.flat(x, path, 'Linear');
        if (layer.in_features !== undefined && layer.in_features !== features) {
          throw new ModelBuildError(
            path,
            `in_features is ${layer.in_features} but ${features} features arrive`,
          );
        }
        return this.use(
          new TorchLinear({
            inFeatures: features,
            outFeatures: layer.out_features,
            bias: layer.bias ?? true,
            rng: this.initRng,
          }),
          x,
        );
      }
      case 'ReLU':
      case 'ELU':
      case 'GELU':
      case 'SiLU':
      case 'Sigmoid':
      case 'Tanh':
        return this.use(new TorchActivation({ kind: layer.type }), x);
      case 'LeakyReLU':
        return this.use(
          new TorchActivation({ kind: 'LeakyReLU', negativeSlope: layer.negative_slope ?? 0.01 }),
          x,
        );
      case 'MaxPool2d':
      case 'AvgPool2d':
        return this.pool2d(x, layer.type, layer.kernel_size, layer.stride, layer.padding, path);
      case 'AdaptiveAvgPool2d': {
        const [h, w] = this.spatial(x, path, layer.type);
        const outputSize = pair(layer.output_size);
        if (!outputSize.every((size) => Number.isInteger(size) && size >= 1)) {
          throw new ModelBuildError(path, 'output_size must be positive integers');
        }
        return this.use(new AdaptiveAvgPool2d({ inputSize: [h, w], outputSize }), x);
      }
      case 'Flatten':
        return this.use(tf.layers.flatten(), x);
      case 'BatchNorm2d':
      case 'BatchNorm1d': {
        const features =
          layer.type === 'BatchNorm2d'
            ? this.spatial(x, path, layer.type)[2]
            : this.flat(x, path, layer.type);
        if (layer.num_features !== undefined && layer.num_features !== features) {
          throw new ModelBuildError(
            path,
            `num_features is ${layer.num_features} but the input has ${features}`,
          );
        }
        return this.use(new TorchBatchNorm({ numFeatures: features }), x);
      }
      case 'Dropout':
      case 'Dropout2d': {
        const p = layer.p ?? 0.5;
        if (!(p >= 0 && p < 1)) throw new ModelBuildError(path, `p must be in [0, 1), got ${p}`);
        return this.use(
          new SeededDropout({ p, channels: layer.type === 'Dropout2d', rng: this.dropoutRng }),
          x,
        );
      }
      case 'Residual': {
        const body = this.applyAll(x, layer.body, `${path}/body`);
        const shortcut = layer.shortcut ? this.applyAll(x, layer.shortcut, `${path}/shortcut`) : x;
        if (dims(body).join() !== dims(shortcut).join()) {
          throw new ModelBuildError(
            path,
            `the body gives ${describeShape(body)} but the shortcut gives ${describeShape(shortcut)}; ` +
              'they must match to be added',
          );
        }
        return this.use(tf.layers.add(), [body, shortcut]);
      }
      default: {
        const unknown: { type?: unknown } = layer;
        throw new ModelBuildError(path, `unknown layer type ${JSON.stringify(unknown.type)}`);
      }
    }
  }

  private conv2d(
    x: tf.SymbolicTensor,
    layer: Extract<Layer, { type: 'Conv2d' }>,
    path: string,
    relu: boolean,
  ): tf.SymbolicTensor {
    const [h, w, channels] = this.spatial(x, path, 'Conv2d');
    if (layer.in_channels !== undefined && layer.in_channels !== channels) {
      throw new ModelBuildError(
        path,
        `in_channels is ${layer.in_channels} but the input has ${channels} channels`,
      );
    }
    const groups = layer.groups ?? 1;
    if (channels % groups !== 0 || layer.out_channels % groups !== 0) {
      throw new ModelBuildError(
        path,
        `groups (${groups}) must divide both in_channels (${channels}) and out_channels (${layer.out_channels})`,
      );
    }
    const kernel = pair(layer.kernel_size);
    const stride = pair(layer.stride ?? 1);
    const dilation = pair(layer.dilation ?? 1);
    const pads = convPads(layer.padding ?? 0, kernel, stride, dilation, path);
    const outputSize: [number, number] = [
      Math.floor((h + pads.top + pads.bottom - dilation[0] * (kernel[0] - 1) - 1) / stride[0]) + 1,
      Math.floor((w + pads.left + pads.right - dilation[1] * (kernel[1] - 1) - 1) / stride[1]) + 1,
    ];
    if (outputSize[0] < 1 || outputSize[1] < 1) {
      throw new ModelBuildError(
        path,
        `the kernel (${kernel.join('×')}, dilation ${dilation.join('×')}) does not fit the ` +
          `${h}×${w} input with padding ${pads.top}×${pads.left}`,
      );
    }
    return this.use(
      new TorchConv2d({
        inChannels: channels,
        outChannels: layer.out_channels,
        kernel,
        stride,
        dilation,
        groups,
        bias: layer.bias ?? true,
        relu,
        padding: planPadding(pads, [h, w], kernel, stride, dilation),
        outputSize,
        rng: this.initRng,
      }),
      x,
    );
  }

  private pool2d(
    x: tf.SymbolicTensor,
    type: 'MaxPool2d' | 'AvgPool2d',
    kernelSize: Size2d,
    strideSize: Size2d | undefined,
    paddingSize: Size2d | undefined,
    path: string,
  ): tf.SymbolicTensor {
    const [h, w] = this.spatial(x, path, type);
    const kernel = pair(kernelSize);
    const stride = pair(strideSize ?? kernelSize);
    const [padH, padW] = pair(paddingSize ?? 0);
    if (2 * padH > kernel[0] || 2 * padW > kernel[1]) {
      // PyTorch refuses this too: a window of padding alone would have no input to pool.
      throw new ModelBuildError(path, 'padding must be at most half of kernel_size');
    }
    const outputSize: [number, number] = [
      Math.floor((h + 2 * padH - kernel[0]) / stride[0]) + 1,
      Math.floor((w + 2 * padW - kernel[1]) / stride[1]) + 1,
    ];
    if (outputSize[0] < 1 || outputSize[1] < 1) {
      throw new ModelBuildError(
        path,
        `kernel_size ${kernel.join('×')} does not fit the ${h}×${w} input`,
      );
    }
    const pads: Pads2d = { top: padH, bottom: padH, left: padW, right: padW };
    return this.use(
      new TorchPool2d({
        kind: type === 'MaxPool2d' ? 'max' : 'avg',
        kernel,
        stride,
        padding: hasPadding(pads) ? nhwcPadding(pads) : undefined,
        outputSize,
      }),
      x,
    );
  }
}

/** PyTorch's Conv2d padding as explicit pads. "same" puts the odd extra after, as PyTorch does. */
function convPads(
  padding: ConvPadding,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
  path: string,
): Pads2d {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ModelBuildError(path, 'padding "same" needs stride 1, as in PyTorch');
    }
    const [totalH, totalW] = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
    const top = Math.floor(totalH / 2);
    const left = Math.floor(totalW / 2);
    return { top, bottom: totalH - top, left, right: totalW - left };
  }
  const [padH, padW] = pair(padding);
  return { top: padH, bottom: padH, left: padW, right: padW };
}
