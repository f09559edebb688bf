/**
 * ONNX import: a model PyTorch exported with torch.onnx.export, turned into a submission.
 * These types are the module's public contract (CLI and student page) and the small graph model
 * the mapper works on, decoupled from the protobuf classes.
 */

import type { Experiment, Layer, Submission } from '../spec/types.js';

/** An ONNX node as the messages name it: its position in the graph, its name and its op. */
export interface NodeRef {
  /** Position in the graph's node list (0-based), as Netron and onnx.helper show it. */
  index: number;
  /** The node's name, e.g. "Conv_0"; empty when the exporter gave none. */
  name: string;
  opType: string;
}

/** What to do with convolutions into which the exporter folded a BatchNormalization. */
export type FoldedBatchNormPolicy = 'refuse' | 'keep';

export interface ImportOptions {
  /** The experiment's name; "imported" when absent. */
  name?: string;
  /** Default "refuse": the folded network is not the one the student trained. */
  foldedBatchNorm?: FoldedBatchNormPolicy;
  /** Figures the student already has; missing ones are written as placeholders to fill in. */
  reported?: { params?: number; test_accuracy?: number };
}

/** `reported` as written: numbers the student gave, or a placeholder string until they edit it. */
export interface ImportedReported {
  params: number | string;
  test_accuracy: number | string;
}

export interface ImportedExperiment extends Omit<Experiment, 'reported'> {
  reported: ImportedReported;
}

/** A submission whose `reported` figures may still be placeholders (strings): invalid until filled in. */
export interface ImportedSubmission extends Omit<Submission, 'experiments'> {
  experiments: ImportedExperiment[];
}

/** Something the student should know about the conversion; not an error. */
export interface ImportNote {
  /** "warning": the submission may differ from what the student meant; "info": how it was read. */
  level: 'info' | 'warning';
  message: string;
  node?: NodeRef;
}

export interface ImportFailure {
  /** A whole sentence naming the node, its op and what the format supports instead. */
  message: string;
  node?: NodeRef;
  /** Set when the refusal is folded BatchNorm, which policy "keep" would import. */
  foldedBatchNorm?: true;
}

export type ImportResult =
  | {
      ok: true;
      submission: ImportedSubmission;
      /** The experiment's layers (also inside `submission`), for callers that analyse them. */
      layers: Layer[];
      notes: ImportNote[];
      /** JSON pointers of the placeholders the student must replace before submitting. */
      placeholders: string[];
    }
  | { ok: false; error: ImportFailure };

// --- The graph the mapper reads -------------------------------------------------------------

/** An attribute's value, reduced to what the mapper reads. */
export type OnnxAttribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'tensor'; value: OnnxTensor }
  | { kind: 'other' };

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** Element values, decoded only for small tensors (shapes, scalars); undefined for weights. */
  values: number[] | undefined;
}

export interface OnnxNode extends NodeRef {
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A tensor dimension: a number, or a symbolic name such as "batch" (dynamic axes). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  /** Undefined when the file gives no shape. */
  dims: OnnxDim[] | undefined;
}

export interface OnnxGraph {
  producerName: string;
  producerVersion: string;
  /** The default domain's opset version. */
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** The graph's inputs that are not initializers. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Shapes the exporter inferred for intermediate tensors, by name. */
  valueInfo: Map<string, OnnxValueInfo>;
}
