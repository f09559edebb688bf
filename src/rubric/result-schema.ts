import { Ajv } from 'ajv';
import resultSchema from '../../rubric/result.schema.json' with { type: 'json' };
import type { SpecError } from '../spec/types.js';
import type { ResultFile } from './types.js';

// Compiled once, when this module loads: a result check costs microseconds.
const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const validateResult = ajv.compile<ResultFile>(resultSchema);

/** Every way a value departs from rubric/result.schema.json; empty when it conforms. */
export function resultSchemaErrors(value: unknown): SpecError[] {
  if (validateResult(value)) return [];
  return (validateResult.errors ?? []).map((e) => ({
    path: e.instancePath,
    message: e.message ?? e.keyword,
  }));
}

/** Narrows parsed JSON to a result file. */
export function isResultFile(value: unknown): value is ResultFile {
  return validateResult(value);
}
