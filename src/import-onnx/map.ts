/**
 * Maps an ONNX graph onto the submission format's layers: a chain from the input image to the
 * logits, where a tensor may split into two branches that an Add joins again (a Residual).
 * Shapes are inferred with the validator's own analyzeLayers, one step at a time, and checked
 * against the shapes the exporter recorded, so the layers reproduce PyTorch's network.
 */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import { analyzeLayers, formatShape } from '../spec/analyze.js';
import type {
  Conv2dLayer,
  ConvPadding,
  Layer,
  LinearLayer,
  Pool2dLayer,
  ResidualLayer,
  Shape,
  Size2d,
} from '../spec/types.js';
import {
  floatAttribute,
  intAttribute,
  intsAttribute,
  SHAPE_OPS,
  StaticValues,
  stringAttribute,
} from './constants.js';
import { describeNode, nodeRef, OnnxImportError } from './errors.js';
import type { ImportNote, OnnxGraph, OnnxNode } from './types.js';

/** What the format offers, for messages about what it does not. */
export const SUPPORTED_LAYERS =
  'Conv2d, Linear, ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, BatchNorm2d, BatchNorm1d, Dropout and residual blocks (x + f(x))';

/** The export line that keeps BatchNorm layers as they are (no folding into the convolutions). */
export const PRESERVE_EXPORT =
  'torch.onnx.export(model, torch.zeros(1, 3, 32, 32), "model.onnx", training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)';

/** Shape inference without the rubric's limits: the validator reports those on the result. */
const NO_LIMITS = {
  ...DEFAULT_RUBRIC.limits,
  max_channels: Number.POSITIVE_INFINITY,
  max_features: Number.POSITIVE_INFINITY,
  max_kernel_size: Number.POSITIVE_INFINITY,
  max_depth: Number.POSITIVE_INFINITY,
};

/** PyTorch's BatchNorm eps; ONNX stores float32, so compare loosely. */
const TORCH_BN_EPS = 1e-5;

/** Why an op has no layer, for the ops students are likely to meet. */
const UNSUPPORTED_HINTS: Record<string, string> = {
  LSTM: 'recurrent layers (nn.LSTM) are not in the submission format',
  GRU: 'recurrent layers (nn.GRU) are not in the submission format',
  RNN: 'recurrent layers (nn.RNN) are not in the submission format',
  Resize: 'upsampling (nn.Upsample, F.interpolate) is not in the submission format',
  Upsample: 'upsampling (nn.Upsample, F.interpolate) is not in the submission format',
  ConvTranspose: 'transposed convolutions (nn.ConvTranspose2d) are not in the submission format',
  Concat: 'concatenating tensors (torch.cat) is not in the submission format',
  Pad: "padding as a layer of its own (nn.ZeroPad2d, F.pad, or a Conv2d padding_mode other than 'zeros') is not in the submission format; pad inside Conv2d instead, with its padding argument",
  Softmax:
    'the network must end with raw logits: the grader applies the softmax in its cross-entropy loss, as nn.CrossEntropyLoss does; remove the softmax before exporting',
  LogSoftmax:
    'the network must end with raw logits: the grader applies the softmax in its cross-entropy loss, as nn.CrossEntropyLoss does; remove the log-softmax before exporting',
  GlobalMaxPool:
    'global max pooling (nn.AdaptiveMaxPool2d) is not in the submission format; use MaxPool2d with the feature map size as kernel_size, or AdaptiveAvgPool2d',
  LayerNormalization: 'LayerNorm is not in the submission format; BatchNorm2d/BatchNorm1d are',
  InstanceNormalization: 'InstanceNorm is not in the submission format; BatchNorm2d is',
  GroupNormalization: 'GroupNorm is not in the submission format; BatchNorm2d is',
  PRelu: 'PReLU is not in the submission format; LeakyReLU is',
  HardSwish: 'Hardswish is not in the submission format; SiLU is',
  HardSigmoid: 'Hardsigmoid is not in the submission format; Sigmoid is',
  Softplus: 'Softplus (and Mish) are not in the submission format',
  Clip: 'clamping (ReLU6, Hardtanh, torch.clamp) is not in the submission format; ReLU is',
  Transpose: 'permuting dimensions is not in the submission format',
  Squeeze:
    'squeezing dimensions is not in the submission format; flatten with nn.Flatten() or torch.flatten(x, 1)',
  Unsqueeze: 'adding dimensions is not in the submission format',
};

/** Ops the mapper reads, alone or as parts of a pattern (Mul, Div, Erf: SiLU and GELU). */
const MAPPED_OPS = new Set([
  'Conv',
  'Gemm',
  'MatMul',
  'Add',
  'Mul',
  'Div',
  'Erf',
  'Relu',
  'LeakyRelu',
  'Elu',
  'Sigmoid',
  'Tanh',
  'Gelu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'ReduceMean',
  'Flatten',
  'Reshape',
  'BatchNormalization',
  'Dropout',
  'Identity',
  'Pad',
]);

