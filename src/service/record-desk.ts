import { DEFAULT_RUBRIC, isResultFile, type ResultFile, type Rubric } from '../rubric/index.js';
import {
  isFinalStatus,
  newSubmissionId,
  publicStatus,
  SUBMISSION_ID_PATTERN,
  type SubmissionRecord,
  type SubmissionStateStore,
  submissionKeyOf,
} from '../state/index.js';
import type { ObjectStore } from '../storage/index.js';
import type {
  SubmissionDesk,
  SubmissionDetail,
  SubmissionProgress,
  SubmissionStatus,
  SubmissionSummary,
} from './types.js';

export interface RecordDeskOptions {
  /** The submission records: the lifecycle's single source of truth. */
  records: SubmissionStateStore;
  /** Where accepted files go, as submissions/<student>/<id>.json, and that store's bucket. */
  submissions: ObjectStore;
  submissionsBucket: string;
  /** Where result files appear (each record names its own). */
  results: ObjectStore;
  rubric?: Rubric;
  /**
   * Called once the file is stored. Locally it hands the upload to intake; on AWS nothing is
   * needed, since S3's event starts the same path as a file staff upload directly.
   */
  onStored?: (key: string) => Promise<void>;
  /** What the local job runner knows of a submission it holds, by result key. */
  progressOf?: (resultKey: string) => SubmissionProgress | 'queued' | undefined;
  newId?: (now: number) => string;
}

const ORDER: Record<SubmissionStatus, number> = {
  queued: 0,
  running: 1,
  graded: 2,
  rejected: 2,
  failed: 2,
};

/**
 * The API's view of the lifecycle: the API registers a record under an id it chooses, stores
 * the file under that id (intake recognises the name and claims the same record), and reads
 * the student's records and result files back. Records are read by (student, id), so one
 * student's id never finds another's submission.
 */
export class RecordDesk implements SubmissionDesk {
  private readonly rubric: Rubric;
  private readonly maxScore: number;

  constructor(private readonly options: RecordDeskOptions) {
    this.rubric = options.rubric ?? DEFAULT_RUBRIC;
    this.maxScore = this.rubric.tasks.reduce((sum, task) => sum + task.points, 0);
  }

  async submit(student: string, bytes: Uint8Array, now: number): Promise<{ id: string }> {
    const id = (this.options.newId ?? newSubmissionId)(now);
    const key = submissionKeyOf(student, id);
    await this.options.records.register({
      student,
      id,
      object: { bucket: this.options.submissionsBucket, key },
      submitted_at: new Date(now).toISOString(),
    });
    await this.options.submissions.put(key, bytes, { contentType: 'application/json' });
    await this.options.onStored?.(key);
    return { id };
  }

  async list(student: string): Promise<SubmissionSummary[]> {
    const records = await this.options.records.listByStudent(student);
    return Promise.all(
      records.map(async (record) => {
        // A final record carries its score; an unfinished one may be behind its result file.
        const final = isFinalStatus(record.status);
        const result = final ? null : await this.resultOf(record);
        const status = this.statusOf(record, result);
        let score: number | null = null;
        if (final) score = record.score ?? (record.status === 'rejected' ? 0 : null);
        else if (result?.extra_data.complete) score = result.score;
        return {
          id: record.id,
          submitted_at: record.submitted_at,
          status,
          score,
          max_score: record.max_score ?? this.maxScore,
          ...(record.regrade_of !== undefined ? { regrade_of: record.regrade_of } : {}),
        };
      }),
    );
  }

  async get(student: string, id: string): Promise<SubmissionDetail | undefined> {
    if (!SUBMISSION_ID_PATTERN.test(id)) return undefined;
    const record = await this.options.records.get(student, id);
    if (!record) return undefined;
    const result = await this.resultOf(record);
    const status = this.statusOf(record, result);
    return {
      id: record.id,
      submitted_at: record.submitted_at,
      status,
      result,
      progress: status === 'running' ? progressOf(result, this.known(record), this.rubric) : null,
      ...(record.regrade_of !== undefined ? { regrade_of: record.regrade_of } : {}),
    };
  }

  private known(record: SubmissionRecord): SubmissionProgress | 'queued' | undefined {
    return this.options.progressOf?.(record.result_key);
  }

  /** The furthest of what the record, the result file and the local runner say. */
  private statusOf(record: SubmissionRecord, result: ResultFile | null): SubmissionStatus {
    const candidates: SubmissionStatus[] = [publicStatus(record.status)];
    if (result) candidates.push(result.extra_data.complete ? result.extra_data.outcome : 'running');
    const known = this.known(record);
    if (known !== undefined && known !== 'queued') candidates.push('running');
    return candidates.reduce((a, b) => (ORDER[b] > ORDER[a] ? b : a));
  }

  private async resultOf(record: SubmissionRecord): Promise<ResultFile | null> {
    const bytes = await this.options.results.get(record.result_key);
    if (bytes === undefined) return null;
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isResultFile(parsed) ? parsed : null;
  }
}

/** The runner's live figures when it has them, else what the last checkpoint tells. */
function progressOf(
  result: ResultFile | null,
  known: SubmissionProgress | 'queued' | undefined,
  rubric: Rubric,
): SubmissionProgress {
  if (known !== undefined && known !== 'queued') return known;
  const experiments = result?.extra_data.experiments ?? [];
  const next = experiments.findIndex((e) => e.status === 'not_run');
  const index = next < 0 ? experiments.length : next;
  return {
    experiment: experiments[index]?.name ?? null,
    experiment_index: index,
    experiments: experiments.length,
    epoch: null,
    epochs: result?.extra_data.epochs ?? rubric.training.epochs,
  };
}
