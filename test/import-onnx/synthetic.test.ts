/**
 * Graphs PyTorch 1.13 cannot write but other exporters and later PyTorch versions do (the Gelu op
 * of opset 20, asymmetric "same" pads, MatMul + Add, a dynamic batch axis), built node by node
 * with the ONNX schema, plus bytes that are no model at all.
 */

import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/import-onnx/index.js';
import { analyzeLayers } from '../../src/spec/index.js';

type Attr = number | number[] | string;
interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
}

function tensor(name: string, dims: number[], values?: number[], int64 = false) {
  const count = dims.reduce((a, b) => a * b, 1);
  const data = values ?? new Array<number>(count).fill(0.5);
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: int64 ? TensorProto_DataType.INT64 : TensorProto_DataType.FLOAT,
    ...(int64 ? { int64Data: data.map(BigInt) } : { floatData: data }),
  });
}

function valueInfo(name: string, dims: Array<number | string>) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value:
                  typeof d === 'number'
                    ? { case: 'dimValue', value: BigInt(d) }
                    : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

function attribute(name: string, value: Attr) {
  const T = AttributeProto_AttributeType;
  if (typeof value === 'string') {
    return create(AttributeProtoSchema, {
      name,
      type: T.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (Array.isArray(value)) {
    return create(AttributeProtoSchema, { name, type: T.INTS, ints: value.map(BigInt) });
  }
  return Number.isInteger(value)
    ? create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(value) })
    : create(AttributeProtoSchema, { name, type: T.FLOAT, f: value });
}

function onnxModel(options: {
  nodes: NodeSpec[];
  initializers: ReturnType<typeof tensor>[];
  input?: Array<number | string>;
  output: string;
  opset?: number;
}): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: 'synthetic',
    node: options.nodes.map((n, i) =>
      create(NodeProtoSchema, {
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ),
    initializer: options.initializers,
    input: [valueInfo('x', options.input ?? [1, 3, 32, 32])],
    output: [valueInfo(options.output, [1, 10])],
  });
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: 'synthetic',
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(options.opset ?? 17) }),
      ],
      graph,
    }),
  );
}

/** conv(3→4, k, pads) → ReLU → GlobalAveragePool → Flatten → Gemm(4→10). */
function convNet(kernel: number, pads: number[], activation: NodeSpec = relu('c', 'a')) {
  return onnxModel({
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', 'w', 'b'],
        outputs: ['c'],
        attrs: { kernel_shape: [kernel, kernel], pads },
      },
      activation,
      { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: [
      tensor('w', [4, 3, kernel, kernel]),
      tensor('b', [4]),
      tensor('fw', [10, 4]),
      tensor('fb', [10]),
    ],
    output: 'y',
    opset: 20,
  });
}

function relu(from: string, to: string): NodeSpec {
  return { op: 'Relu', inputs: [from], outputs: [to] };
}

describe('graphs from other exporters', () => {
  it('reads MatMul + Add as one Linear with its bias', () => {
    // Prepare
    const bytes = onnxModel({
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'], attrs: { axis: 1 } },
        { op: 'MatMul', inputs: ['f', 'w'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
      ],
      initializers: [tensor('w', [3072, 10]), tensor('b', [10])],
      output: 'y',
    });
    // Act
    const result = importOnnx(bytes);
    // Assess
    if (!result.ok) throw new Error(result.error.message);
    expect(result.layers).toEqual([
      { type: 'Flatten' },
      { type: 'Linear', in_features: 3072, out_features: 10 },
    ]);
    expect(analyzeLayers(result.layers, '/layers').params).toBe(30_730);
  });

  it('reads the Gelu op of opset 20, and refuses its tanh approximation', () => {
    // Act
    const exact = importOnnx(
      convNet(3, [1, 1, 1, 1], { op: 'Gelu', inputs: ['c'], outputs: ['a'] }),
    );
    const tanh = importOnnx(
      convNet(3, [1, 1, 1, 1], {
        op: 'Gelu',
        inputs: ['c'],
        outputs: ['a'],
        attrs: { approximate: 'tanh' },
      }),
    );
    // Assess
    if (!exact.ok) throw new Error(exact.error.message);
    expect(exact.layers[1]).toEqual({ type: 'GELU' });
    expect(tanh.ok).toBe(false);
    if (!tanh.ok)
      expect(tanh.error.message).toContain(
        'GELU(approximate="tanh") is not in the submission format',
      );
  });

  it('maps the asymmetric pads of padding="same" with an even kernel to "same"', () => {
    // Act
    const result = importOnnx(convNet(4, [1, 1, 2, 2]));
    // Assess
    if (!result.ok) throw new Error(result.error.message);
    expect(result.layers[0]).toEqual({
      type: 'Conv2d',
      in_channels: 3,
      out_channels: 4,
      kernel_size: 4,
      padding: 'same',
    });
  });

  it('refuses other asymmetric pads, naming the node', () => {
    // Act
    const result = importOnnx(convNet(3, [0, 0, 1, 1]));
    // Assess
    expect(result).toEqual({
      ok: false,
      error: {
        node: { index: 0, name: 'Conv_0', opType: 'Conv' },
        message: expect.stringContaining(
          'ONNX node #0 "Conv_0" (Conv): its padding is asymmetric (top 0, left 0, bottom 1, right 1)',
        ),
      },
    });
  });

  it('follows x.view(x.size(0), -1) on a dynamic batch axis to a Flatten', () => {
    // Prepare
    const bytes = onnxModel({
      input: ['batch', 3, 32, 32],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'target'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      initializers: [
        tensor('zero', [], [0], true),
        tensor('axes', [1], [0], true),
        tensor('minus1', [1], [-1], true),
        tensor('w', [10, 3072]),
        tensor('b', [10]),
      ],
      output: 'y',
    });
    // Act
    const result = importOnnx(bytes);
    // Assess
    if (!result.ok) throw new Error(result.error.message);
    expect(result.layers).toEqual([
      { type: 'Flatten' },
      { type: 'Linear', in_features: 3072, out_features: 10 },
    ]);
  });
});

describe('bytes that are not a model', () => {
  it.each([
    ['an empty file', new Uint8Array(), 'the file holds no ONNX graph'],
    [
      'a JSON submission',
      new TextEncoder().encode('{"assignment": "cifar10-conv"}'),
      'not an ONNX model',
    ],
  ])('%s gets a sentence, not a throw', (_, bytes, says) => {
    // Act
    const result = importOnnx(bytes);
    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain(says);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        // Act
        const result = importOnnx(bytes);
        // Assess
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300, seed: 14 },
    );
  });
});