/** Ops that move data around rather than compute a layer: reported after the ones that do. */
const REARRANGING_OPS = new Set([
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Gather',
  'Slice',
  'Split',
  'Expand',
  'Tile',
  'Cast',
]);

/** An activation PyTorch exported as several nodes; `nodes` ends with the one that outputs it. */
interface Activation {
  type: 'SiLU' | 'GELU';
  nodes: OnnxNode[];
}

/** Where a branch starts: a node reading the tensor, or a multi-node activation. */
type Start = { node: OnnxNode } | { activation: Activation };

function startNode(start: Start): OnnxNode {
  return 'node' in start ? start.node : (start.activation.nodes[0] as OnnxNode);
}

interface Step {
  layers: Layer[];
  tensor: string;
  shape: Shape;
}

/** Where a walk along the chain stopped: at a node joining two branches, or at a tensor nothing reads. */
interface WalkEnd extends Step {
  merge: OnnxNode | undefined;
}

export interface MappedGraph {
  layers: Layer[];
  notes: ImportNote[];
  /** Convolutions whose BatchNorm the exporter folded in (kept only under policy "keep"). */
  foldedConvs: OnnxNode[];
}

export function mapGraph(graph: OnnxGraph): MappedGraph {
  return new GraphMapper(graph).run();
}

