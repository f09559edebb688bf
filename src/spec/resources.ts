/**
 * What training a submission costs, estimated from the spec alone: the memory one training step
 * holds at the experiment's batch size, and the multiply-accumulates of the whole run. The
 * rubric bounds both at validation, so a submission that cannot fit the engines is refused
 * before any GPU is spent; the total work also tells a CPU queue from a GPU one.
 *
 * The memory model is TensorFlow.js's, since that is what trains: a step runs inside one tidy,
 * so every tensor the forward pass makes stays alive until the step ends, and the backward pass
 * adds its gradients on top. Each layer therefore costs a fixed number of tensors the size of
 * its output (or input), measured per layer type with tf.profile on the wasm backend (see
 * docs/budgets.md and bench/activation-memory.ts); the weights, Adam's two moments, the
 * gradients and the update's temporaries add a few copies of the parameters.
 */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import type { Rubric } from '../rubric/types.js';
import { layerLocation } from './analyze.js';
import { pointer } from './pointer.js';
import type {
  Conv2dLayer,
  Experiment,
  ExperimentAnalysis,
  Layer,
  Pool2dLayer,
  Shape,
  Size2d,
  Submission,
} from './types.js';

/** CIFAR-10's training split: every epoch trains on all of it. */
export const CIFAR10_TRAIN_IMAGES = 50_000;

/**
 * Forward and backward: the forward pass is the MACs once; the backward pass computes the
 * gradient with respect to the input and to the weights, each as many MACs again.
 */
export const TRAINING_MACS_PER_FORWARD_MAC = 3;

const BYTES_PER_VALUE = 4;
/** Weights, Adam's two moments (held), plus gradients and the update's temporaries (peak). */
const PARAMETER_COPIES_AT_PEAK = 9;
/** The input batch, its one-hot labels and the loss's temporaries, per image. */
const INPUT_VALUES_PER_IMAGE = 2 * 3 * 32 * 32;

/**
 * float32 tensors a layer leaves alive during a training step, in units of its output's size,
 * forward and backward together (measured; rounded up).
 */
const TENSORS_PER_OUTPUT: Record<string, number> = {
  ReLU: 2,
  ELU: 2,
  LeakyReLU: 6,
  GELU: 17,
  SiLU: 8,
  Sigmoid: 4,
  Tanh: 4,
  BatchNorm2d: 17,
  BatchNorm1d: 19,
  Dropout: 6,
  Dropout2d: 2,
  Flatten: 0,
  /** The sum, and the gradient fanned out to body and shortcut and summed at the input. */
  Residual: 6,
};
/** Pooling: per value of the larger of input and output, and per value of an explicit pad. */
const POOL_TENSORS = 2.6;
const POOL_PAD_TENSORS = 2.5;
/**
 * AdaptiveAvgPool2d: a mean or a plain average pool when the windows tile the input (per input
 * value); otherwise two matrix products through transposed copies, per value of the input, the
 * rows-pooled intermediate and the output.
 */
const ADAPTIVE_POOL_TILED_TENSORS = 3;
const ADAPTIVE_POOL_GENERAL_TENSORS = 6.5;

/** A layer's share of the memory of one training step. */
export interface LayerMemory {
  /** JSON pointer of the layer. */
  path: string;
  type: Layer['type'];
  /** float32 values the layer keeps alive per image during a step (forward and backward). */
  valuesPerImage: number;
}

export interface ExperimentResources {
  name: string;
  /** JSON pointer of the experiment. */
  path: string;
  batchSize: number;
  /** Estimated bytes one training step holds at this batch size: activations, gradients, weights. */
  stepMemoryBytes: number;
  /** The layer that holds the most memory per image. */
  dominantMemoryLayer: LayerMemory | undefined;
  /** MACs per image × 3 (forward and backward) × training images × epochs. */
  trainingMacs: number;
  /** The layer with the most multiply-accumulates. */
  dominantMacsLayer: { path: string; type: Layer['type']; macs: number } | undefined;
  layers: LayerMemory[];
}

export interface SubmissionResources {
  experiments: ExperimentResources[];
  /** Sum of the experiments' training MACs: the work a grading job does. */
  trainingMacs: number;
  /** The largest step memory of any experiment: what the engine must hold at once. */
  peakStepMemoryBytes: number;
}

/**
 * Estimates the resources of a submission's experiments. `analyses` are the validator's, in the
 * submission's order (only experiments whose layers analysed cleanly have one).
 */
export function estimateResources(
  submission: Pick<Submission, 'experiments'>,
  analyses: ExperimentAnalysis[],
  rubric: Rubric = DEFAULT_RUBRIC,
): SubmissionResources {
  const experiments: ExperimentResources[] = [];
  const byName = new Map(analyses.map((analysis) => [analysis.name, analysis]));
  submission.experiments.forEach((experiment, index) => {
    const analysis = byName.get(experiment.name);
    if (!analysis) return;
    const batch = budgetBatchSize(experiment, rubric);
    experiments.push(
      estimateExperiment(
        experiment.layers,
        analysis,
        pointer('/experiments', index),
        batch,
        rubric.training.epochs,
      ),
    );
  });
  return {
    experiments,
    trainingMacs: experiments.reduce((sum, e) => sum + e.trainingMacs, 0),
    peakStepMemoryBytes: Math.max(0, ...experiments.map((e) => e.stepMemoryBytes)),
  };
}

/** The batch size training will use: the experiment's when it is one the rubric allows. */
export function budgetBatchSize(experiment: Pick<Experiment, 'training'>, rubric: Rubric): number {
  const batch = experiment.training?.batch_size;
  const { min, max } = rubric.training.bounds.batch_size;
  return typeof batch === 'number' && Number.isInteger(batch) && batch >= min && batch <= max
    ? batch
    : rubric.training.defaults.batch_size;
}

