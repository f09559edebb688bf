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
  onFileStart?: (file: string, index: number, total: number) => void;
  onFileEnd?: (graded: GradedFile, index: number, total: number) => void;
}

/**
 * Grades files one after another (staff's local batch runs), each result written beside its
 * submission as it is reached. A file that cannot be read gets a rejected result saying so.
 */
export async function gradeFiles(options: GradeFilesOptions): Promise<GradedFile[]> {
  const rubric = options.deps.rubric ?? DEFAULT_RUBRIC;
  const graded: GradedFile[] = [];
  for (const [index, file] of options.files.entries()) {
    options.onFileStart?.(file, index, options.files.length);
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
    graded.push(entry);
    options.onFileEnd?.(entry, index, options.files.length);
  }
  return graded;
}
