import type { NodeRef } from './types.js';

/**
 * A model the importer cannot turn into a submission. Thrown inside the module only;
 * importOnnx returns it as an ImportFailure, so callers never see a throw.
 */
export class OnnxImportError extends Error {
  override name = 'OnnxImportError';
  readonly node: NodeRef | undefined;
  /** Set when the refusal is folded BatchNorm, which the "keep" policy would import. */
  foldedBatchNorm = false;

  constructor(message: string, node?: NodeRef) {
    super(node ? `${describeNode(node)}: ${message}` : message);
    this.node = node ? nodeRef(node) : undefined;
  }
}

/** 'ONNX node #7 "Resize_7" (Resize)', or 'ONNX node #7 (Resize)' when the node has no name. */
export function describeNode(node: NodeRef): string {
  const name = node.name ? ` "${node.name}"` : '';
  return `ONNX node #${node.index}${name} (${node.opType})`;
}

/** Just the node's identity, without its inputs and attributes: what messages and JSON carry. */
export function nodeRef(node: NodeRef): NodeRef {
  return { index: node.index, name: node.name, opType: node.opType };
}