/** One experiment's estimate; `path` is the experiment's JSON pointer. */
export function estimateExperiment(
  layers: Layer[],
  analysis: ExperimentAnalysis,
  path: string,
  batchSize: number,
  epochs: number,
): ExperimentResources {
  const shapes = new Map(analysis.layers.map((row) => [row.path, row.outputShape]));
  const memory: LayerMemory[] = [];
  walk(layers, pointer(path, 'layers'), [3, 32, 32], shapes, memory);
  const perImage = INPUT_VALUES_PER_IMAGE + memory.reduce((sum, l) => sum + l.valuesPerImage, 0);
  const stepMemoryBytes =
    BYTES_PER_VALUE * (batchSize * perImage + PARAMETER_COPIES_AT_PEAK * analysis.params);
  const dominantMemoryLayer = memory.reduce<LayerMemory | undefined>(
    (best, layer) => (!best || layer.valuesPerImage > best.valuesPerImage ? layer : best),
    undefined,
  );
  let dominantMacsLayer: ExperimentResources['dominantMacsLayer'];
  for (const row of analysis.layers) {
    if (row.type === 'Residual') continue;
    if (!dominantMacsLayer || row.macs > dominantMacsLayer.macs) {
      dominantMacsLayer = { path: row.path, type: row.type, macs: row.macs };
    }
  }
  return {
    name: analysis.name,
    path,
    batchSize,
    stepMemoryBytes,
    dominantMemoryLayer,
    trainingMacs: analysis.macs * TRAINING_MACS_PER_FORWARD_MAC * CIFAR10_TRAIN_IMAGES * epochs,
    dominantMacsLayer,
    layers: memory,
  };
}

/** Walks the layers with the validator's shapes; returns the output shape, or undefined. */
function walk(
  layers: Layer[],
  basePath: string,
  input: Shape,
  shapes: Map<string, Shape>,
  out: LayerMemory[],
): Shape | undefined {
  let shape: Shape | undefined = input;
  layers.forEach((layer, index) => {
    if (!shape) return;
    const path = pointer(basePath, index);
    const output = shapes.get(path);
    if (!output) {
      shape = undefined;
      return;
    }
    if (layer.type === 'Residual') {
      walk(layer.body, pointer(path, 'body'), shape, shapes, out);
      if (layer.shortcut) walk(layer.shortcut, pointer(path, 'shortcut'), shape, shapes, out);
    }
    out.push({ path, type: layer.type, valuesPerImage: layerValues(layer, shape, output) });
    shape = output;
  });
  return shape;
}

function layerValues(layer: Layer, input: Shape, output: Shape): number {
  const inputs = size(input);
  const outputs = size(output);
  switch (layer.type) {
    case 'Conv2d':
      return convValues(layer, input, inputs, outputs);
    case 'Linear':
      // The output and its gradient, and the gradient of the input.
      return 2 * outputs + inputs;
    case 'MaxPool2d':
    case 'AvgPool2d':
      return POOL_TENSORS * Math.max(inputs, outputs) + POOL_PAD_TENSORS * poolPadded(layer, input);
    case 'AdaptiveAvgPool2d': {
      const [channels = 0, h = 0, w = 0] = input;
      const [, oh = 0, ow = 0] = output;
      if ((oh === 1 && ow === 1) || (h % oh === 0 && w % ow === 0)) {
        return ADAPTIVE_POOL_TILED_TENSORS * inputs;
      }
      return ADAPTIVE_POOL_GENERAL_TENSORS * (inputs + channels * oh * w + outputs);
    }
    case 'Dropout':
    case 'Dropout2d':
      return (layer.p ?? 0.5) === 0 ? 0 : (TENSORS_PER_OUTPUT[layer.type] ?? 0) * outputs;
    default:
      return (TENSORS_PER_OUTPUT[layer.type] ?? 0) * outputs;
  }
}

/**
 * The output (and, with a bias, the sum and its gradient), the input's gradient, an explicitly
 * padded copy of the input and its gradient when tfjs cannot pad inside the convolution, and the
 * split and concatenated copies of a grouped convolution.
 */
function convValues(layer: Conv2dLayer, input: Shape, inputs: number, outputs: number): number {
  let values = (layer.bias === false ? 1 : 3) * outputs + inputs;
  const groups = layer.groups ?? 1;
  const [channels = 0, h = 0, w = 0] = input;
  if (groups > 1 && groups !== channels) values += 2 * (inputs + outputs);
  const padding = layer.padding ?? 0;
  if (padding === 'same' || padding === 'valid') return values;
  const [ph, pw] = pair(padding);
  const [sh, sw] = pair(layer.stride ?? 1);
  const [kh, kw] = pair(layer.kernel_size);
  const [dh, dw] = pair(layer.dilation ?? 1);
  // Stride 1 with PyTorch's "same" amounts is padded inside the kernel (planPadding); else a copy.
  const samePadding = sh === 1 && sw === 1 && 2 * ph === dh * (kh - 1) && 2 * pw === dw * (kw - 1);
  if ((ph > 0 || pw > 0) && !samePadding) values += 2 * channels * (h + 2 * ph) * (w + 2 * pw);
  return values;
}

function poolPadded(layer: Pool2dLayer, input: Shape): number {
  const [ph, pw] = pair(layer.padding ?? 0);
  if (ph === 0 && pw === 0) return 0;
  const [channels = 0, h = 0, w = 0] = input;
  return channels * (h + 2 * ph) * (w + 2 * pw);
}

function pair(value: Size2d): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** "layers/3 (Conv2d)" for messages. */
export function describeLayer(layer: { path: string; type: string }): string {
  return `${layerLocation(layer.path)} (${layer.type})`;
}
