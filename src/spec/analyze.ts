/**
 * Shape inference, parameter counts and multiply-accumulates, layer by layer, with PyTorch's
 * semantics. Pure arithmetic on the spec: no tensors are made.
 *
 * MACs are per image: a Conv2d counts out_H·out_W·out_channels·(in_channels/groups)·kH·kW and a
 * Linear in_features·out_features, as fvcore counts them; bias additions, BatchNorm, activations,
 * pooling and Residual sums are not counted.
 */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import type { Rubric } from '../rubric/types.js';
import { countWord, formatCount } from './format-number.js';
import { pointer, pointerTokens } from './pointer.js';
import type {
  AdaptiveAvgPool2dLayer,
  BatchNormLayer,
  Conv2dLayer,
  Layer,
  LayerSummary,
  LinearLayer,
  Pool2dLayer,
  ResidualLayer,
  Shape,
  Size2d,
  SpecError,
} from './types.js';

/** CIFAR-10 images: 3 channels of 32×32 pixels. */
const INPUT_SHAPE: Shape = [3, 32, 32];

export interface LayersAnalysis {
  /** What the last layer outputs; undefined when an error stopped inference part-way. */
  outputShape: Shape | undefined;
  params: number;
  macs: number;
  /** One row per analysed layer, Residual blocks before their (indented) contents. */
  rows: LayerSummary[];
  errors: SpecError[];
}

export interface AnalyzeOptions {
  /** Shape arriving at the first layer; CIFAR-10's 3×32×32 by default. */
  input?: Shape;
  /** The rubric's limits on channels, features, kernel sizes and Residual nesting. */
  limits?: Rubric['limits'];
}

/** What flows between layers, with enough history to explain a size mismatch in course terms. */
interface Flow {
  shape: Shape;
  /** Labels of the layers that shrank the image so far, e.g. ["MaxPool2d", "MaxPool2d"]. */
  reducers: string[];
  /** The C×H×W a Flatten turned into these features, and the reductions before it. */
  flattened?: { shape: Shape; reducers: string[] };
  /** The layer that produced this shape, e.g. "layers/3 (Conv2d)"; absent for the input image. */
  producer?: string;
}

/** What a layer, or a list of them, makes of its input; no flow when an error stopped it. */
interface Step {
  flow: Flow | undefined;
  params: number;
  macs: number;
}

interface Context {
  limits: Rubric['limits'];
  errors: SpecError[];
  rows: LayerSummary[];
}

/**
 * Analyses a list of layers whose JSON pointer is `basePath` (e.g. "/experiments/0/layers").
 * The layers must already conform to the schema. Never throws.
 */
export function analyzeLayers(
  layers: Layer[],
  basePath: string,
  options: AnalyzeOptions = {},
): LayersAnalysis {
  const context: Context = {
    limits: options.limits ?? DEFAULT_RUBRIC.limits,
    errors: [],
    rows: [],
  };
  const result = runLayers(
    layers,
    basePath,
    { shape: options.input ?? INPUT_SHAPE, reducers: [] },
    0,
    context,
  );
  return {
    outputShape: result.flow?.shape,
    params: result.params,
    macs: result.macs,
    rows: context.rows,
    errors: context.errors,
  };
}

function runLayers(
  layers: Layer[],
  basePath: string,
  input: Flow,
  depth: number,
  ctx: Context,
): Step {
  let flow: Flow | undefined = input;
  let params = 0;
  let macs = 0;
  for (let i = 0; i < layers.length && flow; i++) {
    const layer = layers[i];
    if (layer === undefined) break;
    const path = pointer(basePath, i);
    const step = runLayer(layer, path, flow, depth, ctx);
    params += step.params;
    macs += step.macs;
    flow = step.flow;
  }
  return { flow, params, macs };
}

function runLayer(layer: Layer, path: string, input: Flow, depth: number, ctx: Context): Step {
  const where = `${layerLocation(path)} (${layer.type})`;
  const fail = (message: string): void => {
    ctx.errors.push({ path, message: `${where}: ${message}` });
  };
  if (layer.type === 'Residual') return runResidual(layer, path, where, input, depth, ctx, fail);

  const step = runSimpleLayer(layer, where, input, ctx, fail);
  if (step.flow) {
    ctx.rows.push({
      path,
      type: layer.type,
      depth,
      outputShape: step.flow.shape,
      params: step.params,
      macs: step.macs,
    });
  }
  return step;
}

