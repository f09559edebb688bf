import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadCifar10FromDir } from '../data/index.js';
import { gradeFiles, writeResultFile } from '../grade/index.js';
import {
  buildFailureResult,
  buildRejectedResult,
  DEFAULT_RUBRIC,
  type ResultFile,
} from '../rubric/index.js';
import { selectBackend } from '../train/index.js';
import type { GradescopeLayout, GradescopeRunOutcome } from './types.js';

/** The *.json files a student uploaded, relative to submission/, searched one folder deep. */
async function uploadedJsonFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === '__MACOSX') continue;
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) found.push(entry.name);
    else if (entry.isDirectory()) {
      const inner = await readdir(path.join(dir, entry.name), { withFileTypes: true });
      for (const file of inner) {
        if (file.isFile() && file.name.toLowerCase().endsWith('.json')) {
          found.push(`${entry.name}/${file.name}`);
        }
      }
    }
  }
  return found.sort();
}

/**
 * Grades what a student uploaded to Gradescope into results/results.json: exactly one .json
 * file is graded; none or several get a zero result that says what to upload instead.
 */
export async function runGradescope(
  layout: GradescopeLayout,
  hooks: { onLine?: (line: string) => void } = {},
): Promise<GradescopeRunOutcome> {
  const say = hooks.onLine ?? (() => {});
  const submissionDir = path.join(layout.root, 'submission');
  const resultFile = path.join(layout.root, 'results', 'results.json');
  const files = await uploadedJsonFiles(submissionDir);
  const only = files.length === 1 ? files[0] : undefined;
  if (only === undefined) {
    const models = (await readdir(submissionDir).catch(() => [])).filter((name) =>
      name.toLowerCase().endsWith('.onnx'),
    );
    const message =
      files.length === 0 && models.length > 0
        ? `${models.join(', ')} ${models.length === 1 ? 'is an ONNX model' : 'are ONNX models'}, not a submission file: make the submission from your model with "npx autograder import ${models[0]} --params N --accuracy A" (your reported figures; docs/import-onnx.md), then upload the .json file it writes.`
        : files.length === 0
          ? 'No .json file was uploaded: upload your submission file (the model spec with your reported figures).'
          : `Upload exactly one .json file; found ${files.length}: ${files.join(', ')}. Put every experiment in that one file.`;
    say(message);
    const result = buildRejectedResult({
      errors: [{ path: '', message }],
      identity: { sha256: null, bytes: null, source: null },
    });
    await writeResultFile(resultFile, result);
    return { resultFile, graded: null, score: 0 };
  }
  say(`Grading ${only} on ${layout.backend ?? 'the best engine that loads'}`);
  let data: ReturnType<typeof loadCifar10FromDir> | undefined;
  let final: ResultFile | undefined;
  try {
    await gradeFiles({
      files: [path.join(submissionDir, ...only.split('/'))],
      resultFileFor: () => resultFile,
      sourceFor: () => only,
      deps: {
        rubric: DEFAULT_RUBRIC,
        loadData: () => {
          data ??= loadCifar10FromDir(layout.dataDir, {});
          return data;
        },
        selectBackend: () => selectBackend(layout.backend),
        onEvent: (event) => {
          if (event.type === 'experiment-start')
            say(`[${event.index + 1}/${event.total}] ${event.name}`);
          if (event.type === 'ready') {
            say(`Engine: ${event.backend.name} (${event.backend.detail})`);
            if (event.trial) say(`A trial run: ${event.trial.reason}.`);
          }
          if (event.type === 'recheck')
            say(`Re-checking ${event.name} with ${event.seeds.length} more seeds: ${event.reason}`);
        },
      },
      onFileEnd: ({ result }) => {
        final = result;
      },
    });
  } catch (error) {
    // The grader itself stopped (data missing, engine failed): the student still gets a result.
    const message = error instanceof Error ? error.message : String(error);
    say(`Grading stopped: ${message}`);
    const result = buildFailureResult({ reason: 'crash', message });
    await writeResultFile(resultFile, result);
    return { resultFile, graded: only, score: 0 };
  }
  const score = final?.score ?? 0;
  say(`Score: ${score}`);
  return { resultFile, graded: only, score };
}
