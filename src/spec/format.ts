/** Plain-text reports for people: `autograder validate` and `autograder summary`. */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import type { Rubric } from '../rubric/types.js';
import { formatCompact, formatCount } from './format-number.js';
import { pointerTokens } from './pointer.js';
import type { LayerSummary, Shape, ValidationResult } from './types.js';
import type { SummaryTable } from './validate.js';

/** How MACs are counted, printed with every table so the figures can be compared with other tools. */
export const MACS_DEFINITION =
  'MACs are multiply-accumulates per image in the weights of Conv2d, out_H·out_W·out_channels·(in_channels/groups)·kH·kW, and of Linear, in_features·out_features, as fvcore counts them; bias additions, BatchNorm, activations, pooling and Residual sums are not counted (torchinfo’s Mult-Adds add the biases and BatchNorm).';

/** The human report of `autograder validate FILE`. */
export function formatValidation(result: ValidationResult, file: string): string {
  if (!result.valid) {
    const count = result.errors.length;
    const lines = [`${file} is invalid (${count} ${count === 1 ? 'error' : 'errors'}):`];
    for (const error of result.errors) {
      lines.push(`  ✗ ${error.message}`);
      if (error.path) lines.push(`      at ${error.path}`);
    }
    return `${lines.join('\n')}\n`;
  }
  const experiments = result.experiments;
  const plural = experiments.length === 1 ? 'experiment' : 'experiments';
  const lines = [
    `${file} is valid: ${experiments.length} ${plural}, final "${result.submission.final}"`,
  ];
  const width = Math.max(...experiments.map((e) => e.name.length));
  for (const experiment of experiments) {
    lines.push(
      `  ${experiment.name.padEnd(width)}  ${formatCount(experiment.params).padStart(9)} params  ${formatCompact(experiment.macs).padStart(8)} MACs/image`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const HEADERS = ['Layer', 'Output shape', 'Params', 'MACs'] as const;

/** torchinfo-style tables of every analysed experiment, with totals and the MAC definition. */
export function formatSummary(
  experiments: SummaryTable[],
  options: { final?: string; rubric?: Rubric } = {},
): string {
  const rubric = options.rubric ?? DEFAULT_RUBRIC;
  const blocks = experiments.map((experiment) => {
    const title = `Experiment "${experiment.name}"${experiment.name === options.final ? ' (final)' : ''}`;
    return `${title}\n${formatTable(experiment, rubric)}`;
  });
  const note = wrap(
    `${MACS_DEFINITION} Output shapes are per image (no batch dimension); the input is 3×32×32.`,
    96,
  );
  return `${note}\n\n${blocks.join('\n\n')}\n`;
}

function formatTable(experiment: SummaryTable, rubric: Rubric): string {
  const rows = experiment.layers.map((row) => [
    layerCell(row),
    shapeCell(row.outputShape),
    row.params === 0 ? '--' : formatCount(row.params),
    row.macs === 0 ? '--' : formatCount(row.macs),
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('   ')
      .trimEnd();
  const rule = '='.repeat(widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1));
  const head = [rule, render(HEADERS), rule, ...rows.map(render), rule];
  if (!experiment.complete) {
    return [...head, 'Incomplete: this network has errors (listed below); no totals.', rule].join(
      '\n',
    );
  }
  const budget = rubric.budget.max_params_exclusive;
  const within = experiment.params < budget ? 'within' : 'over';
  return [
    ...head,
    `Total params: ${formatCount(experiment.params)} (${within} the budget of fewer than ${formatCount(budget)})`,
    `Total MACs per image: ${formatCount(experiment.macs)} (${formatCompact(experiment.macs)})`,
    `Output: ${shapeCell(experiment.outputShape)}`,
    rule,
  ].join('\n');
}

/** "3 Residual", then "  body/0 Conv2d" inside it: the index within its list, indented by depth. */
function layerCell(row: LayerSummary): string {
  const tokens = pointerTokens(row.path);
  const index = tokens.at(-1) ?? '';
  const list = tokens.at(-2);
  const position = row.depth === 0 || list === undefined ? index : `${list}/${index}`;
  return `${'  '.repeat(row.depth)}${position} ${row.type}`;
}

function shapeCell(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