function runSimpleLayer(
  layer: Exclude<Layer, ResidualLayer>,
  where: string,
  input: Flow,
  ctx: Context,
  fail: (message: string) => void,
): Step {
  const same = (): Step => ({ flow: { ...input, producer: where }, params: 0, macs: 0 });
  switch (layer.type) {
    case 'Conv2d':
      return runConv2d(layer, where, input, ctx, fail);
    case 'Linear':
      return runLinear(layer, where, input, ctx, fail);
    case 'MaxPool2d':
    case 'AvgPool2d':
      return runPool(layer, where, input, ctx, fail);
    case 'AdaptiveAvgPool2d':
      return runAdaptivePool(layer, where, input, fail);
    case 'Flatten': {
      const [c, h, w] = input.shape;
      if (input.shape.length !== 3 || c === undefined || h === undefined || w === undefined) {
        return same(); // Flatten(start_dim=1) of flat features changes nothing.
      }
      return {
        flow: {
          shape: [c * h * w],
          reducers: input.reducers,
          flattened: { shape: input.shape, reducers: input.reducers },
          producer: where,
        },
        params: 0,
        macs: 0,
      };
    }
    case 'BatchNorm2d':
    case 'BatchNorm1d':
      return runBatchNorm(layer, where, input, fail);
    default:
      // Activations, Dropout and Dropout2d keep the shape. On flat features PyTorch's Dropout2d
      // drops single elements (with a deprecation warning), and so does the trainer.
      return same();
  }
}

function runConv2d(
  layer: Conv2dLayer,
  where: string,
  input: Flow,
  ctx: Context,
  fail: (message: string) => void,
): Step {
  const spatial = requireSpatial(input, 'Conv2d', fail);
  if (!spatial) return stop();
  const [c, h, w] = spatial;
  const out = layer.out_channels;
  const { max_channels: maxChannels, max_kernel_size: maxKernel } = ctx.limits;
  if (out > maxChannels) {
    fail(
      `out_channels is ${formatCount(out)}; the rubric allows at most ${formatCount(maxChannels)} channels`,
    );
    return stop();
  }
  const [kh, kw] = pair(layer.kernel_size);
  if (kh > maxKernel || kw > maxKernel) {
    fail(
      `kernel_size ${formatSize(layer.kernel_size)} is larger than the rubric's limit of ${maxKernel}`,
    );
    return stop();
  }
  if (layer.in_channels !== undefined && layer.in_channels !== c) {
    fail(`in_channels is ${layer.in_channels} but ${c} channels arrive (${describeOrigin(input)})`);
  }
  const groups = layer.groups ?? 1;
  if (c % groups !== 0 || out % groups !== 0) {
    fail(
      `groups is ${groups} but it must divide both in_channels (${c}) and out_channels (${out})`,
    );
    return stop();
  }
  const [sh, sw] = pair(layer.stride ?? 1);
  const [dh, dw] = pair(layer.dilation ?? 1);
  let oh: number;
  let ow: number;
  if (layer.padding === 'same') {
    if (sh !== 1 || sw !== 1) {
      fail(
        `padding "same" needs stride 1 (PyTorch refuses it for strided convolutions); give the padding as a number, e.g. ${Math.floor((dh * (kh - 1)) / 2)}`,
      );
      return stop();
    }
    [oh, ow] = [h, w];
  } else {
    const [ph, pw] = layer.padding === 'valid' ? [0, 0] : pair(layer.padding ?? 0);
    const spanH = dh * (kh - 1) + 1;
    const spanW = dw * (kw - 1) + 1;
    if (h + 2 * ph < spanH || w + 2 * pw < spanW) {
      fail(
        `its ${spanH}×${spanW} kernel${dh > 1 || dw > 1 ? ' (dilated)' : ''} is larger than the ${h + 2 * ph}×${w + 2 * pw} padded input (${h}×${w} arrive), so no output remains`,
      );
      return stop();
    }
    oh = Math.floor((h + 2 * ph - spanH) / sh) + 1;
    ow = Math.floor((w + 2 * pw - spanW) / sw) + 1;
  }
  const perPosition = (c / groups) * kh * kw;
  const params = out * perPosition + (layer.bias === false ? 0 : out);
  const macs = oh * ow * out * perPosition;
  const shrank = oh < h || ow < w;
  const label = sh > 1 || sw > 1 ? 'strided Conv2d' : 'Conv2d without padding';
  return {
    flow: {
      shape: [out, oh, ow],
      reducers: shrank ? [...input.reducers, label] : input.reducers,
      producer: where,
    },
    params,
    macs,
  };
}

