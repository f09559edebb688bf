import { buildRejectedResult, DEFAULT_RUBRIC, type ResultFile } from '../rubric/index.js';
import { GradeError } from './errors.js';
import { readSubmissionFile, writeJsonFile } from './files.js';
import { gradeSubmission } from './grade-submission.js';
import type { GradeDeps } from './types.js';

/** Writes a result as indented JSON, through a temporary name so a reader never sees half a file. */
export function writeResultFile(file: string, result: ResultFile): Promise<void> {
  return writeJsonFile(file, result);
}

export interface GradedFile {
  file: string;
  resultFile: string;
  result: ResultFile;
}

export interface GradeFilesOptions {
  files: readonly string[];
  /** Where each file's result goes. */
  resultFileFor: (file: string) => string;
  /** How the result names the file (default: as given); e.g. relative to the working directory. */
  sourceFor?: (file: string) => string;
  /** Shared by every file: pass a loadData and selectBackend that do their work once. */
  deps: Omit<GradeDeps, 'writeResult'>;
  /** Files graded at once; default 1. Worth more than 1 only with a parallel trainer in deps. */
  concurrency?: number;
  onFileStart?: (file: string, index: number, total: number) => void;
  onFileEnd?: (graded: GradedFile, index: number, total: number) => void;
}

/**
 * Grades files (staff's local batch runs), each result written beside its submission as it is
 * reached: one after another, or `concurrency` at once when the deps train on a pool of workers.
 * A file that cannot be read gets a rejected result saying so. Results come back in file order.
 */
export async function gradeFiles(options: GradeFilesOptions): Promise<GradedFile[]> {
  const rubric = options.deps.rubric ?? DEFAULT_RUBRIC;
  const total = options.files.length;
  const graded: GradedFile[] = new Array(total);
  const gradeOne = async (file: string, index: number): Promise<void> => {
    options.onFileStart?.(file, index, total);
    const resultFile = options.resultFileFor(file);
    const writeResult = (result: ResultFile) => writeResultFile(resultFile, result);
    const source = options.sourceFor?.(file) ?? file;
    let result: ResultFile;
    try {
      const bytes = await readSubmissionFile(file, rubric.limits.max_file_bytes);
      result = await gradeSubmission({ bytes, source }, { ...options.deps, writeResult });
    } catch (error) {
      if (!(error instanceof GradeError)) throw error;
      result = buildRejectedResult({
        errors: [{ path: '', message: error.message }],
        rubric,
        identity: { sha256: null, bytes: null, source },
      });
      await writeResult(result);
    }
    const entry = { file, resultFile, result };
    graded[index] = entry;
    options.onFileEnd?.(entry, index, total);
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const index = next;
      next += 1;
      await gradeOne(options.files[index] as string, index);
    }
  };
  const lanes = Math.max(1, Math.min(total, Math.floor(options.concurrency ?? 1)));
  await Promise.all(Array.from({ length: lanes }, lane));
  return graded;
}