class GraphMapper {
  private readonly notes: ImportNote[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly values: StaticValues;
  private readonly users = new Map<string, OnnxNode[]>();
  private readonly visited = new Set<OnnxNode>();
  private readonly foldedConvs: OnnxNode[] = [];
  private readonly batch: number;
  private sawDropout = false;

  constructor(private readonly graph: OnnxGraph) {
    const input = this.input();
    const first = input.dims?.[0];
    this.batch = typeof first === 'number' ? first : Number.NaN;
    this.values = new StaticValues(graph, this.batch, this.shapes);
    for (const node of graph.nodes) {
      if (SHAPE_OPS.has(node.opType)) continue; // reads a shape, not the data
      for (const tensor of this.values.dynamicInputs(node)) {
        const list = this.users.get(tensor) ?? [];
        list.push(node);
        this.users.set(tensor, list);
      }
    }
  }

  run(): MappedGraph {
    this.refuseUnmappedOps();
    this.requireOneOutput();
    const input = this.input();
    const { shape, prefix } = this.inputShape(input.name, input.dims);
    const end = this.walk(input.name, shape, undefined);
    if (end.merge) {
      throw new OnnxImportError(
        `it combines the network's data with a tensor that does not come from the same chain of layers; the submission format is a chain of layers from the image to the logits, where a tensor may split into two branches that are added back together (a residual block)`,
        end.merge,
      );
    }
    this.checkOutput(end.tensor);
    const stray = this.graph.nodes.find(
      (n) =>
        !this.visited.has(n) && !SHAPE_OPS.has(n.opType) && this.values.dynamicInputs(n).length > 0,
    );
    if (stray) {
      throw new OnnxImportError(
        'it is not on the chain of layers from the input image to the output; the submission format has one input, one output and no side branches other than residual blocks',
        stray,
      );
    }
    if (!this.sawDropout) {
      this.notes.push({
        level: 'info',
        message:
          'The export contains no Dropout: PyTorch leaves Dropout out of eval-mode exports (it does nothing at inference). If your network has nn.Dropout or nn.Dropout2d layers, add {"type": "Dropout", "p": ...} (or "Dropout2d") at the same places in "layers": they have no parameters and change no shapes.',
      });
    }
    return { layers: [...prefix, ...end.layers], notes: this.notes, foldedConvs: this.foldedConvs };
  }

  /**
   * Ops with no layer at all are reported before the structure is followed: the student learns
   * about the LSTM itself, not about the reshape in front of it. Layer-like ops come first.
   */
  private refuseUnmappedOps(): void {
    const unmapped = this.graph.nodes.filter(
      (n) =>
        !MAPPED_OPS.has(n.opType) &&
        !SHAPE_OPS.has(n.opType) &&
        this.values.dynamicInputs(n).length > 0,
    );
    const primary = unmapped.find((n) => !REARRANGING_OPS.has(n.opType)) ?? unmapped[0];
    if (!primary) return;
    const others = new Map<string, OnnxNode>();
    for (const node of unmapped) {
      if (node.opType !== primary.opType && !others.has(node.opType)) others.set(node.opType, node);
    }
    const also = [...others.values()].map((n) => `${n.opType} (#${n.index})`).join(', ');
    const more = others.size === 0 ? '' : `. The model also uses ops the format lacks: ${also}`;
    throw new OnnxImportError(`${unsupportedReason(primary)}${more}`, primary);
  }

  private input(): { name: string; dims: (number | string)[] | undefined } {
    const inputs = this.graph.inputs;
    if (inputs.length !== 1) {
      const names = inputs.map((i) => `"${i.name}"`).join(', ');
      throw new OnnxImportError(
        `the model has ${inputs.length} inputs (${names}) but a CIFAR-10 network takes one image batch; if the extra inputs are weights, export again without export_params=False`,
      );
    }
    const [input] = inputs as [(typeof inputs)[0]];
    return input;
  }

  /** The image shape the chain starts from, and a Flatten first when the model takes flat images. */
  private inputShape(
    name: string,
    dims: (number | string)[] | undefined,
  ): { shape: Shape; prefix: Layer[] } {
    const rest = dims?.slice(1);
    const exported = dims ? dims.join('×') : 'an unknown shape';
    if (rest?.length === 3 && rest[0] === 3 && rest[1] === 32 && rest[2] === 32) {
      this.shapes.set(name, [3, 32, 32]);
      return { shape: [3, 32, 32], prefix: [] };
    }
    if (rest?.length === 1 && rest[0] === 3 * 32 * 32) {
      this.notes.push({
        level: 'info',
        message:
          'The model takes flattened images (3072 features), so the submission starts with a Flatten, which gives it the same 3072 values in the same (channel, row, column) order as x.view(-1, 3072).',
      });
      this.shapes.set(name, [3072]);
      return { shape: [3072], prefix: [{ type: 'Flatten' }] };
    }
    throw new OnnxImportError(
      `the model's input "${name}" has the shape ${exported}, but CIFAR-10 images are 3×32×32: export it with a dummy batch of that size, torch.onnx.export(model, torch.zeros(1, 3, 32, 32), "model.onnx")`,
    );
  }

  private requireOneOutput(): void {
    const outputs = this.graph.outputs;
    if (outputs.length !== 1) {
      const names = outputs.map((o) => `"${o.name}"`).join(', ');
      throw new OnnxImportError(
        `the model has ${outputs.length} outputs (${names}); a submission's network returns one tensor, the 10 logits`,
      );
    }
  }

  private checkOutput(tensor: string): void {
    const [output] = this.graph.outputs as [(typeof this.graph.outputs)[0]];
    if (output.name !== tensor) {
      const producer = this.values.producers.get(output.name);
      const where = producer ? ` (made by ${describeNode(producer)})` : '';
      throw new OnnxImportError(
        `the model's output "${output.name}"${where} is not where the chain of layers from the input ends ("${tensor}"); the submission format is one chain of layers from the image to the logits`,
      );
    }
  }

  private usersOf(tensor: string): OnnxNode[] {
    return this.users.get(tensor) ?? [];
  }

  /**
   * Where the data goes from `tensor`: its reading nodes, with the two nodes of an activation
   * PyTorch exports as a subgraph (SiLU, GELU) taken together as one start.
   */
  private startsFrom(tensor: string): Start[] {
    const users = [...this.usersOf(tensor)];
    const starts: Start[] = [];
    while (users.length > 0) {
      const node = users.shift() as OnnxNode;
      const partnerIndex = users.findIndex((u) => this.matchActivation(tensor, node, u));
      const partner = users[partnerIndex];
      if (partner) {
        users.splice(partnerIndex, 1);
        starts.push({ activation: this.matchActivation(tensor, node, partner) as Activation });
      } else {
        starts.push({ node });
      }
    }
    return starts;
  }

  /** Follows the chain from `tensor` (through `first` when given) until it joins or ends. */
  private walk(tensor: string, shape: Shape, first: Start | undefined): WalkEnd {
    const layers: Layer[] = [];
    let step: Step = { layers, tensor, shape };
    let next = first ? [first] : this.startsFrom(tensor);
    // Each step consumes at least one node, so a walk longer than the graph is a loop.
    for (let steps = 0; ; steps++) {
      if (steps > this.graph.nodes.length) {
        throw new OnnxImportError(
          `the graph loops back on itself after "${step.tensor}"; an exported model is a graph without cycles`,
        );
      }
      this.shapes.set(step.tensor, step.shape);
      const [a, b, third] = next;
      if (a === undefined) return { ...step, layers, merge: undefined };
      let made: Step;
      if (b === undefined) {
        if ('activation' in a) {
          made = this.applyActivation(a.activation, step.shape);
        } else if (this.values.dynamicInputs(a.node).length >= 2) {
          return { ...step, layers, merge: a.node };
        } else {
          made = this.mapNode(a.node, step.shape);
        }
      } else if (third === undefined) {
        made = this.residual(step.tensor, step.shape, a, b);
      } else {
        const list = next.map((n) => describeNode(startNode(n))).join(', ');
        throw new OnnxImportError(
          `its input "${step.tensor}" feeds ${next.length} layers (${list}); in the submission format a tensor feeds one layer, or two branches that are added back together (a residual block)`,
          startNode(third),
        );
      }
      layers.push(...made.layers);
      step = { layers, tensor: made.tensor, shape: made.shape };
      next = this.startsFrom(step.tensor);
    }
  }

  /** The one-node layers, and MatMul + Add. */
  private mapNode(node: OnnxNode, shape: Shape): Step {
    this.visited.add(node);
    const out = node.outputs[0] ?? '';
    const single = (layer: Layer | undefined, to = out): Step => {
      const layers = layer ? [layer] : [];
      return { layers, tensor: to, shape: this.shapeAfter(node, layers, shape, to) };
    };
    switch (node.opType) {
      case 'Conv':
        return single(this.conv(node, shape));
      case 'Gemm':
        return single(this.gemm(node, shape));
      case 'MatMul':
        return this.matMul(node, shape);
      case 'Relu':
        return single({ type: 'ReLU' });
      case 'LeakyRelu': {
        const alpha = roundFloat32(floatAttribute(node, 'alpha') ?? 0.01);
        return single(
          alpha === 0.01 ? { type: 'LeakyReLU' } : { type: 'LeakyReLU', negative_slope: alpha },
        );
      }
      case 'Elu': {
        const alpha = roundFloat32(floatAttribute(node, 'alpha') ?? 1);
        if (alpha !== 1) {
          throw new OnnxImportError(
            `ELU with alpha ${alpha} is not in the submission format, whose ELU has PyTorch's default alpha=1.0`,
            node,
          );
        }
        return single({ type: 'ELU' });
      }
      case 'Sigmoid':
        return single({ type: 'Sigmoid' });
      case 'Tanh':
        return single({ type: 'Tanh' });
      case 'Gelu': {
        const approximate = stringAttribute(node, 'approximate') ?? 'none';
        if (approximate !== 'none') {
          throw new OnnxImportError(
            `GELU(approximate="${approximate}") is not in the submission format, whose GELU is the exact one (PyTorch's default)`,
            node,
          );
        }
        return single({ type: 'GELU' });
      }
      case 'MaxPool':
      case 'AveragePool':
        return single(this.pool(node));
      case 'GlobalAveragePool':
        return single({ type: 'AdaptiveAvgPool2d', output_size: 1 });
      case 'ReduceMean':
        return this.reduceMean(node, shape);
      case 'Flatten': {
        const axis = intAttribute(node, 'axis') ?? 1;
        if (axis !== 1) {
          throw new OnnxImportError(
            `it flattens from dimension ${axis}; the submission format's Flatten keeps the batch dimension and flattens the rest, like nn.Flatten() or torch.flatten(x, 1)`,
            node,
          );
        }
        return single({ type: 'Flatten' });
      }
      case 'Reshape':
        return single(this.reshape(node, shape));
      case 'BatchNormalization':
        return single(this.batchNorm(node, shape));
      case 'Dropout':
        return single(this.dropout(node));
      case 'Identity':
        return single(undefined);
      case 'Pad':
        return this.pad(node, shape);
      default:
        throw new OnnxImportError(unsupportedReason(node), node);
    }
  }

  /** What the validator's shape inference makes of the layers; checked against the file's own shape. */
  private shapeAfter(node: OnnxNode, layers: Layer[], input: Shape, tensor: string): Shape {
    const analysis = analyzeLayers(layers, '', { input, limits: NO_LIMITS });
    const [error] = analysis.errors;
    if (error || analysis.outputShape === undefined) {
      const message = error?.message.replace(/^[^:]*: /, '') ?? 'its output shape is undefined';
      throw new OnnxImportError(message, node);
    }
    const recorded = this.graph.valueInfo.get(tensor)?.dims ?? this.outputDims(tensor);
    const inferred = analysis.outputShape;
    if (recorded?.every((d) => typeof d === 'number')) {
      const perImage = recorded.slice(1);
      if (perImage.length !== inferred.length || perImage.some((d, i) => d !== inferred[i])) {
        throw new OnnxImportError(
          `the importer reads it as ${layers.map((l) => l.type).join(' + ') || 'nothing'}, giving ${formatShape(inferred)} per image, but the file says ${perImage.join('×')}; please report this model to the course staff`,
          node,
        );
      }
    }
    this.shapes.set(tensor, inferred);
    return inferred;
  }

  private outputDims(tensor: string): (number | string)[] | undefined {
    return this.graph.outputs.find((o) => o.name === tensor)?.dims;
  }

  private weight(node: OnnxNode, index: number, what: string): number[] {
    const name = node.inputs[index] ?? '';
    const dims = this.values.isStatic(name) ? this.values.dimsOf(name) : undefined;
    if (!dims) {
      throw new OnnxImportError(
        `its ${what} "${name}" is computed in the graph rather than stored as a parameter, which the submission format cannot express`,
        node,
      );
    }
    return dims;
  }

  private hasInput(node: OnnxNode, index: number): boolean {
    return (node.inputs[index] ?? '') !== '';
  }

  private conv(node: OnnxNode, shape: Shape): Conv2dLayer {
    const dims = this.weight(node, 1, 'weight');
    const [out, perGroup, kh, kw] = dims;
    if (dims.length !== 4 || out === undefined || perGroup === undefined) {
      throw new OnnxImportError(
        `it is a ${dims.length - 2}-D convolution; the submission format has Conv2d only`,
        node,
      );
    }
    const kernel: Size2d = kh === kw ? (kh ?? 1) : [kh ?? 1, kw ?? 1];
    const groups = intAttribute(node, 'group') ?? 1;
    const stride = pairAttribute(node, 'strides');
    const dilation = pairAttribute(node, 'dilations');
    const padding = this.convPadding(
      node,
      [kh ?? 1, kw ?? 1],
      stride ?? [1, 1],
      dilation ?? [1, 1],
    );
    const layer: Conv2dLayer = {
      type: 'Conv2d',
      in_channels: shape[0] ?? perGroup * groups,
      out_channels: out,
      kernel_size: kernel,
    };
    if (stride && !isOne(stride)) layer.stride = collapse(stride);
    if (padding !== 0) layer.padding = padding;
    if (dilation && !isOne(dilation)) layer.dilation = collapse(dilation);
    if (groups !== 1) layer.groups = groups;
    if (!this.hasInput(node, 2)) layer.bias = false;
    else this.weight(node, 2, 'bias');
    if (this.looksFolded(node)) this.foldedConvs.push(node);
    return layer;
  }

  /**
   * PyTorch names a convolution's stored weight after the module ("features.0.weight"). When the
   * eval-mode export folds a BatchNorm into it, the folded weight is a new tensor the exporter
   * names itself ("onnx::Conv_42"): that is the tell.
   */
  private looksFolded(node: OnnxNode): boolean {
    const name = node.inputs[1] ?? '';
    return this.graph.producerName === 'pytorch' && /^onnx::/.test(name);
  }

  private convPadding(
    node: OnnxNode,
    kernel: [number, number],
    stride: [number, number],
    dilation: [number, number],
  ): ConvPadding {
    const autoPad = stringAttribute(node, 'auto_pad') ?? 'NOTSET';
    const unitStride = stride[0] === 1 && stride[1] === 1;
    if (autoPad === 'VALID') return 0;
    if (autoPad === 'SAME_UPPER' && unitStride) return 'same';
    if (autoPad !== 'NOTSET') {
      throw new OnnxImportError(
        `auto_pad="${autoPad}" has no Conv2d equivalent here; Conv2d pads both sides equally, or "same" at stride 1`,
        node,
      );
    }
    const [top = 0, left = 0, bottom = 0, right = 0] = intsAttribute(node, 'pads') ?? [];
    if (top === bottom && left === right) return top === left ? top : [top, left];
    // PyTorch's padding="same" with an even kernel pads one more row/column after than before.
    const totalH = dilation[0] * (kernel[0] - 1);
    const totalW = dilation[1] * (kernel[1] - 1);
    const same =
      unitStride &&
      top + bottom === totalH &&
      left + right === totalW &&
      top === Math.floor(totalH / 2) &&
      left === Math.floor(totalW / 2);
    if (same) return 'same';
    throw new OnnxImportError(
      `its padding is asymmetric (top ${top}, left ${left}, bottom ${bottom}, right ${right}); Conv2d pads both sides equally, or "same" at stride 1. Pad symmetrically in the model`,
      node,
    );
  }

  private requireFlat(node: OnnxNode, shape: Shape): void {
    if (shape.length !== 1) {
      throw new OnnxImportError(
        `a Linear layer receives a ${formatShape(shape)} tensor and acts on its last dimension only; the submission format's Linear takes flat features, so flatten first (nn.Flatten() or torch.flatten(x, 1))`,
        node,
      );
    }
  }

  private gemm(node: OnnxNode, shape: Shape): LinearLayer {
    this.requireFlat(node, shape);
    const alpha = floatAttribute(node, 'alpha') ?? 1;
    const beta = floatAttribute(node, 'beta') ?? 1;
    if ((intAttribute(node, 'transA') ?? 0) !== 0 || alpha !== 1 || beta !== 1) {
      throw new OnnxImportError(
        'it is not a plain Linear layer (it transposes its input or scales the product); the submission format has nn.Linear only',
        node,
      );
    }
    const transB = (intAttribute(node, 'transB') ?? 0) === 1;
    const [d0 = 0, d1 = 0] = this.weight(node, 1, 'weight');
    const [inFeatures, outFeatures] = transB ? [d1, d0] : [d0, d1];
    const layer: LinearLayer = {
      type: 'Linear',
      in_features: inFeatures,
      out_features: outFeatures,
    };
    if (!this.hasInput(node, 2)) layer.bias = false;
    else this.checkBias(node, 2, outFeatures);
    return layer;
  }

  private checkBias(node: OnnxNode, index: number, features: number): void {
    const dims = this.weight(node, index, 'bias');
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== features) {
      throw new OnnxImportError(
        `its bias has ${count} values for ${features} outputs; a Linear layer has one bias per output`,
        node,
      );
    }
  }

