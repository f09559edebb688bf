/**
 * Bounds on what an ONNX file may hold, checked on the protobuf wire bytes before anything is
 * decoded. The byte cap alone does not bound memory: an empty NodeProto is two bytes, so 60 MB
 * decodes into 30 million objects. The counts here are far above any CIFAR-10 network a student
 * exports (hundreds of nodes) and far below what exhausts a browser tab.
 */

import { OnnxImportError } from './errors.js';

export const ONNX_LIMITS = {
  /** Nodes of the graph, its subgraphs and its functions together. */
  nodes: 20_000,
  initializers: 20_000,
  /** Graph inputs, outputs and value_info entries together. */
  valueInfos: 40_000,
  /** Per node. */
  nodeInputs: 256,
  nodeOutputs: 256,
  attributes: 256,
  /** Per tensor shape. */
  dims: 16,
  opsets: 64,
  functions: 256,
  /** Graphs inside attributes (If, Loop), and types inside types. */
  depth: 4,
} as const;

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

type Visit = (field: number, start: number, end: number) => void;

/** Calls `visit` for each length-delimited field in bytes[start, end); skips the others. */
function forEachLenField(bytes: Uint8Array, start: number, end: number, visit: Visit): void {
  let at = start;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= end) malformed(at);
      const byte = bytes[at] as number;
      at += 1;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    return malformed(at);
  };
  while (at < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === VARINT) varint();
    else if (wire === FIXED64) at += 8;
    else if (wire === FIXED32) at += 4;
    else if (wire === LEN) {
      const length = varint();
      if (length > end - at) malformed(at);
      visit(field, at, at + length);
      at += length;
    } else malformed(at);
    if (at > end) malformed(end);
  }
}

function malformed(at: number): never {
  throw new OnnxImportError(
    `the file is not an ONNX model: its protobuf bytes are malformed near byte ${at}. Export the model again with torch.onnx.export`,
  );
}

function tooMany(what: string, limit: number): never {
  throw new OnnxImportError(
    `the file holds more than ${limit.toLocaleString('en-US')} ${what}, more than any CIFAR-10 network exported with torch.onnx.export; it was refused before decoding`,
  );
}

/** Throws OnnxImportError when the file holds more than ONNX_LIMITS allows. */
export function checkOnnxBounds(bytes: Uint8Array): void {
  const totals = { nodes: 0, initializers: 0, valueInfos: 0, opsets: 0, functions: 0 };
  const count = (key: keyof typeof totals, what: string): void => {
    totals[key] += 1;
    if (totals[key] > ONNX_LIMITS[key]) tooMany(what, ONNX_LIMITS[key]);
  };

  const type = (start: number, end: number, depth: number): void => {
    if (depth > ONNX_LIMITS.depth) tooMany('nested types', ONNX_LIMITS.depth);
    // TypeProto: tensor_type 1 (shape 2 → dim 1), sequence 4, map 5 (value 2), optional 9 (elem 1).
    forEachLenField(bytes, start, end, (field, s, e) => {
      if (field === 1 || field === 8) {
        forEachLenField(bytes, s, e, (inner, ss, ee) => {
          if (inner !== 2) return;
          let dims = 0;
          forEachLenField(bytes, ss, ee, (dim) => {
            if (dim === 1 && ++dims > ONNX_LIMITS.dims)
              tooMany('dimensions in a shape', ONNX_LIMITS.dims);
          });
        });
      } else if (field === 4 || field === 9) {
        forEachLenField(bytes, s, e, (inner, ss, ee) => inner === 1 && type(ss, ee, depth + 1));
      } else if (field === 5) {
        forEachLenField(bytes, s, e, (inner, ss, ee) => inner === 2 && type(ss, ee, depth + 1));
      }
    });
  };

  const valueInfo = (start: number, end: number): void => {
    count('valueInfos', 'graph inputs, outputs and value_info entries');
    forEachLenField(bytes, start, end, (field, s, e) => field === 2 && type(s, e, 0));
  };

  const node = (start: number, end: number, depth: number): void => {
    count('nodes', 'nodes');
    let inputs = 0;
    let outputs = 0;
    let attributes = 0;
    forEachLenField(bytes, start, end, (field, s, e) => {
      if (field === 1 && ++inputs > ONNX_LIMITS.nodeInputs)
        tooMany('inputs on one node', ONNX_LIMITS.nodeInputs);
      if (field === 2 && ++outputs > ONNX_LIMITS.nodeOutputs)
        tooMany('outputs of one node', ONNX_LIMITS.nodeOutputs);
      if (field === 5) {
        if (++attributes > ONNX_LIMITS.attributes)
          tooMany('attributes on one node', ONNX_LIMITS.attributes);
        // AttributeProto: g 6 and graphs 11 are subgraphs (If, Loop).
        forEachLenField(bytes, s, e, (inner, ss, ee) => {
          if (inner === 6 || inner === 11) graph(ss, ee, depth + 1);
        });
      }
    });
  };

  const graph = (start: number, end: number, depth: number): void => {
    if (depth > ONNX_LIMITS.depth) tooMany('nested graphs', ONNX_LIMITS.depth);
    // GraphProto: node 1, initializer 5, input 11, output 12, value_info 13, sparse_initializer 15.
    forEachLenField(bytes, start, end, (field, s, e) => {
      if (field === 1) node(s, e, depth);
      else if (field === 5 || field === 15) count('initializers', 'initializers');
      else if (field === 11 || field === 12 || field === 13) valueInfo(s, e);
    });
  };

  // ModelProto: graph 7, opset_import 8, functions 25 (their nodes are field 7).
  forEachLenField(bytes, 0, bytes.length, (field, s, e) => {
    if (field === 7) graph(s, e, 0);
    else if (field === 8) count('opsets', 'opset imports');
    else if (field === 25) {
      count('functions', 'functions');
      forEachLenField(bytes, s, e, (inner, ss, ee) => inner === 7 && node(ss, ee, 1));
    }
  });
}
