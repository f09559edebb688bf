import baselineJson from '../../rubric/baseline-mlp.json' with { type: 'json' };
import rubricJson from '../../rubric/rubric.json' with { type: 'json' };
import type { Submission } from '../spec/types.js';
import type { Rubric } from './types.js';

/** The rubric shipped in rubric/rubric.json; bundled, so the Lambda needs no file access. */
export const DEFAULT_RUBRIC: Rubric = rubricJson as Rubric;

/** The baseline the default rubric names (rubric/baseline-mlp.json), as a submission; bundled too. */
export const DEFAULT_BASELINE_SUBMISSION: Submission = baselineJson as Submission;