function runLinear(
  layer: LinearLayer,
  where: string,
  input: Flow,
  ctx: Context,
  fail: (message: string) => void,
): Step {
  const maxFeatures = ctx.limits.max_features;
  const out = layer.out_features;
  if (out > maxFeatures) {
    fail(
      `out_features is ${formatCount(out)}; the rubric allows at most ${formatCount(maxFeatures)} features`,
    );
    return stop();
  }
  let features: number;
  const [only] = input.shape;
  if (input.shape.length !== 1 || only === undefined) {
    fail(
      `Linear needs flat features, but it receives ${describeArrival(input)}; put a Flatten before it`,
    );
    features = layer.in_features ?? product(input.shape);
  } else {
    features = only;
    if (layer.in_features !== undefined && layer.in_features !== features) {
      fail(
        `in_features is ${layer.in_features} but ${features} features arrive (${describeOrigin(input)})`,
      );
    }
  }
  return {
    flow: { shape: [out], reducers: input.reducers, producer: where },
    params: features * out + (layer.bias === false ? 0 : out),
    macs: features * out,
  };
}

function runPool(
  layer: Pool2dLayer,
  where: string,
  input: Flow,
  ctx: Context,
  fail: (message: string) => void,
): Step {
  const spatial = requireSpatial(input, layer.type, fail);
  if (!spatial) return stop();
  const [c, h, w] = spatial;
  const [kh, kw] = pair(layer.kernel_size);
  const maxKernel = ctx.limits.max_kernel_size;
  if (kh > maxKernel || kw > maxKernel) {
    fail(
      `kernel_size ${formatSize(layer.kernel_size)} is larger than the rubric's limit of ${maxKernel}`,
    );
    return stop();
  }
  const [sh, sw] = pair(layer.stride ?? layer.kernel_size);
  const [ph, pw] = pair(layer.padding ?? 0);
  // PyTorch: "pad should be at most half of kernel size" (integer halves).
  if (ph > Math.floor(kh / 2) || pw > Math.floor(kw / 2)) {
    fail(
      `padding ${formatSize(layer.padding ?? 0)} is more than half of kernel_size ${formatSize(layer.kernel_size)}; PyTorch allows at most ${Math.floor(kh / 2)}${kh === kw ? '' : `×${Math.floor(kw / 2)}`}`,
    );
    return stop();
  }
  if (h + 2 * ph < kh || w + 2 * pw < kw) {
    fail(
      `its ${kh}×${kw} window is larger than the ${h + 2 * ph}×${w + 2 * pw} (padded) input, so no output remains`,
    );
    return stop();
  }
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const shrank = oh < h || ow < w;
  return {
    flow: {
      shape: [c, oh, ow],
      reducers: shrank ? [...input.reducers, layer.type] : input.reducers,
      producer: where,
    },
    params: 0,
    macs: 0,
  };
}

function runAdaptivePool(
  layer: AdaptiveAvgPool2dLayer,
  where: string,
  input: Flow,
  fail: (message: string) => void,
): Step {
  const spatial = requireSpatial(input, layer.type, fail);
  if (!spatial) return stop();
  const [c, h, w] = spatial;
  const [oh, ow] = pair(layer.output_size);
  const shrank = oh < h || ow < w;
  return {
    flow: {
      shape: [c, oh, ow],
      reducers: shrank ? [...input.reducers, layer.type] : input.reducers,
      producer: where,
    },
    params: 0,
    macs: 0,
  };
}

function runBatchNorm(
  layer: BatchNormLayer,
  where: string,
  input: Flow,
  fail: (message: string) => void,
): Step {
  const spatialInput = input.shape.length === 3;
  if (layer.type === 'BatchNorm2d' && !spatialInput) {
    fail(
      `BatchNorm2d normalises the channels of a C×H×W input, but it receives ${describeArrival(input)}; use BatchNorm1d after Flatten`,
    );
  } else if (layer.type === 'BatchNorm1d' && spatialInput) {
    fail(
      `BatchNorm1d normalises flat features, but it receives ${describeArrival(input)}; use BatchNorm2d before Flatten`,
    );
  }
  const channels = input.shape[0] ?? 0;
  if (layer.num_features !== undefined && layer.num_features !== channels) {
    const unit = spatialInput ? 'channels' : 'features';
    fail(
      `num_features is ${layer.num_features} but ${channels} ${unit} arrive (${describeOrigin(input)})`,
    );
  }
  // weight and bias per channel; running mean and variance are buffers, not parameters.
  return { flow: { ...input, producer: where }, params: 2 * channels, macs: 0 };
}

