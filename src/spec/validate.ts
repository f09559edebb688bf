/**
 * validateSubmission: the whole check the Lambda, the grader and students' machines share.
 * Bytes are refused as early and cheaply as possible (size, encoding, syntax and nesting before
 * JSON.parse; counts before the schema), so hostile files cost bounded time and memory.
 */

import { DEFAULT_RUBRIC } from '../rubric/default-rubric.js';
import type { Rubric } from '../rubric/types.js';
import { analyzeLayers, formatShape } from './analyze.js';
import { decodeSubmission } from './decode.js';
import { formatCount } from './format-number.js';
import { scanJson } from './json-scan.js';
import { pointer } from './pointer.js';
import { resourceErrors } from './resource-limits.js';
import { FORBIDDEN_KEYS, isRecord, schemaErrors } from './schema.js';
import { trainingErrors } from './training.js';
import type {
  Experiment,
  ExperimentAnalysis,
  SpecError,
  Submission,
  ValidationResult,
} from './types.js';

/** More than this many errors helps nobody; the rest are summarised in one line. */
const MAX_REPORTED_ERRORS = 100;

/** The number of logits the network must output: one per CIFAR-10 class. */
const CLASSES = 10;

/** Validates a submission file's bytes (or text). Never throws. */
export function validateSubmission(
  input: Uint8Array | string,
  rubric: Rubric = DEFAULT_RUBRIC,
): ValidationResult {
  return validateGuarded(input, rubric, []);
}

/**
 * validateSubmission, plus a table per experiment whose layers could be analysed, including the
 * rows before the first shape error: what a student debugging a network wants to see.
 */
export function summarizeSubmission(
  input: Uint8Array | string,
  rubric: Rubric = DEFAULT_RUBRIC,
): { result: ValidationResult; tables: SummaryTable[] } {
  const tables: SummaryTable[] = [];
  const result = validateGuarded(input, rubric, tables);
  return { result, tables };
}

function validateGuarded(
  input: Uint8Array | string,
  rubric: Rubric,
  tables: SummaryTable[],
): ValidationResult {
  try {
    return validate(input, rubric, tables);
  } catch (error) {
    // A bug here must still not take down the Lambda or print a stack trace to a student.
    const detail = error instanceof Error ? error.message : String(error);
    return {
      valid: false,
      errors: [
        {
          path: '',
          message: `internal error while validating (${detail}); please report it to the course staff`,
        },
      ],
      experiments: [],
    };
  }
}

/**
 * JSON nesting a valid file can need: root, experiments, experiment, layers, layer, and a size
 * pair, plus two levels (body list, layer) per Residual; the margin lets the semantic check
 * report moderately deep Residual blocks with a precise path.
 */
export function maxJsonDepth(rubric: Rubric): number {
  return 6 + 2 * rubric.limits.max_depth + 10;
}

/** An experiment's layer table for `autograder summary`, complete or up to where an error stopped it. */
export interface SummaryTable extends ExperimentAnalysis {
  /** False when its layers have errors: the rows are what could be inferred, the totals partial. */
  complete: boolean;
}

