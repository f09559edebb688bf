/**
 * The published JSON Schema (rubric/submission.schema.json), compiled once, and the translation
 * of ajv's findings into sentences in the course's terms.
 */

import type { ErrorObject, ValidateFunction } from 'ajv';
import { layerLocation } from './analyze.js';
import { escapePointerToken, pointerTokens } from './pointer.js';
import { validate as generatedValidate } from './submission-validator.generated.js';
import type { LayerType, SpecError } from './types.js';

/** Every layer type of the submission format, in the schema's order. */
export const LAYER_TYPES: readonly LayerType[] = [
  'Conv2d',
  'Linear',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'GELU',
  'SiLU',
  'Sigmoid',
  'Tanh',
  'MaxPool2d',
  'AvgPool2d',
  'AdaptiveAvgPool2d',
  'Flatten',
  'BatchNorm2d',
  'BatchNorm1d',
  'Dropout',
  'Dropout2d',
  'Residual',
];

/** Keys that could reach an object's prototype in careless code downstream; refused anywhere. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

// rubric/submission.schema.json compiled ahead of time by ajv (strict, allErrors, verbose; see
// scripts/generate-validators.ts): no schema compilation, and no ajv, at startup.
const validateSchema = generatedValidate as unknown as ValidateFunction;

/**
 * The schema's findings for a parsed document; none when it conforms. Sentences are written for
 * at most `limit` findings per experiment (a hostile file can have tens of thousands); the rest
 * are only counted in `omitted`, since no report shows that many.
 */
export function schemaErrors(
  document: unknown,
  epochs: number,
  limit = Number.POSITIVE_INFINITY,
): { errors: SpecError[]; omitted: number } {
  if (validateSchema(document)) return { errors: [], omitted: 0 };
  return translate(validateSchema.errors ?? [], document, epochs, limit);
}

function translate(
  raw: ErrorObject[],
  document: unknown,
  epochs: number,
  limit: number,
): { errors: SpecError[]; omitted: number } {
  // An anyOf that failed explains itself through its description; drop its branches' noise.
  const unions = new Map<string, ErrorObject>();
  // A layer whose type is missing or unknown: one message, not one per keyword.
  const badTags = new Set<string>();
  for (const error of raw) {
    if (error.keyword === 'anyOf') unions.set(error.instancePath, error);
    if (error.keyword === 'discriminator') badTags.add(error.instancePath);
  }
  // The closest enclosing pointer (the path itself included) that is in `roots`: O(depth).
  const within = (path: string, roots: { has(key: string): boolean }): string | undefined => {
    for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
      if (roots.has(p)) return p;
      if (p === '') return undefined;
    }
  };

  const out: SpecError[] = [];
  const seen = new Set<string>();
  const described = new Map<string, number>();
  let omitted = 0;
  for (const error of raw) {
    const path = error.instancePath;
    if (error.keyword !== 'discriminator' && within(path, badTags) !== undefined) continue;
    const union = within(path, unions);
    if (union !== undefined && error !== unions.get(union)) continue;
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty);
      if (FORBIDDEN_KEYS.has(key)) continue; // reported by forbiddenKeyErrors
    }
    const bucket = /^\/experiments\/\d+/.exec(path)?.[0] ?? '';
    const count = described.get(bucket) ?? 0;
    if (count >= limit) {
      omitted += 1;
      continue;
    }
    const message = describe(error, document, epochs);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    described.set(bucket, count + 1);
    out.push({ path: errorPath(error), message });
  }
  return { errors: out, omitted };
}

