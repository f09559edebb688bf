/**
 * Decodes an ONNX file (protobuf bytes) into the small graph model the mapper reads.
 * The schema is ONNX's own onnx.proto compiled for @bufbuild/protobuf (the onnx-buf package):
 * pure JavaScript, so this runs in a browser as well as in Node.
 */

import { fromBinary } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  ModelProtoSchema,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from 'onnx-buf';
import { checkOnnxBounds } from './bounds.js';
import { OnnxImportError } from './errors.js';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './types.js';

/** Tensors up to this many elements have their values decoded: shapes, scalars, axes. */
const MAX_DECODED_ELEMENTS = 64;

export function readOnnxModel(bytes: Uint8Array): OnnxGraph {
  // Counted on the wire first: what the bytes decode to must stay small too.
  checkOnnxBounds(bytes);
  let model: ReturnType<typeof fromBinary<typeof ModelProtoSchema>>;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new OnnxImportError(
      `the file is not an ONNX model: it could not be decoded as ONNX's protobuf format (${detail}). Export the model with torch.onnx.export(model, torch.zeros(1, 3, 32, 32), "model.onnx")`,
    );
  }
  const graph = model.graph;
  if (!graph || graph.node.length === 0) {
    throw new OnnxImportError(
      'the file holds no ONNX graph (no nodes); it is not a model exported with torch.onnx.export',
    );
  }
  const opset =
    model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0n;
  const initializers = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer) initializers.set(tensor.name, readTensor(tensor));
  const nodes: OnnxNode[] = graph.node.map((node, index) => ({
    index,
    name: node.name,
    opType: node.opType,
    inputs: [...node.input],
    outputs: [...node.output],
    attributes: new Map(node.attribute.map((a) => [a.name, readAttribute(a)])),
  }));
  return {
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    opset: Number(opset),
    nodes,
    initializers,
    inputs: graph.input.filter((v) => !initializers.has(v.name)).map(readValueInfo),
    outputs: graph.output.map(readValueInfo),
    valueInfo: new Map(graph.valueInfo.map((v) => [v.name, readValueInfo(v)])),
  };
}

function readValueInfo(info: ValueInfoProto): OnnxValueInfo {
  const type = info.type?.value;
  if (type?.case !== 'tensorType' || !type.value.shape) return { name: info.name, dims: undefined };
  const dims = type.value.shape.dim.map((d) => {
    if (d.value.case === 'dimValue') return Number(d.value.value);
    if (d.value.case === 'dimParam') return d.value.value;
    return '?';
  });
  return { name: info.name, dims };
}

function readAttribute(attribute: AttributeProto): OnnxAttribute {
  const Type = AttributeProto_AttributeType;
  switch (attribute.type) {
    case Type.FLOAT:
      return { kind: 'float', value: attribute.f };
    case Type.INT:
      return { kind: 'int', value: Number(attribute.i) };
    case Type.STRING:
      return { kind: 'string', value: new TextDecoder().decode(attribute.s) };
    case Type.FLOATS:
      return { kind: 'floats', value: [...attribute.floats] };
    case Type.INTS:
      return { kind: 'ints', value: attribute.ints.map(Number) };
    case Type.TENSOR:
      return attribute.t ? { kind: 'tensor', value: readTensor(attribute.t) } : { kind: 'other' };
    default:
      return { kind: 'other' };
  }
}

function readTensor(tensor: TensorProto): OnnxTensor {
  const dims = tensor.dims.map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const values = count <= MAX_DECODED_ELEMENTS ? tensorValues(tensor, count) : undefined;
  return { name: tensor.name, dims, values };
}

/** The values of a small numeric tensor, from its typed field or its little-endian raw bytes. */
function tensorValues(tensor: TensorProto, count: number): number[] | undefined {
  const T = TensorProto_DataType;
  if (tensor.floatData.length > 0) return [...tensor.floatData];
  if (tensor.doubleData.length > 0) return [...tensor.doubleData];
  if (tensor.int64Data.length > 0) return tensor.int64Data.map(Number);
  if (tensor.int32Data.length > 0) return [...tensor.int32Data];
  const raw = tensor.rawData;
  if (raw.length === 0) return count === 0 ? [] : undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read: Partial<Record<number, [number, (offset: number) => number]>> = {
    [T.FLOAT]: [4, (o) => view.getFloat32(o, true)],
    [T.DOUBLE]: [8, (o) => view.getFloat64(o, true)],
    [T.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
    [T.INT32]: [4, (o) => view.getInt32(o, true)],
    [T.BOOL]: [1, (o) => view.getUint8(o)],
  };
  const reader = read[tensor.dataType];
  if (!reader || raw.byteLength !== reader[0] * count) return undefined;
  const [size, get] = reader;
  return Array.from({ length: count }, (_, i) => get(i * size));
}
