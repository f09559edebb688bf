import { DEFAULT_RUBRIC, isResultFile, type ResultFile, type Rubric } from '../rubric/index.js';
import type { ObjectStore } from '../storage/index.js';
import { isSubmissionId, newSubmissionId, submittedAt } from './ids.js';
import type {
  SubmissionDesk,
  SubmissionDetail,
  SubmissionProgress,
  SubmissionStatus,
  SubmissionSummary,
} from './types.js';

export interface ObjectStoreDeskOptions {
  /** Where accepted files go, as submissions/<student>/<id>.json. */
  submissions: ObjectStore;
  /** Where their results appear, as results/<student>/<id>.json. */
  results: ObjectStore;
  rubric?: Rubric;
  /**
   * Called once the file is stored. Locally it hands the upload to intake; on AWS nothing is
   * needed, since S3's event starts the same path as a file staff upload directly.
   */
  onStored?: (key: string) => Promise<void>;
  /** What the local job runner knows of a submission it holds (queued or training). */
  progressOf?: (resultKey: string) => SubmissionProgress | 'queued' | undefined;
  newId?: (now: number) => string;
}

export const submissionKeyOf = (student: string, id: string) => `submissions/${student}/${id}.json`;
export const resultKeyOf = (student: string, id: string) => `results/${student}/${id}.json`;

/**
 * The submission desk on the object stores the pipeline already uses: a submission is its
 * object, and its status is read from its result file (none yet: queued; a checkpoint:
 * running; a final result: its outcome).
 */
export class ObjectStoreDesk implements SubmissionDesk {
  private readonly rubric: Rubric;
  private readonly maxScore: number;

  constructor(private readonly options: ObjectStoreDeskOptions) {
    this.rubric = options.rubric ?? DEFAULT_RUBRIC;
    this.maxScore = this.rubric.tasks.reduce((sum, task) => sum + task.points, 0);
  }

  async submit(student: string, bytes: Uint8Array, now: number): Promise<{ id: string }> {
    const id = (this.options.newId ?? newSubmissionId)(now);
    const key = submissionKeyOf(student, id);
    const created = await this.options.submissions.put(key, bytes, {
      contentType: 'application/json',
      ifNoneMatch: true,
    });
    if (!created) throw new Error(`submission id ${id} is already taken`);
    await this.options.onStored?.(key);
    return { id };
  }

  async list(student: string): Promise<SubmissionSummary[]> {
    const prefix = `submissions/${student}/`;
    const ids = (await this.options.submissions.list(prefix))
      .map((key) => key.slice(prefix.length))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter(isSubmissionId)
      .sort()
      .reverse();
    return Promise.all(
      ids.map(async (id) => {
        const detail = await this.detail(student, id);
        return {
          id,
          submitted_at: detail.submitted_at,
          status: detail.status,
          score: detail.result?.extra_data.complete ? detail.result.score : null,
          max_score: this.maxScore,
        };
      }),
    );
  }

  async get(student: string, id: string): Promise<SubmissionDetail | undefined> {
    if (!isSubmissionId(id)) return undefined;
    const exists = await this.options.submissions.list(submissionKeyOf(student, id));
    if (!exists.includes(submissionKeyOf(student, id))) return undefined;
    return this.detail(student, id);
  }

  private async detail(student: string, id: string): Promise<SubmissionDetail> {
    const resultKey = resultKeyOf(student, id);
    const bytes = await this.options.results.get(resultKey);
    let result: ResultFile | null = null;
    if (bytes !== undefined) {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (isResultFile(parsed)) result = parsed;
    }
    const known = this.options.progressOf?.(resultKey);
    const status = statusOf(result, known);
    return {
      id,
      submitted_at: submittedAt(id) ?? '',
      status,
      result,
      progress: status === 'running' ? progressOf(result, known, this.rubric) : null,
    };
  }
}

function statusOf(
  result: ResultFile | null,
  known: SubmissionProgress | 'queued' | undefined,
): SubmissionStatus {
  if (result === null) return known !== undefined && known !== 'queued' ? 'running' : 'queued';
  if (!result.extra_data.complete) return 'running';
  return result.extra_data.outcome;
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
