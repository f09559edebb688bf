/**
 * Values of the graph's static tensors: initializers, Constant nodes, and the shape arithmetic
 * (Shape → Gather → Unsqueeze → Concat) PyTorch emits for `x.view(x.size(0), -1)`.
 */

import type { Shape } from '../spec/types.js';
import { describeNode, OnnxImportError } from './errors.js';
import type { OnnxGraph, OnnxNode } from './types.js';

/** Ops that read only a tensor's shape, never its values: their outputs are static. */
export const SHAPE_OPS = new Set(['Shape', 'Size']);

export class StaticValues {
  /** Tensors computable without the input image's values. */
  readonly staticTensors = new Set<string>();
  readonly producers = new Map<string, OnnxNode>();

  constructor(
    private readonly graph: OnnxGraph,
    /** Batch size the model was exported with; NaN when the batch axis is dynamic. */
    private readonly batch: number,
    /** Shapes (without the batch) of the data tensors walked so far. */
    private readonly shapes: Map<string, Shape>,
  ) {
    for (const name of graph.initializers.keys()) this.staticTensors.add(name);
    // Nodes are topologically sorted, so one pass settles every tensor.
    const inputs = new Set(graph.inputs.map((i) => i.name));
    for (const node of graph.nodes) {
      for (const output of node.outputs) {
        if (output === '') continue;
        // One producer per tensor is ONNX's rule; a second one would send the walk in circles.
        const earlier = this.producers.get(output);
        if (earlier || inputs.has(output) || graph.initializers.has(output)) {
          const first = earlier
            ? describeNode(earlier)
            : 'the graph itself (an input or initializer)';
          throw new OnnxImportError(
            `it writes tensor "${output}", which ${first} already makes; an ONNX graph gives every tensor exactly one producer, so this file was not written by torch.onnx.export`,
            node,
          );
        }
        this.producers.set(output, node);
      }
      const read = node.inputs.filter((i) => i !== '');
      if (SHAPE_OPS.has(node.opType) || read.every((i) => this.staticTensors.has(i))) {
        for (const output of node.outputs) this.staticTensors.add(output);
      }
    }
  }

  isStatic(tensor: string): boolean {
    return this.staticTensors.has(tensor);
  }

  /** The inputs of a node that carry data (depend on the image), without repeats. */
  dynamicInputs(node: OnnxNode): string[] {
    return [...new Set(node.inputs.filter((i) => i !== '' && !this.staticTensors.has(i)))];
  }

  /** A static tensor's values as a flat list, or undefined when they cannot be worked out. */
  valueOf(tensor: string, depth = 0): number[] | undefined {
    if (depth > 32) return undefined;
    const initializer = this.graph.initializers.get(tensor);
    if (initializer) return initializer.values;
    const node = this.producers.get(tensor);
    if (!node || !this.staticTensors.has(tensor)) return undefined;
    const input = (i: number): number[] | undefined => {
      const name = node.inputs[i];
      return name === undefined || name === '' ? undefined : this.valueOf(name, depth + 1);
    };
    switch (node.opType) {
      case 'Constant':
        return constantNodeValue(node);
      case 'Shape': {
        const shape = this.shapes.get(node.inputs[0] ?? '');
        if (!shape) return undefined;
        const full = [this.batch, ...shape];
        const start = intAttribute(node, 'start') ?? 0;
        const end = intAttribute(node, 'end') ?? full.length;
        return full.slice(start, end);
      }
      case 'Gather': {
        const data = input(0);
        const indices = input(1);
        if (!data || !indices || (intAttribute(node, 'axis') ?? 0) !== 0) return undefined;
        const picked = indices.map((i) => data[i < 0 ? data.length + i : i]);
        return picked.every((v) => v !== undefined) ? (picked as number[]) : undefined;
      }
      case 'Unsqueeze':
      case 'Squeeze':
      case 'Cast':
      case 'Identity':
        return input(0);
      case 'Concat': {
        const parts = node.inputs.map((_, i) => input(i));
        return parts.every((p) => p !== undefined) ? (parts as number[][]).flat() : undefined;
      }
      case 'Mul':
      case 'Div':
      case 'Add':
      case 'Sub':
        return elementwise(node.opType, input(0), input(1));
      default:
        return undefined;
    }
  }

  /**
   * The dimensions of a stored parameter, also when the exporter reaches it through an Identity
   * (deduplicated initializers) or a Transpose (a bias-free Linear's weight without folding).
   */
  dimsOf(tensor: string, depth = 0): number[] | undefined {
    const initializer = this.graph.initializers.get(tensor);
    if (initializer) return initializer.dims;
    const node = this.producers.get(tensor);
    if (!node || depth > 32) return undefined;
    const source = node.inputs[0] ?? '';
    switch (node.opType) {
      case 'Identity':
      case 'Cast':
        return this.dimsOf(source, depth + 1);
      case 'Transpose': {
        const dims = this.dimsOf(source, depth + 1);
        const perm = intsAttribute(node, 'perm') ?? dims?.map((_, i) => dims.length - 1 - i);
        const permuted = perm?.map((p) => dims?.[p]);
        return permuted?.every((d) => d !== undefined) ? (permuted as number[]) : undefined;
      }
      case 'Constant': {
        const value = node.attributes.get('value');
        return value?.kind === 'tensor' ? value.value.dims : undefined;
      }
      default:
        return undefined;
    }
  }

  /** A static scalar (one element), e.g. the 1.4142 of GELU's erf form. */
  scalarOf(tensor: string): number | undefined {
    const values = this.valueOf(tensor);
    return values?.length === 1 ? values[0] : undefined;
  }
}

function constantNodeValue(node: OnnxNode): number[] | undefined {
  for (const [name, attribute] of node.attributes) {
    if (name === 'value' && attribute.kind === 'tensor') return attribute.value.values;
    if (name === 'value_float' && attribute.kind === 'float') return [attribute.value];
    if (name === 'value_int' && attribute.kind === 'int') return [attribute.value];
    if (name === 'value_floats' && attribute.kind === 'floats') return attribute.value;
    if (name === 'value_ints' && attribute.kind === 'ints') return attribute.value;
  }
  return undefined;
}

function elementwise(
  op: string,
  a: number[] | undefined,
  b: number[] | undefined,
): number[] | undefined {
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
  const n = Math.max(a.length, b.length);
  const at = (v: number[], i: number): number => (v.length === 1 ? (v[0] ?? 0) : (v[i] ?? 0));
  return Array.from({ length: n }, (_, i) => {
    const x = at(a, i);
    const y = at(b, i);
    if (op === 'Mul') return x * y;
    if (op === 'Add') return x + y;
    if (op === 'Sub') return x - y;
    return Math.trunc(x / y);
  });
}

export function intAttribute(node: OnnxNode, name: string): number | undefined {
  const a = node.attributes.get(name);
  return a?.kind === 'int' ? a.value : undefined;
}

export function intsAttribute(node: OnnxNode, name: string): number[] | undefined {
  const a = node.attributes.get(name);
  return a?.kind === 'ints' ? a.value : undefined;
}

export function floatAttribute(node: OnnxNode, name: string): number | undefined {
  const a = node.attributes.get(name);
  return a?.kind === 'float' ? a.value : undefined;
}

export function stringAttribute(node: OnnxNode, name: string): string | undefined {
  const a = node.attributes.get(name);
  return a?.kind === 'string' ? a.value : undefined;
}