  /** nn.Linear without bias exports as MatMul; with bias in some exports as MatMul then Add. */
  private matMul(node: OnnxNode, shape: Shape): Step {
    this.requireFlat(node, shape);
    const dims = this.weight(node, 1, 'weight');
    const [inFeatures = 0, outFeatures = 0] = dims;
    if (dims.length !== 2) {
      throw new OnnxImportError(
        `it multiplies by a ${dims.length}-D tensor; only a Linear layer's 2-D weight maps to the submission format`,
        node,
      );
    }
    const product = node.outputs[0] ?? '';
    const [add, other] = this.usersOf(product);
    const biasIndex = add?.inputs.findIndex((i) => i !== product && this.values.isStatic(i)) ?? -1;
    const withBias =
      add !== undefined &&
      other === undefined &&
      add.opType === 'Add' &&
      this.values.dynamicInputs(add).length === 1 &&
      biasIndex >= 0;
    const layer: LinearLayer = {
      type: 'Linear',
      in_features: inFeatures,
      out_features: outFeatures,
    };
    this.visited.add(node);
    if (!withBias) {
      layer.bias = false;
      return {
        layers: [layer],
        tensor: product,
        shape: this.shapeAfter(node, [layer], shape, product),
      };
    }
    this.visited.add(add);
    this.checkBias(add, biasIndex, outFeatures);
    const to = add.outputs[0] ?? '';
    return { layers: [layer], tensor: to, shape: this.shapeAfter(add, [layer], shape, to) };
  }

