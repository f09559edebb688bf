/**
 * What to tell a student whose grading job ran out of memory. The submission was valid, but
 * validity does not make the platform the culprit: the submission's own estimated step memory
 * says which is the likely cause, and the result says so rather than blaming either blindly.
 */

import type { Rubric } from '../rubric/types.js';
import { estimateResources, formatBytes, validateSubmission } from '../spec/index.js';

/** A step estimated at this share of the rubric's limit or more makes the submission the likely cause. */
const LIKELY_CAUSE_SHARE = 0.5;

/** One or two sentences on whether the submission's size is the likely cause of the OOM. */
export function assessOutOfMemory(bytes: Uint8Array | undefined, rubric: Rubric): string {
  if (!bytes) {
    return "Whether the submission's size caused it is unknown: its file could not be read again.";
  }
  const validation = validateSubmission(bytes, rubric);
  if (!validation.valid) {
    return "Whether the submission's size caused it is unknown: the file no longer validates under the current rubric.";
  }
  const { experiments } = estimateResources(validation.submission, validation.experiments, rubric);
  const largest = experiments.reduce<(typeof experiments)[number] | undefined>(
    (best, e) => (!best || e.stepMemoryBytes > best.stepMemoryBytes ? e : best),
    undefined,
  );
  if (!largest) return "Whether the submission's size caused it is unknown.";
  const limit = rubric.limits.max_step_memory_bytes;
  const figure = `Its largest training step, experiment "${largest.name}" at batch_size ${largest.batchSize}, needs an estimated ${formatBytes(largest.stepMemoryBytes)}`;
  if (largest.stepMemoryBytes >= LIKELY_CAUSE_SHARE * limit) {
    const layer = largest.dominantMemoryLayer;
    const where = layer ? `, most of it in ${layer.path} (${layer.type})` : '';
    return `${figure}${where}; the rubric allows up to ${formatBytes(limit)}, so the submission's own size is the likely cause: a smaller batch_size, or fewer channels at full resolution, needs less memory.`;
  }
  return `${figure}, well within the rubric's ${formatBytes(limit)}, so the submission is unlikely to be the cause; course staff can look into it and re-run it.`;
}