/** Missing and unknown properties point at the property itself, where the student must look. */
function errorPath(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${escapePointerToken(String(error.params.additionalProperty))}`;
  }
  return error.instancePath;
}

function describe(error: ErrorObject, document: unknown, epochs: number): string {
  const tokens = pointerTokens(error.instancePath);
  const objectPath = error.instancePath;
  switch (error.keyword) {
    case 'discriminator': {
      const value = valueAt(document, tokens);
      const type = isRecord(value) ? value.type : undefined;
      const where = locate(objectPath, document);
      if (typeof type !== 'string') {
        return `${where}: a layer needs a "type", one of ${LAYER_TYPES.join(', ')}`;
      }
      const guess = closest(type, LAYER_TYPES);
      const hint = guess ? `did you mean "${guess}"? ` : '';
      return `${where}: unknown layer type "${type}"; ${hint}the layer types are ${LAYER_TYPES.join(', ')}`;
    }
    case 'required': {
      const missing = String(error.params.missingProperty);
      return `${locate(objectPath, document)}: "${missing}" is required`;
    }
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const where = locate(objectPath, document);
      if (key === 'epochs' && tokens.at(-1) === 'training') {
        return `${where}: epochs are fixed by the rubric (${epochs}); remove "epochs"`;
      }
      const known = Object.keys(propertiesOf(error.parentSchema));
      const guess = closest(key, known);
      const hint = guess
        ? `; did you mean "${guess}"?`
        : known.length
          ? `; allowed: ${known.join(', ')}`
          : '';
      return `${where}: unknown property "${key}"${hint}`;
    }
    case 'minItems':
      return `${subject(tokens, document)} is empty; it needs at least one ${tokens.at(-1) === 'experiments' ? 'experiment' : 'layer'}`;
    default:
      return `${subject(tokens, document)} ${valueProblem(error)}`;
  }
}

/** "is "3"; expected a whole number" and the like, for errors about one value. */
function valueProblem(error: ErrorObject): string {
  const shown = preview(error.data);
  const description = descriptionOf(error.parentSchema);
  switch (error.keyword) {
    case 'anyOf':
      return `is ${shown}; expected ${description ?? 'another kind of value'}`;
    case 'type':
      return `is ${shown}; expected ${typeWord(String(error.params.type))}`;
    case 'enum':
    case 'const': {
      const allowed =
        (error.keyword === 'enum'
          ? (error.params.allowedValues as unknown[])
          : [error.params.allowedValue]) ?? [];
      return `is ${shown}; expected ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'minimum':
      return `is ${shown}; it must be at least ${String(error.params.limit)}`;
    case 'exclusiveMinimum':
      return `is ${shown}; it must be greater than ${String(error.params.limit)}`;
    case 'maximum':
      return `is ${shown}; it must be at most ${String(error.params.limit)}`;
    case 'exclusiveMaximum':
      return `is ${shown}; it must be less than ${String(error.params.limit)}`;
    case 'pattern':
      return `is ${shown}; expected ${description ?? 'another spelling'}`;
    default:
      return `is ${shown}; ${error.message ?? 'not allowed here'}`;
  }
}

/** The value's name in its object: "layers/3 (Conv2d): kernel_size", "training: lr", "final". */
function subject(tokens: string[], document: unknown): string {
  const last = tokens.at(-1);
  if (last === undefined) return 'the file must hold one JSON object (a submission), but it';
  const parent = tokens.slice(0, -1);
  const parentPath = parent.map((t) => `/${escapePointerToken(t)}`).join('');
  if (/^\d+$/.test(last)) {
    return layerLocation(`${parentPath}/${last}`) || `${parent.join('/')}/${last}`;
  }
  const where = locate(parentPath, document);
  return where ? `${where}: ${last}` : last;
}

/** "layers/3 (Conv2d)" for a layer, "training" for a field of an experiment, "" for the root. */
function locate(path: string, document: unknown): string {
  if (path === '') return 'the submission';
  const where = layerLocation(path);
  const tokens = pointerTokens(path);
  const container = tokens.at(-2);
  if (container === 'layers' || container === 'body' || container === 'shortcut') {
    const value = valueAt(document, tokens);
    if (
      isRecord(value) &&
      typeof value.type === 'string' &&
      LAYER_TYPES.includes(value.type as LayerType)
    ) {
      return `${where} (${value.type})`;
    }
  }
  return where;
}

function valueAt(document: unknown, tokens: string[]): unknown {
  let value = document;
  for (const token of tokens) {
    if (Array.isArray(value)) value = value[Number(token)];
    else if (isRecord(value) && Object.hasOwn(value, token)) value = value[token];
    else return undefined;
  }
  return value;
}

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  return isRecord(schema) && isRecord(schema.properties) ? schema.properties : {};
}

function descriptionOf(schema: unknown): string | undefined {
  if (!isRecord(schema) || typeof schema.description !== 'string') return undefined;
  const text = schema.description.replace(/\.$/, '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function typeWord(type: string): string {
  const words: Record<string, string> = {
    integer: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    array: 'a list',
    object: 'an object { ... }',
  };
  return words[type] ?? type;
}

function preview(value: unknown): string {
  if (value === undefined) return 'missing';
  // JSON.parse turns 1e400 into Infinity, which JSON.stringify would print as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (too large a number)`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The candidate within edit distance 2 (case-insensitive), for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 40) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