  private pool(node: OnnxNode): Pool2dLayer {
    const kernel = pairAttribute(node, 'kernel_shape');
    if (!kernel) throw new OnnxImportError('it has no kernel_shape', node);
    const type = node.opType === 'MaxPool' ? 'MaxPool2d' : 'AvgPool2d';
    if ((intAttribute(node, 'ceil_mode') ?? 0) !== 0) {
      throw new OnnxImportError(
        `${type}(ceil_mode=True) is not in the submission format; use the default ceil_mode=False (pad the input if the sizes do not divide)`,
        node,
      );
    }
    const dilation = pairAttribute(node, 'dilations');
    if (dilation && !isOne(dilation)) {
      throw new OnnxImportError(`a dilated ${type} is not in the submission format`, node);
    }
    if ((node.outputs[1] ?? '') !== '') {
      throw new OnnxImportError(
        'MaxPool2d(return_indices=True) is not in the submission format',
        node,
      );
    }
    const [top = 0, left = 0, bottom = 0, right = 0] = intsAttribute(node, 'pads') ?? [];
    if (top !== bottom || left !== right) {
      throw new OnnxImportError(
        `its padding is asymmetric (top ${top}, left ${left}, bottom ${bottom}, right ${right}); ${type} pads both sides equally`,
        node,
      );
    }
    if (
      type === 'AvgPool2d' &&
      (top > 0 || left > 0) &&
      (intAttribute(node, 'count_include_pad') ?? 0) === 0
    ) {
      throw new OnnxImportError(
        'AvgPool2d(count_include_pad=False) is not in the submission format, whose padded AvgPool2d counts the zeros, as PyTorch does by default',
        node,
      );
    }
    const stride = pairAttribute(node, 'strides') ?? [1, 1];
    const layer: Pool2dLayer = { type, kernel_size: collapse(kernel) };
    if (stride[0] !== kernel[0] || stride[1] !== kernel[1]) layer.stride = collapse(stride);
    if (top !== 0 || left !== 0) layer.padding = collapse([top, left]);
    return layer;
  }

