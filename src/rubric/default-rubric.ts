import rubricJson from '../../rubric/rubric.json' with { type: 'json' };
import type { Rubric } from './types.js';

/** The rubric shipped in rubric/rubric.json; bundled, so the Lambda needs no file access. */
export const DEFAULT_RUBRIC: Rubric = rubricJson as Rubric;
