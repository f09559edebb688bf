// The grader container's entrypoint: grade the submission the job's environment names.
import { runGraderContainer } from '../src/pipeline/grade-job.js';

const code = await runGraderContainer(process.env);
// The result is written; don't let a wasm worker pool keep the container (and its GPU) alive.
process.stdout.write('', () => process.exit(code));