  /**
   * PyTorch 1.13 exports AvgPool2d as a zero Pad followed by an unpadded AveragePool, so that
   * the padding counts in the average (count_include_pad=True): that pair is one AvgPool2d.
   */
  private pad(node: OnnxNode, shape: Shape): Step {
    const pads =
      intsAttribute(node, 'pads') ??
      (this.hasInput(node, 1) ? this.values.valueOf(node.inputs[1] ?? '') : undefined);
    const mode = stringAttribute(node, 'mode') ?? 'constant';
    const fill = this.hasInput(node, 2) ? this.values.scalarOf(node.inputs[2] ?? '') : 0;
    const refuse = (): OnnxImportError => new OnnxImportError(unsupportedReason(node), node);
    if (pads?.length !== 8 || mode !== 'constant' || fill !== 0) throw refuse();
    const [n0, c0, top, left, n1, c1, bottom, right] = pads;
    if (n0 || c0 || n1 || c1 || top !== bottom || left !== right) throw refuse();
    this.visited.add(node);
    const out = node.outputs[0] ?? '';
    if (!top && !left) {
      return { layers: [], tensor: out, shape: this.shapeAfter(node, [], shape, out) };
    }
    const [pool, other] = this.usersOf(out);
    const poolPads = pool ? (intsAttribute(pool, 'pads') ?? [0, 0, 0, 0]) : [];
    if (pool?.opType !== 'AveragePool' || other || poolPads.some((p) => p !== 0)) throw refuse();
    this.visited.add(pool);
    const layer = this.pool(pool);
    layer.padding = collapse([top ?? 0, left ?? 0]);
    const to = pool.outputs[0] ?? '';
    return { layers: [layer], tensor: to, shape: this.shapeAfter(pool, [layer], shape, to) };
  }