function validate(
  input: Uint8Array | string,
  rubric: Rubric,
  tables: SummaryTable[],
): ValidationResult {
  const decoded = decodeSubmission(input, rubric.limits.max_file_bytes);
  if (!decoded.ok) return invalid([{ path: '', message: decoded.message }]);
  const text = decoded.text;
  const depthLimit = maxJsonDepth(rubric);
  const syntax = scanJson(text, depthLimit);
  if (syntax) {
    const hint = syntax.tooDeep
      ? `; Residual blocks may nest at most ${rubric.limits.max_depth} deep`
      : '';
    return invalid([{ path: '', message: `not valid JSON: ${syntax.message}${hint}` }]);
  }
  const document: unknown = JSON.parse(text);

  const errors = forbiddenKeyErrors(document);
  const countErrors = countLimitErrors(document, rubric);
  if (countErrors.length > 0) return invalid([...errors, ...countErrors]);

  // Sentences for more errors than a report shows would be wasted work on a hostile file.
  const schema = schemaErrors(document, rubric.training.epochs, MAX_REPORTED_ERRORS + 1);
  errors.push(...schema.errors);
  const experiments: ExperimentAnalysis[] = [];
  /** Experiments whose layers analysed cleanly, with where they are, for the resource budget. */
  const analysed: Array<{ experiment: Experiment; analysis: ExperimentAnalysis; path: string }> =
    [];
  if (isRecord(document) && Array.isArray(document.experiments)) {
    // Semantics run only on parts the schema and the key check found nothing wrong with.
    const found = [...errors];
    const clean = (path: string): boolean =>
      !found.some((e) => e.path === path || e.path.startsWith(`${path}/`));
    document.experiments.forEach((value: unknown, index: number) => {
      const path = pointer('/experiments', index);
      if (!isRecord(value)) return;
      const experiment = value as unknown as Experiment;
      if (
        typeof experiment.name === 'string' &&
        experiment.name.length > rubric.limits.max_name_length
      ) {
        errors.push({
          path: pointer(path, 'name'),
          message: `name is ${experiment.name.length} characters long; the rubric allows at most ${rubric.limits.max_name_length}`,
        });
      }
      const analysable =
        typeof experiment.name === 'string' &&
        Array.isArray(experiment.layers) &&
        clean(pointer(path, 'layers'));
      if (analysable) {
        const checked = checkExperiment(experiment, path, rubric);
        errors.push(...checked.errors);
        if (checked.analysis) {
          experiments.push(checked.analysis);
          analysed.push({ experiment, analysis: checked.analysis, path });
          tables.push({ ...checked.analysis, complete: true });
        } else if (checked.partial) {
          tables.push(checked.partial);
        }
      }
      if (isRecord(experiment.training)) {
        const bounds = trainingErrors(experiment.training, pointer(path, 'training'), rubric);
        errors.push(...bounds.filter((e) => clean(e.path)));
      }
    });
    errors.push(...resourceErrors(analysed, rubric));
    errors.push(...submissionErrors(document, rubric));
  }
  if (errors.length > 0 || schema.omitted > 0) return invalid(errors, experiments, schema.omitted);
  return { valid: true, submission: document as unknown as Submission, errors: [], experiments };
}

/** Shape inference, counts, budget and output of one schema-conforming experiment. */
function checkExperiment(
  experiment: Experiment,
  path: string,
  rubric: Rubric = DEFAULT_RUBRIC,
): { analysis?: ExperimentAnalysis; partial?: SummaryTable; errors: SpecError[] } {
  const layersPath = pointer(path, 'layers');
  const result = analyzeLayers(experiment.layers, layersPath, { limits: rubric.limits });
  const errors = [...result.errors];
  const output = result.outputShape;
  if (errors.length > 0 || output === undefined) {
    const topLevel = result.rows.filter((row) => row.depth === 0);
    const partial: SummaryTable = {
      name: experiment.name,
      params: topLevel.reduce((sum, row) => sum + row.params, 0),
      macs: topLevel.reduce((sum, row) => sum + row.macs, 0),
      outputShape: topLevel.at(-1)?.outputShape ?? [],
      layers: result.rows,
      complete: false,
    };
    return { partial, errors };
  }

  const who = `experiment "${experiment.name}"`;
  if (output.length !== 1 || output[0] !== CLASSES) {
    const fix =
      output.length === 1
        ? `the last Linear needs out_features ${CLASSES}`
        : `end with Flatten and a Linear with out_features ${CLASSES}`;
    errors.push({
      path: layersPath,
      message: `${who}: the network outputs ${formatShape(output)} per image but must output ${CLASSES} logits, one per CIFAR-10 class; ${fix}`,
    });
  }
  const budget = rubric.budget.max_params_exclusive;
  if (result.params >= budget) {
    const baseline =
      budget === rubric.baseline.params ? ` (the ${rubric.baseline.name} baseline's count)` : '';
    errors.push({
      path,
      message: `${who}: ${formatCount(result.params)} parameters; the budget is strictly fewer than ${formatCount(budget)}${baseline}`,
    });
  }
  const maxMacs = rubric.limits.max_macs_per_image;
  if (result.macs > maxMacs) {
    errors.push({
      path,
      message: `${who}: ${formatCount(result.macs)} multiply-accumulates per image; the rubric allows at most ${formatCount(maxMacs)}`,
    });
  }
  const analysis: ExperimentAnalysis = {
    name: experiment.name,
    params: result.params,
    macs: result.macs,
    outputShape: output,
    layers: result.rows,
  };
  return { analysis, errors };
}