function runResidual(
  layer: ResidualLayer,
  path: string,
  where: string,
  input: Flow,
  depth: number,
  ctx: Context,
  fail: (message: string) => void,
): Step {
  if (depth + 1 > ctx.limits.max_depth) {
    fail(
      `Residual blocks nest ${depth + 1} deep here; the rubric allows at most ${ctx.limits.max_depth}`,
    );
    return stop();
  }
  const rowIndex = ctx.rows.length;
  const inner: Flow = { shape: input.shape, reducers: [], producer: input.producer };
  const body = runLayers(layer.body, pointer(path, 'body'), inner, depth + 1, ctx);
  const shortcut = layer.shortcut
    ? runLayers(layer.shortcut, pointer(path, 'shortcut'), inner, depth + 1, ctx)
    : { flow: inner, params: 0, macs: 0 };
  if (!body.flow || !shortcut.flow) return stop();
  const bodyShape = body.flow.shape;
  const shortcutShape = shortcut.flow.shape;
  if (!sameShape(bodyShape, shortcutShape)) {
    const what = layer.shortcut
      ? 'the shortcut outputs'
      : 'the identity shortcut passes on the input,';
    fail(
      `the body outputs ${formatShape(bodyShape)} but ${what} ${formatShape(shortcutShape)}; body and shortcut must have the same shape to be added${layer.shortcut ? '' : " (add a shortcut, e.g. a 1×1 Conv2d, or keep the body's shape)"}`,
    );
    return stop();
  }
  const params = body.params + shortcut.params;
  const macs = body.macs + shortcut.macs;
  ctx.rows.splice(rowIndex, 0, {
    path,
    type: 'Residual',
    depth,
    outputShape: bodyShape,
    params,
    macs,
  });
  const [, h, w] = input.shape;
  const [, oh, ow] = bodyShape;
  const shrank =
    bodyShape.length === 3 &&
    input.shape.length === 3 &&
    ((oh ?? 0) < (h ?? 0) || (ow ?? 0) < (w ?? 0));
  return {
    flow: {
      shape: bodyShape,
      reducers: shrank ? [...input.reducers, 'Residual'] : input.reducers,
      flattened: body.flow.flattened ?? input.flattened,
      producer: where,
    },
    params,
    macs,
  };
}

function stop(): Step {
  return { flow: undefined, params: 0, macs: 0 };
}

function requireSpatial(
  input: Flow,
  type: string,
  fail: (message: string) => void,
): [number, number, number] | undefined {
  const [c, h, w] = input.shape;
  if (input.shape.length === 3 && c !== undefined && h !== undefined && w !== undefined)
    return [c, h, w];
  fail(
    `${type} needs a C×H×W input, but it receives ${describeArrival(input)}; put it before the Flatten`,
  );
  return undefined;
}

/**
 * Where what arrives comes from, for the parenthesis after "N features arrive":
 * "16 channels × 4 × 4 after three MaxPool2d", "8×16×16 from layers/2 (MaxPool2d)".
 */
function describeOrigin(flow: Flow): string {
  const [c, h, w] = flow.shape;
  if (flow.shape.length === 3 && c !== undefined && h !== undefined && w !== undefined) {
    return flow.producer
      ? `${formatShape(flow.shape)} from ${flow.producer}`
      : 'the 3×32×32 input image';
  }
  const flat = flow.flattened;
  const [fc, fh, fw] = flat?.shape ?? [];
  if (flat && fc !== undefined && fh !== undefined && fw !== undefined && fc * fh * fw === c) {
    return `${fc} channels × ${fh} × ${fw} ${describeReductions(flat.reducers)}`;
  }
  return `from ${flow.producer ?? 'the input'}`;
}

/** What a layer receives, as a noun phrase: "256 features (16 channels × 4 × 4 ...)", "8×16×16 from ...". */
function describeArrival(flow: Flow): string {
  if (flow.shape.length === 3) return describeOrigin(flow);
  return `${flow.shape[0] ?? 0} features (${describeOrigin(flow)})`;
}

function describeReductions(reducers: string[]): string {
  if (reducers.length === 0) return 'with no downsampling';
  const counts = new Map<string, number>();
  for (const label of reducers) counts.set(label, (counts.get(label) ?? 0) + 1);
  const parts = [...counts].map(([label, n]) => `${countWord(n)} ${label}`);
  const last = parts.pop();
  return `after ${parts.length ? `${parts.join(', ')} and ${last}` : last}`;
}

/** "layers/9" or "layers/2/body/0": where a layer is, relative to its experiment. */
export function layerLocation(path: string): string {
  const tokens = pointerTokens(path);
  const start = tokens[0] === 'experiments' && tokens.length > 2 ? 2 : 0;
  return tokens.slice(start).join('/');
}

function pair(size: Size2d): [number, number] {
  return typeof size === 'number' ? [size, size] : size;
}

function formatSize(size: Size2d): string {
  return typeof size === 'number' ? String(size) : `[${size[0]}, ${size[1]}]`;
}

/** [16, 4, 4] -> "16×4×4"; [256] -> "256 features". */
export function formatShape(shape: Shape): string {
  if (shape.length === 1) return `${shape[0] ?? 0} features`;
  return shape.map((n) => String(n)).join('×');
}

function product(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
