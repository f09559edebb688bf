/** Plain-text reports of an import, for the CLI and the student page. */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import { analyzeLayers, formatShape } from '../spec/analyze.js';
import type { Layer, SpecError } from '../spec/types.js';
import { validateSubmission } from '../spec/validate.js';
import type { ImportedSubmission, ImportResult } from './types.js';

/**
 * What the grader's validator says about the imported file apart from the placeholders the
 * student still has to fill in: a budget or output problem is worth knowing before editing.
 */
export function importedProblems(
  submission: ImportedSubmission,
  placeholders: string[],
): SpecError[] {
  const result = validateSubmission(JSON.stringify(submission));
  if (result.valid) return [];
  return result.errors.filter((e) => !placeholders.includes(e.path));
}

/** One line per layer: its JSON location, a short description and its output shape per image. */
export function describeLayers(layers: Layer[]): string[] {
  const rows = analyzeLayers(layers, '/layers').rows;
  return rows.map((row) => {
    const location = row.path.replace(/^\/layers\//, 'layers/');
    const indent = '  '.repeat(row.depth);
    return `${indent}${location.padEnd(28 - indent.length)} ${row.type.padEnd(18)} → ${formatShape(row.outputShape)}`;
  });
}

/** The report `autograder import` prints after writing the file. */
export function formatImportReport(
  result: Extract<ImportResult, { ok: true }>,
  source: string,
  target: string,
): string {
  const { experiments, final } = result.submission;
  const name = experiments.at(-1)?.name ?? '';
  const where =
    experiments.length === 1
      ? `into ${target}: experiment "${name}"`
      : `into ${target} as experiment "${name}" (${experiments.length} experiments now; "${final}" is graded as the final one)`;
  const lines = [
    `Imported ${source} ${where}, ${result.layers.length} top-level layers.`,
    '',
    ...describeLayers(result.layers).map((l) => `  ${l}`),
  ];
  for (const note of result.notes) {
    lines.push('', `${note.level === 'warning' ? 'Warning' : 'Note'}: ${note.message}`);
  }
  if (result.placeholders.length > 0) {
    lines.push(
      '',
      `To do before you submit: ${target} is not valid yet. Replace the "TODO: …" placeholders at ${result.placeholders.join(', ')} with the figures your notebook printed (or import again with --params N --accuracy PCT). The importer does not fill in the parameter count: counting it is task 3.2.`,
    );
  }
  const { optimizer, lr, batch_size: batch } = DEFAULT_RUBRIC.training.defaults;
  lines.push(
    '',
    `"training" holds the rubric's defaults (${optimizer}, lr ${lr}, batch size ${batch}): an ONNX file does not record how the model was trained, so edit them if you trained differently.`,
  );
  return `${lines.join('\n')}\n`;
}