/** A protobuf length-delimited field: tag, length, payload. */
function lenField(field: number, payload: Uint8Array): Uint8Array {
  const length: number[] = [];
  let rest = payload.length;
  do {
    length.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
    rest >>>= 7;
  } while (rest > 0);
  const out = new Uint8Array(1 + length.length + payload.length);
  out[0] = (field << 3) | 2;
  out.set(length, 1);
  out.set(payload, 1 + length.length);
  return out;
}

/** A ModelProto whose graph holds `count` copies of one GraphProto field (empty messages). */
function graphOfEmpty(field: number, count: number): Uint8Array {
  const one = lenField(field, new Uint8Array());
  const graph = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) graph.set(one, i * one.length);
  return lenField(7, graph);
}

describe('hostile files get a sentence, bounded in time and memory', () => {
  it('refuses a tensor with two producers instead of walking in circles', () => {
    // Prepare: Relu_1 writes "a", which Relu_0 already makes, and reads it too.
    const bytes = onnxModel({
      nodes: [relu('x', 'a'), relu('a', 'a'), { op: 'Flatten', inputs: ['a'], outputs: ['y'] }],
      initializers: [],
      output: 'y',
    });
    // Act
    const result = importOnnx(bytes);
    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toBe(
        'ONNX node #1 "Relu_1" (Relu): it writes tensor "a", which ONNX node #0 "Relu_0" (Relu) already makes; an ONNX graph gives every tensor exactly one producer, so this file was not written by torch.onnx.export',
      );
    }
  });

  it.each([
    { what: 'nodes', field: 1, count: 20_001, says: 'more than 20,000 nodes' },
    { what: 'value_info entries', field: 13, count: 40_001, says: 'more than 40,000 graph inputs' },
    { what: 'initializers', field: 5, count: 20_001, says: 'more than 20,000 initializers' },
  ])(
    'refuses more $what than any CIFAR-10 network has, before decoding them',
    ({ field, count, says }) => {
      // Act
      const result = importOnnx(graphOfEmpty(field, count));
      // Assess
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.message).toContain(says);
    },
  );

  it('refuses a shape with more dimensions than a tensor can have', () => {
    // Prepare
    const bytes = onnxModel({
      nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'] }],
      initializers: [],
      input: new Array<number>(17).fill(1),
      output: 'y',
    });
    // Act
    const result = importOnnx(bytes);
    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('more than 16 dimensions in a shape');
  });

  it('still imports every real export in the fixtures', async () => {
    // Prepare
    const { readFile, readdir } = await import('node:fs/promises');
    const dir = new URL('../fixtures/import-onnx/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.onnx'));
    // Act
    const refusedForBounds = [];
    for (const file of files) {
      const result = importOnnx(new Uint8Array(await readFile(new URL(file, dir))));
      if (!result.ok && /before decoding|malformed/.test(result.error.message))
        refusedForBounds.push(file);
    }
    // Assess
    expect(files.length).toBeGreaterThan(10);
    expect(refusedForBounds).toEqual([]);
  });
});
