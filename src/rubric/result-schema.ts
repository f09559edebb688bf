import type { ValidateFunction } from 'ajv';
import type { SpecError } from '../spec/types.js';
import { validate as generatedValidate } from './result-validator.generated.js';
import type { ResultFile } from './types.js';

// rubric/result.schema.json compiled ahead of time by ajv (strict, allErrors; see
// scripts/generate-validators.ts): the Lambdas that write failure and rejection results carry no
// schema compiler, and nothing is compiled at startup.
const validateResult = generatedValidate as unknown as ValidateFunction<ResultFile>;

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