/** Root-level rules: the assignment id, unique names, and a `final` that names an experiment. */
function submissionErrors(document: Record<string, unknown>, rubric: Rubric): SpecError[] {
  const errors: SpecError[] = [];
  if (typeof document.assignment === 'string' && document.assignment !== rubric.id) {
    errors.push({
      path: '/assignment',
      message: `assignment is ${JSON.stringify(document.assignment)}; this rubric grades "${rubric.id}"`,
    });
  }
  const experiments = Array.isArray(document.experiments) ? document.experiments : [];
  const firstIndex = new Map<string, number>();
  experiments.forEach((experiment: unknown, index: number) => {
    const name = isRecord(experiment) ? experiment.name : undefined;
    if (typeof name !== 'string') return;
    const earlier = firstIndex.get(name);
    if (earlier === undefined) {
      firstIndex.set(name, index);
    } else {
      errors.push({
        path: pointer('/experiments', index, 'name'),
        message: `name "${name}" is already used by experiments/${earlier}; experiment names must be unique`,
      });
    }
  });
  if (
    typeof document.final === 'string' &&
    firstIndex.size > 0 &&
    !firstIndex.has(document.final)
  ) {
    const names = [...firstIndex.keys()].map((n) => `"${n}"`).join(', ');
    errors.push({
      path: '/final',
      message: `final is ${JSON.stringify(document.final)} but no experiment has that name; the experiments are ${names}`,
    });
  }
  return errors;
}

/** `__proto__` and `constructor` keys, wherever they are. Iterative: nesting is already bounded. */
function forbiddenKeyErrors(document: unknown): SpecError[] {
  const errors: SpecError[] = [];
  const pending: Array<[unknown, string]> = [[document, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (Array.isArray(value)) {
      value.forEach((item: unknown, index: number) => {
        if (typeof item === 'object' && item !== null) pending.push([item, pointer(path, index)]);
      });
    } else if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        const at = pointer(path, key);
        if (FORBIDDEN_KEYS.has(key)) {
          errors.push({
            path: at,
            message: `the key "${key}" is not allowed anywhere in a submission`,
          });
          continue;
        }
        const item = value[key];
        if (typeof item === 'object' && item !== null) pending.push([item, at]);
      }
    }
  }
  return errors.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Experiments and layers beyond the rubric's limits, counted before the schema looks at them. */
function countLimitErrors(document: unknown, rubric: Rubric): SpecError[] {
  if (!isRecord(document) || !Array.isArray(document.experiments)) return [];
  const { max_experiments: maxExperiments, max_layers: maxLayers } = rubric.limits;
  const errors: SpecError[] = [];
  const experiments: unknown[] = document.experiments;
  if (experiments.length > maxExperiments) {
    errors.push({
      path: '/experiments',
      message: `experiments: ${formatCount(experiments.length)} experiments; the rubric allows at most ${maxExperiments}`,
    });
    return errors;
  }
  experiments.forEach((experiment, index) => {
    if (!isRecord(experiment)) return;
    const count = countLayers(experiment.layers);
    if (count > maxLayers) {
      errors.push({
        path: pointer('/experiments', index, 'layers'),
        message: `experiments/${index}: ${formatCount(count)} layers (counting those inside Residual blocks); the rubric allows at most ${maxLayers}`,
      });
    }
  });
  return errors;
}

function countLayers(layers: unknown): number {
  let count = 0;
  const pending: unknown[] = [layers];
  for (let list = pending.pop(); list !== undefined; list = pending.pop()) {
    if (!Array.isArray(list)) continue;
    count += list.length;
    for (const layer of list) {
      if (isRecord(layer)) pending.push(layer.body, layer.shortcut);
    }
  }
  return count;
}

function invalid(
  errors: SpecError[],
  experiments: ExperimentAnalysis[] = [],
  uncounted = 0,
): ValidationResult {
  const ordered = orderByExperiment(errors);
  if (ordered.length + uncounted > MAX_REPORTED_ERRORS) {
    const hidden = ordered.length + uncounted - MAX_REPORTED_ERRORS;
    ordered.length = MAX_REPORTED_ERRORS;
    ordered.push({
      path: '',
      message: `... and ${formatCount(hidden)} more errors not shown; fix these first`,
    });
  }
  return { valid: false, errors: ordered, experiments };
}

/** Groups errors by experiment (in file order), file-level ones last; stable within a group. */
function orderByExperiment(errors: SpecError[]): SpecError[] {
  const rank = (path: string): number => {
    const match = /^\/experiments\/(\d+)(?:\/|$)/.exec(path);
    return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
  };
  return errors
    .map((error, index) => ({ error, index, rank: rank(error.path) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ error }) => error);
}
