/** Staff commands over many students: the gradebook report, regrades, queue status, Gradescope. */

export { CSV_FORMATS, type CsvFormat, csvField, isCsvFormat, reportCsv } from './csv.js';
export { StaffCommandError } from './errors.js';
export { DirectoryJsonSource, S3JsonSource } from './json-sources.js';
export { directoryJsonSource, type StackClients, stackJsonSource } from './open-source.js';
export {
  compactTimestamp,
  latestSubmissions,
  parseStudentList,
  type RegradeTarget,
  regradeResultKey,
} from './regrade.js';
export { regradeOnStack, type StackRegradeDeps, type SubmittedRegrade } from './regrade-stack.js';
export {
  buildReport,
  loadResults,
  type ScoreSummary,
  studentOfKey,
  studentRow,
  summarizeScores,
} from './report.js';
export { type ChartBaseline, renderReportChart } from './report-chart.js';
export { renderHistogram, renderReportText } from './report-text.js';
export { CPU_ROUTE_OUTPUTS, type DeployedStack, resolveStack, STACK_OUTPUTS } from './stack.js';
export {
  type FailedJob,
  type QueueStatus,
  queueStatus,
  renderQueueStatus,
  WAITING_STATES,
  type WaitingJob,
} from './status.js';
export type * from './types.js';
