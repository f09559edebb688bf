/**
 * ONNX import: turns a model exported with torch.onnx.export into a submission.
 * Pure TypeScript on a Uint8Array (no Node APIs), so the student page converts files in the browser.
 */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import { pointer } from '../spec/pointer.js';
import { describeNode, nodeRef, OnnxImportError } from './errors.js';
import { mapGraph, PRESERVE_EXPORT } from './map.js';
import { readOnnxModel } from './read.js';
import type {
  ImportedReported,
  ImportedSubmission,
  ImportNote,
  ImportOptions,
  ImportResult,
} from './types.js';

export { describeNode, nodeRef, OnnxImportError } from './errors.js';
export { PRESERVE_EXPORT, SUPPORTED_LAYERS } from './map.js';
export type * from './types.js';

/** What `reported` holds until the student writes their own figures there. */
export const PARAMS_PLACEHOLDER = 'TODO: the parameter count you computed (task 3.2)';
export const ACCURACY_PLACEHOLDER =
  'TODO: your test accuracy in percent, as your notebook printed it';

const DEFAULT_NAME = 'imported';

/** "runs/ConvNet v2.onnx" → "ConvNet v2": a name the schema accepts, or "imported". */
export function experimentNameFromFile(file: string): string {
  const base = (file.split(/[\\/]/).pop() ?? '')
    .replace(/\.onnx$/i, '')
    .replace(/[^A-Za-z0-9 _.()+-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return base === '' ? DEFAULT_NAME : base.slice(0, 64);
}

/** Converts an ONNX file's bytes into a one-experiment submission. Never throws. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  try {
    return convert(bytes, options);
  } catch (error) {
    if (error instanceof OnnxImportError) {
      return {
        ok: false,
        error: {
          message: error.message,
          ...(error.node ? { node: error.node } : {}),
          ...(error.foldedBatchNorm ? { foldedBatchNorm: true as const } : {}),
        },
      };
    }
    // A bug here must still reach the student as a sentence, not a stack trace.
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: {
        message: `internal error while importing the model (${detail}); please report it to the course staff`,
      },
    };
  }
}

function convert(bytes: Uint8Array, options: ImportOptions): ImportResult {
  const graph = readOnnxModel(bytes);
  const policy = options.foldedBatchNorm ?? 'refuse';
  const mapped = mapGraph(graph);
  const notes: ImportNote[] = [...mapped.notes];
  const [firstFolded, ...otherFolded] = mapped.foldedConvs;
  if (firstFolded) {
    const weight = firstFolded.inputs[1] ?? '';
    const others =
      otherFolded.length === 0
        ? ''
        : ` and ${otherFolded.length === 1 ? 'another' : otherFolded.length} (${otherFolded.map((n) => `#${n.index}${n.name ? ` "${n.name}"` : ''}`).join(', ')})`;
    const why = `PyTorch folded a BatchNorm into this convolution${others}: its weight is a tensor the exporter made ("${weight}"), not your module's "….weight". PyTorch does that when it exports a model in eval mode, so the file holds Conv2d layers with biases and no BatchNorm2d, which is not the network you trained: its parameter count and its training differ.`;
    const fix = `To import your network with its BatchNorm layers, export it again with model.eval() and ${PRESERVE_EXPORT}`;
    if (policy === 'refuse') {
      const refusal = new OnnxImportError(`${why} ${fix}.`, firstFolded);
      refusal.foldedBatchNorm = true;
      throw refusal;
    }
    notes.push({
      level: 'warning',
      node: nodeRef(firstFolded),
      message: `${describeNode(firstFolded)}: ${why} The folded convolutions were kept as they are, as asked. ${fix}.`,
    });
  }

  const name = options.name ?? DEFAULT_NAME;
  const reported = reportedFigures(options.reported ?? {});
  const { optimizer, lr, batch_size } = DEFAULT_RUBRIC.training.defaults;
  const submission: ImportedSubmission = {
    assignment: DEFAULT_RUBRIC.id,
    experiments: [
      {
        name,
        layers: mapped.layers,
        training: { optimizer, lr, batch_size },
        reported,
      },
    ],
    final: name,
  };
  return {
    ok: true,
    submission,
    layers: mapped.layers,
    notes,
    placeholders: placeholderPaths(submission),
  };
}

function reportedFigures(figures: ImportOptions['reported'] & {}): ImportedReported {
  return {
    params: figures.params ?? PARAMS_PLACEHOLDER,
    test_accuracy: figures.test_accuracy ?? ACCURACY_PLACEHOLDER,
  };
}

/** JSON pointers of the `reported` figures that are still placeholders. */
export function placeholderPaths(submission: ImportedSubmission): string[] {
  return submission.experiments.flatMap((experiment, index) => {
    const base = pointer('/experiments', index, 'reported');
    return (['params', 'test_accuracy'] as const)
      .filter((key) => typeof experiment.reported?.[key] === 'string')
      .map((key) => pointer(base, key));
  });
}

/**
 * The imported submission with the figures the student typed (a missing or non-finite one stays
 * a placeholder), as the page rebuilds it on every keystroke. The first experiment is the import.
 */
export function withReported(
  submission: ImportedSubmission,
  figures: { params?: number; test_accuracy?: number },
): ImportedSubmission {
  const finite = (n: number | undefined): number | undefined =>
    n !== undefined && Number.isFinite(n) ? n : undefined;
  const reported = reportedFigures({
    params: finite(figures.params),
    test_accuracy: finite(figures.test_accuracy),
  });
  const [first, ...rest] = submission.experiments;
  if (!first) return submission;
  return { ...submission, experiments: [{ ...first, reported }, ...rest] };
}