  /** x.mean((2, 3)) over a C×H×W tensor: global average pooling, flattened unless keepdim. */
  private reduceMean(node: OnnxNode, shape: Shape): Step {
    const axes =
      intsAttribute(node, 'axes') ??
      (this.hasInput(node, 1) ? this.values.valueOf(node.inputs[1] ?? '') : undefined);
    const spatial = new Set(axes?.map((a) => (a < 0 ? a + 4 : a)));
    if (shape.length !== 3 || spatial.size !== 2 || !spatial.has(2) || !spatial.has(3)) {
      throw new OnnxImportError(
        'a mean other than over the height and width of a C×H×W tensor is not in the submission format; global average pooling (x.mean((2, 3)), nn.AdaptiveAvgPool2d(1)) is',
        node,
      );
    }
    this.visited.add(node);
    const layers: Layer[] = [{ type: 'AdaptiveAvgPool2d', output_size: 1 }];
    if ((intAttribute(node, 'keepdims') ?? 1) === 0) layers.push({ type: 'Flatten' });
    const to = node.outputs[0] ?? '';
    return { layers, tensor: to, shape: this.shapeAfter(node, layers, shape, to) };
  }

  /** Only the reshape that flattens, x.view(x.size(0), -1), is a layer of the format. */
  private reshape(node: OnnxNode, shape: Shape): Layer | undefined {
    const target = this.values.valueOf(node.inputs[1] ?? '');
    const features = shape.reduce((a, b) => a * b, 1);
    const full = [this.batch, ...shape];
    if (target) {
      const resolved = target.map((v, i) => (v === 0 ? full[i] : v));
      const batchOk = (v: number | undefined): boolean =>
        v === -1 || v === this.batch || (Number.isNaN(v) && Number.isNaN(this.batch));
      const [first, second] = resolved;
      if (
        resolved.length === 2 &&
        ((batchOk(first) && (second === -1 || second === features)) ||
          (first === -1 && second === features))
      ) {
        return { type: 'Flatten' };
      }
      const same = resolved.length === full.length && resolved.every((v, i) => v === full[i]);
      if (same) return undefined;
    }
    const what = target ? `to (${target.join(', ')})` : 'to a shape computed in the graph';
    throw new OnnxImportError(
      `it reshapes the ${formatShape(shape)} tensor ${what}; the only reshape in the submission format is flattening each image, x.view(x.size(0), -1) or nn.Flatten()`,
      node,
    );
  }

  private batchNorm(node: OnnxNode, shape: Shape): Layer {
    const [channels = 0] = this.weight(node, 1, 'scale (weight)');
    this.weight(node, 2, 'bias');
    const eps = floatAttribute(node, 'epsilon') ?? TORCH_BN_EPS;
    if (Math.abs(eps - TORCH_BN_EPS) > 1e-9) {
      this.notes.push({
        level: 'warning',
        node: nodeRef(node),
        message: `${describeNode(node)}: BatchNorm eps is ${roundFloat32(eps)}; the submission format has no eps, and the grader uses PyTorch's default 1e-5.`,
      });
    }
    const momentum = floatAttribute(node, 'momentum');
    if (momentum !== undefined && Math.abs(momentum - 0.9) > 1e-6) {
      this.notes.push({
        level: 'warning',
        node: nodeRef(node),
        message: `${describeNode(node)}: BatchNorm momentum is ${roundFloat32(1 - momentum)} in PyTorch's terms; the submission format has no momentum, and the grader uses PyTorch's default 0.1.`,
      });
    }
    return shape.length === 3
      ? { type: 'BatchNorm2d', num_features: channels }
      : { type: 'BatchNorm1d', num_features: channels };
  }

  private dropout(node: OnnxNode): Layer {
    this.sawDropout = true;
    const ratio = this.hasInput(node, 1)
      ? this.values.scalarOf(node.inputs[1] ?? '')
      : (floatAttribute(node, 'ratio') ?? 0.5);
    if (ratio === undefined) {
      throw new OnnxImportError('its dropout ratio is computed in the graph', node);
    }
    const p = roundFloat32(ratio);
    return p === 0.5 ? { type: 'Dropout' } : { type: 'Dropout', p };
  }

  /**
   * Activations PyTorch 1.x exports as small subgraphs that read their input twice:
   * SiLU as x * Sigmoid(x), GELU (before opset 20) as x * 0.5 * (1 + Erf(x / √2)).
   * `a` and `b` are two nodes reading `tensor`; nothing is changed.
   */
  private matchActivation(tensor: string, a: OnnxNode, b: OnnxNode): Activation | undefined {
    const only = (t: string): OnnxNode | undefined => {
      const list = this.usersOf(t);
      return list.length === 1 ? list[0] : undefined;
    };
    const out = (n: OnnxNode): string => n.outputs[0] ?? '';
    const reads = (n: OnnxNode | undefined, ...inputs: string[]): boolean =>
      n !== undefined && inputs.every((i) => n.inputs.includes(i));
    const constant = (n: OnnxNode, expected: number): boolean =>
      n.inputs.some((i) => {
        const v = this.values.isStatic(i) ? this.values.scalarOf(i) : undefined;
        return v !== undefined && Math.abs(v - expected) < 1e-4;
      });
    for (const [first, second] of [
      [a, b],
      [b, a],
    ] as const) {
      if (first.opType === 'Sigmoid' && second.opType === 'Mul') {
        if (reads(second, tensor, out(first)) && only(out(first)) === second) {
          return { type: 'SiLU', nodes: [first, second] };
        }
      }
      const scaled =
        (first.opType === 'Div' && constant(first, Math.SQRT2)) ||
        (first.opType === 'Mul' && constant(first, Math.SQRT1_2));
      if (!scaled || second.opType !== 'Mul') continue;
      const erf = only(out(first));
      const plusOne = erf?.opType === 'Erf' ? only(out(erf)) : undefined;
      if (!erf || plusOne?.opType !== 'Add' || !constant(plusOne, 1)) continue;
      const bracket = out(plusOne);
      const next = only(out(second));
      const halfLast =
        reads(second, tensor, bracket) && next?.opType === 'Mul' && constant(next, 0.5);
      const halfFirst =
        constant(second, 0.5) && next?.opType === 'Mul' && reads(next, out(second), bracket);
      if (next && (halfLast || halfFirst)) {
        return { type: 'GELU', nodes: [first, erf, plusOne, second, next] };
      }
    }
    return undefined;
  }

