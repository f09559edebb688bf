import * as tf from '@tensorflow/tfjs';
import {
  type Kwargs,
  type LayerArgs,
  type Nhwc4Padding,
  oneShape,
  oneTensor,
  type SymbolicShape,
} from './common.js';

export interface TorchPool2dArgs extends LayerArgs {
  kind: 'max' | 'avg';
  kernel: [number, number];
  stride: [number, number];
  /** PyTorch's symmetric padding, applied explicitly: -inf for max, zeros for average. */
  padding?: Nhwc4Padding;
  outputSize: [number, number];
}

/**
 * MaxPool2d and AvgPool2d with PyTorch's padding. Max pads with -inf so a padded cell never
 * wins; average pads with zeros that count in the divisor (count_include_pad=True, PyTorch's
 * default). tfjs's "same" pooling ignores padded cells, which would be count_include_pad=False.
 */
export class TorchPool2d extends tf.layers.Layer {
  static readonly className = 'TorchPool2d';
  private readonly args: Omit<TorchPool2dArgs, keyof LayerArgs>;

  constructor(args: TorchPool2dArgs) {
    const { kind, kernel, stride, padding, outputSize, ...layerArgs } = args;
    super(layerArgs);
    this.args = { kind, kernel, stride, padding, outputSize };
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = oneShape(inputShape);
    return [shape[0] ?? null, ...this.args.outputSize, shape[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const { kind, kernel, stride, padding } = this.args;
      let x = oneTensor(inputs) as tf.Tensor4D;
      if (padding) x = tf.pad(x, padding, kind === 'max' ? Number.NEGATIVE_INFINITY : 0);
      return kind === 'max'
        ? tf.maxPool(x, kernel, stride, 'valid')
        : tf.avgPool(x, kernel, stride, 'valid');
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { padding, ...rest } = this.args;
    return { ...super.getConfig(), ...rest, padding: padding ?? null };
  }
}

export interface AdaptiveAvgPool2dArgs extends LayerArgs {
  inputSize: [number, number];
  outputSize: [number, number];
}

/**
 * PyTorch's AdaptiveAvgPool2d: output cell i averages input rows floor(i·H/o) to
 * ceil((i+1)·H/o) - 1, likewise for columns. Global pooling is a mean, evenly dividing sizes are
 * a plain average pool, and anything else is two small averaging matrices (rows, then columns).
 */
export class AdaptiveAvgPool2d extends tf.layers.Layer {
  static readonly className = 'AdaptiveAvgPool2d';
  private readonly inputSize: [number, number];
  private readonly outputSize: [number, number];

  constructor(args: AdaptiveAvgPool2dArgs) {
    const { inputSize, outputSize, ...layerArgs } = args;
    super(layerArgs);
    this.inputSize = inputSize;
    this.outputSize = outputSize;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = oneShape(inputShape);
    return [shape[0] ?? null, ...this.outputSize, shape[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs) as tf.Tensor4D;
      const [h, w] = this.inputSize;
      const [oh, ow] = this.outputSize;
      if (oh === 1 && ow === 1) return tf.mean(x, [1, 2], true);
      if (h % oh === 0 && w % ow === 0) {
        const window: [number, number] = [h / oh, w / ow];
        return tf.avgPool(x, window, window, 'valid');
      }
      const [n, , , c] = x.shape;
      // Rows: [H, N·W·C] ← x as rows; out = A_h [oh, H] · rows.
      const rows = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c]);
      const pooledRows = tf.matMul(adaptiveMatrix(h, oh), rows); // [oh, N·W·C]
      const byColumn = tf.reshape(
        tf.transpose(tf.reshape(pooledRows, [oh, n, w, c]), [2, 1, 0, 3]),
        [w, n * oh * c],
      );
      const pooled = tf.matMul(adaptiveMatrix(w, ow), byColumn); // [ow, N·oh·C]
      return tf.transpose(tf.reshape(pooled, [ow, n, oh, c]), [1, 2, 0, 3]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inputSize: this.inputSize, outputSize: this.outputSize };
  }
}

/** [out, size]: row i averages PyTorch's adaptive bin i. */
function adaptiveMatrix(size: number, out: number): tf.Tensor2D {
  const values = new Float32Array(out * size);
  for (let i = 0; i < out; i += 1) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j += 1) values[i * size + j] = 1 / (end - start);
  }
  return tf.tensor2d(values, [out, size]);
}
