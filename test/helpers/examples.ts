import { readdirSync } from 'node:fs';
import { RESULT_SUFFIX } from '../../src/grade/files.js';

/**
 * The submission files (*.json) in a folder of examples, leaving out result files: grading an
 * example writes its result beside it (the README's main job does), and a result is not a
 * submission.
 */
export function submissionFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((file) => file.endsWith('.json') && !file.endsWith(RESULT_SUFFIX));
}
