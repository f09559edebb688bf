/** One submission end to end: read → validate → train each experiment → score → write. */
export {
  type CalibrateDeps,
  type CalibrationRecord,
  calibrateBaseline,
  calibrationFile,
  calibrationLookup,
  loadCalibration,
  saveCalibration,
} from './calibration.js';
export { GradeError } from './errors.js';
export {
  listSubmissionFiles,
  RESULT_SUFFIX,
  readSubmissionFile,
  resultPathFor,
} from './files.js';
export {
  type GradedFile,
  type GradeFilesOptions,
  gradeFiles,
  writeResultFile,
} from './grade-files.js';
export { gradeSubmission } from './grade-submission.js';
export {
  type ParallelTraining,
  type ParallelTrainingOptions,
  parallelTraining,
} from './parallel.js';
export type * from './types.js';
