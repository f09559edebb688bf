import {
  CONV2D_BIAS_RELU,
  type Conv2dBiasReluAttrs,
  hasFusedConv2dBiasRelu,
} from '@cifar10-autograder/tfjs-wasm-training';
import * as tf from '@tensorflow/tfjs';
import { convFanIn, torchDefaultBound } from '../init.js';
import type { Rng } from '../rng.js';
import {
  type Kwargs,
  type LayerArgs,
  oneShape,
  oneTensor,
  type PaddingPlan,
  SeededLayer,
  type SymbolicShape,
} from './common.js';

export interface TorchConv2dArgs extends LayerArgs {
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  groups: number;
  bias: boolean;
  /** A ReLU after the bias (the spec's next layer, joined to this one). */
  relu?: boolean;
  padding: PaddingPlan;
  /** Spatial output size, computed by the model builder with PyTorch's formula. */
  outputSize: [number, number];
  rng: Rng;
}

/**
 * PyTorch's Conv2d on NHWC tensors: groups, dilation, bias, PyTorch's padding and init.
 *
 * The kernel is stored [kh, kw, in/groups, out] (tfjs's layout), or [kh, kw, in, out/in] for a
 * depthwise conv (groups == in_channels), whose output channel c·mult+m matches PyTorch's order.
 * Either way it holds exactly PyTorch's kh·kw·(in/groups)·out weights.
 */
export class TorchConv2d extends SeededLayer {
  static readonly className = 'TorchConv2d';
  private readonly config: Omit<TorchConv2dArgs, keyof LayerArgs | 'rng'>;
  private kernel: tf.LayerVariable | undefined;
  private biasWeight: tf.LayerVariable | undefined;

  constructor(args: TorchConv2dArgs) {
    const {
      rng,
      inChannels,
      outChannels,
      kernel,
      stride,
      dilation,
      groups,
      bias,
      relu = false,
      padding,
      outputSize,
      ...layerArgs
    } = args;
    super(layerArgs, rng);
    this.config = {
      inChannels,
      outChannels,
      kernel,
      stride,
      dilation,
      groups,
      bias,
      relu,
      padding,
      outputSize,
    };
  }

  private get depthwise(): boolean {
    const { groups, inChannels } = this.config;
    return groups > 1 && groups === inChannels;
  }

  override build(): void {
    const { inChannels, outChannels, kernel, groups, bias } = this.config;
    const bound = torchDefaultBound(convFanIn(inChannels, groups, kernel));
    const shape = this.depthwise
      ? [kernel[0], kernel[1], inChannels, outChannels / inChannels]
      : [kernel[0], kernel[1], inChannels / groups, outChannels];
    this.kernel = this.addUniformWeight('kernel', shape, bound);
    if (bias) this.biasWeight = this.addUniformWeight('bias', [outChannels], bound);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const [batch] = oneShape(inputShape);
    return [
      batch ?? null,
      this.config.outputSize[0],
      this.config.outputSize[1],
      this.config.outChannels,
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { stride, dilation, groups, padding, relu } = this.config;
      const x = oneTensor(inputs) as tf.Tensor4D;
      let filter = (this.kernel as tf.LayerVariable).read() as tf.Tensor4D;
      // tfjs has no conv gradients for dilation > 1; a kernel with zeros between the taps is the
      // same convolution, and pad/reshape/slice all have gradients.
      if (dilation[0] > 1 || dilation[1] > 1) filter = dilateKernel(filter, dilation);
      const bias = this.biasWeight?.read() as tf.Tensor1D | undefined;
      // Explicit pads go to the convolution itself: a separate pad op would cost a copy forward
      // and a Slice (a slow strided copy on wasm) in its gradient.
      const pad = padding.explicit ?? padding.mode;
      const plain = groups === 1 && dilation[0] === 1 && dilation[1] === 1;
      if (bias && relu && plain && hasFusedConv2dBiasRelu()) {
        const attrs: Conv2dBiasReluAttrs = { strides: stride, pad, relu };
        return tf
          .engine()
          .runKernel(
            CONV2D_BIAS_RELU,
            { x, filter, bias },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor;
      }
      // Unfused ops on purpose: tfjs's tape skips the input gradient of a conv whose input needs
      // none (the first layer's: the images), but tf.fused.* computes it anyway. On wasm that
      // gradient costs far more than the separate bias adds (ConvNet: ~5 ms a step against ~1.7).
      let y: tf.Tensor4D;
      if (groups === 1) {
        y = tf.conv2d(x, filter, stride, pad);
      } else if (this.depthwise) {
        y = tf.depthwiseConv2d(x, filter, stride, pad);
      } else {
        const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
        const filters = tf.split(filter, groups, 3);
        const ys = xs.map((group, g) => tf.conv2d(group, filters[g] as tf.Tensor4D, stride, pad));
        y = tf.concat(ys, 3);
      }
      const biased = bias ? tf.add(y, bias) : y;
      return relu ? tf.relu(biased) : biased;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { padding, ...rest } = this.config;
    return {
      ...super.getConfig(),
      ...rest,
      padding: padding.mode,
      explicitPadding: padding.explicit ?? null,
    };
  }
}

/**
 * [kh, kw, i, o] → [(kh-1)·dh+1, (kw-1)·dw+1, i, o] with zeros between the taps.
 * One axis at a time with rank ≤ 4 ops, which every backend pads.
 */
function dilateKernel(filter: tf.Tensor4D, dilation: readonly [number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const [dh, dw] = dilation;
  const tall = (kh - 1) * dh + 1;
  const wide = (kw - 1) * dw + 1;
  const rows = tf.reshape(
    tf.pad(tf.reshape(filter, [kh, 1, kw * cin * cout]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
    ]),
    [kh * dh, kw * cin * cout],
  );
  const keptRows = tf.slice(rows, [0, 0], [tall, kw * cin * cout]);
  const columns = tf.reshape(
    tf.pad(tf.reshape(keptRows, [tall, kw, 1, cin * cout]), [
      [0, 0],
      [0, 0],
      [0, dw - 1],
      [0, 0],
    ]),
    [tall, kw * dw, cin, cout],
  );
  return tf.slice(columns, [0, 0, 0, 0], [tall, wide, cin, cout]) as tf.Tensor4D;
}
