import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Layer } from '../../src/spec/types.js';

/** What test/fixtures/train/torch_reference.py records; see that script. */
export interface NamedValues {
  name: string;
  shape?: number[];
  values: number[];
}

export interface LayerCase {
  description: string;
  layers: Layer[];
  /** PyTorch's [C, H, W]. */
  inputShape: [number, number, number];
  mode: 'train' | 'eval';
  params: (NamedValues & { shape: number[] })[];
  buffersBefore: NamedValues[];
  input: number[];
  output: number[];
  outputShape: number[];
  probe: number[];
  paramGrads: NamedValues[];
  inputGrad: number[];
  buffersAfter: NamedValues[];
  paramCount: number;
}

export interface OptimizerCase {
  optimizer: 'adam' | 'adamw' | 'sgd';
  settings: { lr: number; momentum: number; weight_decay: number };
  start: number[];
  target: number[];
  scale: number[];
  steps: number[][];
}

export interface TorchReference {
  torch: string;
  layerCases: LayerCase[];
  networks: { name: string; layers: Layer[]; params: number }[];
  optimizerCases: OptimizerCase[];
}

export function loadTorchReference(): TorchReference {
  const file = fileURLToPath(new URL('../fixtures/train/torch-reference.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as TorchReference;
}

/** NCHW (PyTorch) ↔ NHWC (our models); 2-D tensors pass through. */
export function toNhwc(values: number[], torchShape: number[]): tf.Tensor {
  const t = tf.tensor(values, torchShape, 'float32');
  if (torchShape.length !== 4) return t;
  const nhwc = tf.transpose(t, [0, 2, 3, 1]);
  t.dispose();
  return nhwc;
}

export function toNchw(tensor: tf.Tensor): tf.Tensor {
  return tensor.rank === 4 ? tf.transpose(tensor, [0, 3, 1, 2]) : tf.clone(tensor);
}

/**
 * A PyTorch parameter in our layout: conv weights [out, in/g, kh, kw] → [kh, kw, in/g, out]
 * (reshaped for depthwise kernels, whose [kh, kw, 1, out] is [kh, kw, in, out/in] row-major),
 * Linear weights [out, in] → [in, out]; vectors unchanged.
 */
export function torchToOurs(values: number[], torchShape: number[], ourShape: number[]): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(values, torchShape, 'float32');
    if (torchShape.length === 4) return tf.reshape(tf.transpose(t, [2, 3, 1, 0]), ourShape);
    if (torchShape.length === 2) return tf.transpose(t);
    return t;
  });
}

/** The inverse of torchToOurs, for gradients. */
export function oursToTorch(tensor: tf.Tensor, torchShape: number[]): tf.Tensor {
  return tf.tidy(() => {
    if (torchShape.length === 4) {
      const [out, inPerGroup, kh, kw] = torchShape as [number, number, number, number];
      return tf.transpose(tf.reshape(tensor, [kh, kw, inPerGroup, out]), [3, 2, 0, 1]);
    }
    if (torchShape.length === 2) return tf.transpose(tensor);
    return tf.clone(tensor);
  });
}

/** Layers in creation order, which is the spec's order and PyTorch's module order. */
export function layersInSpecOrder(model: tf.LayersModel): tf.layers.Layer[] {
  return [...model.layers].sort((a, b) => a.id - b.id).filter((layer) => layer.weights.length > 0);
}

/** Largest |a - b| / (atol + rtol·|b|); ≤ 1 means within tolerance. */
export function worstMismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-4,
  rtol = 1e-4,
): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < expected.length; i += 1) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    const ratio = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(ratio <= worst))
      worst = Number.isNaN(ratio) ? Number.POSITIVE_INFINITY : Math.max(worst, ratio);
  }
  return worst;
}
