import { mkdir, open, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GradeError } from './errors.js';

/** The suffix of result files, so a directory can be graded again without grading its results. */
export const RESULT_SUFFIX = '.result.json';

/** Default result path: beside the submission, "x.json" → "x.result.json"; or inside outDir. */
export function resultPathFor(submissionFile: string, outDir?: string): string {
  const base = path.basename(submissionFile).replace(/\.json$/i, '');
  return path.join(outDir ?? path.dirname(submissionFile), `${base}${RESULT_SUFFIX}`);
}

/** The submissions in a directory: *.json that are not results, in name order (stable batches). */
export async function listSubmissionFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.json$/i.test(e.name) && !e.name.endsWith(RESULT_SUFFIX))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/**
 * Reads at most maxBytes + 1 bytes: enough for the validator to say a file is too large without
 * reading a huge one into memory.
 */
export async function readSubmissionFile(file: string, maxBytes: number): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new GradeError(`${file} is not a file`);
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    if (error instanceof GradeError) throw error;
    throw new GradeError(
      `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await handle?.close();
  }
}

/** Writes indented JSON through a temporary name, so a reader never sees half a file. */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(value, null, 2)}\n`);
  await rename(partial, file);
}