  private applyActivation(activation: Activation, shape: Shape): Step {
    for (const n of activation.nodes) this.visited.add(n);
    const last = activation.nodes[activation.nodes.length - 1] as OnnxNode;
    const to = last.outputs[0] ?? '';
    const layers: Layer[] = [{ type: activation.type }];
    return { layers, tensor: to, shape: this.shapeAfter(last, layers, shape, to) };
  }

  /** Two branches from one tensor, joined again by an Add: Residual(body, shortcut). */
  private residual(tensor: string, shape: Shape, a: Start, b: Start): Step {
    const branch = (start: Start): WalkEnd =>
      'node' in start && this.values.dynamicInputs(start.node).length >= 2
        ? { layers: [], tensor, shape, merge: start.node }
        : this.walk(tensor, shape, start);
    const first = branch(a);
    const second = branch(b);
    const merge = first.merge;
    if (!merge || merge !== second.merge) {
      const ends = [first, second].map((e) =>
        e.merge ? describeNode(e.merge) : `the end of the graph ("${e.tensor}")`,
      );
      throw new OnnxImportError(
        `the two branches that start from its input "${tensor}" do not meet again at one node (one reaches ${ends[0]}, the other ${ends[1]}); the submission format only has branches that are added back together (a residual block)`,
        startNode(a).index < startNode(b).index ? startNode(a) : startNode(b),
      );
    }
    this.visited.add(merge);
    if (merge.opType !== 'Add') {
      const hint =
        merge.opType === 'Concat'
          ? 'concatenating branches (torch.cat) is not in the submission format'
          : `joining two branches with ${merge.opType} is not in the submission format`;
      throw new OnnxImportError(
        `${hint}; it only joins two branches by adding them, x + f(x) (a residual block)`,
        merge,
      );
    }
    if (first.tensor === second.tensor) {
      throw new OnnxImportError(
        'it adds a tensor to itself; a residual block adds two different branches, x + f(x)',
        merge,
      );
    }
    if (formatShape(first.shape) !== formatShape(second.shape)) {
      throw new OnnxImportError(
        `it adds a ${formatShape(first.shape)} branch to a ${formatShape(second.shape)} one (broadcasting); a residual block's two branches must have the same shape`,
        merge,
      );
    }
    const [body, shortcut] =
      second.layers.length > first.layers.length ? [second, first] : [first, second];
    const layer: ResidualLayer =
      shortcut.layers.length === 0
        ? { type: 'Residual', body: body.layers }
        : { type: 'Residual', body: body.layers, shortcut: shortcut.layers };
    const to = merge.outputs[0] ?? '';
    return { layers: [layer], tensor: to, shape: this.shapeAfter(merge, [layer], shape, to) };
  }
}

/** Why a node has no layer, and what the format has instead. */
function unsupportedReason(node: OnnxNode): string {
  const hint = UNSUPPORTED_HINTS[node.opType];
  const arithmetic = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt'].includes(node.opType)
    ? `arithmetic on the activations (${node.opType}) other than adding a residual branch is not in the submission format`
    : undefined;
  const why = hint ?? arithmetic ?? `${node.opType} has no counterpart in the submission format`;
  return `${why}. The format supports ${SUPPORTED_LAYERS}`;
}

function pairAttribute(node: OnnxNode, name: string): [number, number] | undefined {
  const values = intsAttribute(node, name);
  if (!values) return undefined;
  const [h, w] = values;
  if (values.length !== 2 || h === undefined || w === undefined) {
    throw new OnnxImportError(
      `its ${name} has ${values.length} values; only 2-D layers (two values) are in the submission format`,
      node,
    );
  }
  return [h, w];
}

function isOne(pair: [number, number]): boolean {
  return pair[0] === 1 && pair[1] === 1;
}

function collapse(pair: [number, number]): Size2d {
  return pair[0] === pair[1] ? pair[0] : pair;
}

/** ONNX stores float attributes as float32: 0.2 arrives as 0.20000000298…; keep 7 digits. */
function roundFloat32(value: number): number {
  return Number(value.toPrecision(7));
}
