// The grader container's entrypoint: grade the submission the job's environment names.
import { runGraderContainer } from '../src/pipeline/grade-job.js';

process.exitCode = await runGraderContainer(process.env);
