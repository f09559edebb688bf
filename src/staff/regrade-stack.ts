import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchLauncher, routeByTrainingWork } from '../launch/index.js';
import { type IntakeDeps, type Logger, startRegrade, storesOn } from '../pipeline/index.js';
import {
  createDynamoDbStateStore,
  newRegradeId,
  resultKeyOf,
  type SubmissionStateStore,
  submissionIdFor,
} from '../state/index.js';
import { StaffCommandError } from './errors.js';
import type { RegradeTarget } from './regrade.js';
import type { DeployedStack } from './stack.js';

export interface StackRegradeDeps {
  s3: S3Client;
  batch?: BatchClient;
  /** The client for the stack's records table. */
  dynamodb?: DynamoDBClient;
  /** The records themselves, instead of the stack's table on `dynamodb`. */
  state?: SubmissionStateStore;
  now?: () => number;
  log?: Logger;
}

/** What became of one target's regrade. */
export interface SubmittedRegrade {
  target: RegradeTarget;
  /** The regrade's own submission id, and the id of the submission it grades again. */
  id: string;
  regradeOf: string;
  submissionKey: string;
  versionId?: string;
  /** The regrade's own result key: results/<student>/<id>.json. */
  resultKey: string;
  /**
   * queued: its job was submitted; rejected: the file is invalid under this rubric (the
   * rejection is its result); error: it could not be started now (detail says why; once the
   * record exists the sweeper finishes its intake).
   */
  status: 'queued' | 'rejected' | 'error';
  jobId?: string;
  detail?: string;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Intake's collaborators for the deployed stack, as on-submission has them. */
function stackIntakeDeps(stack: DeployedStack, deps: StackRegradeDeps): IntakeDeps {
  const state =
    deps.state ??
    (stack.stateTable
      ? createDynamoDbStateStore({
          tableName: stack.stateTable,
          ...(deps.dynamodb ? { client: deps.dynamodb } : {}),
        })
      : undefined);
  if (!state) {
    throw new StaffCommandError(
      `stack ${stack.name} has no output SubmissionTableName: redeploy it from this version to regrade through its submission records`,
    );
  }
  const storeFor = storesOn(deps.s3);
  const { cpuRoute } = stack;
  return {
    submissionsBucket: stack.submissionsBucket,
    resultsBucket: stack.resultsBucket,
    submissions: storeFor(stack.submissionsBucket),
    results: storeFor(stack.resultsBucket),
    state,
    launcher: new BatchLauncher({
      jobQueue: stack.jobQueueArn,
      jobDefinition: stack.jobDefinitionArn,
      ...(cpuRoute
        ? {
            cpu: { jobQueue: cpuRoute.jobQueueArn, jobDefinition: cpuRoute.jobDefinitionArn },
            route: routeByTrainingWork(cpuRoute.maxTrainingMacs),
          }
        : {}),
      ...(deps.batch ? { client: deps.batch } : {}),
    }),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  };
}

/**
 * The id of the submission a key and version are: its record's, when the records have one for
 * exactly that upload, else the id intake's one rule gives that upload.
 */
async function originalId(
  state: SubmissionStateStore,
  student: string,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Promise<string> {
  const record = (await state.listByStudent(student)).find(
    (r) =>
      r.regrade_of === undefined &&
      r.object.bucket === bucket &&
      r.object.key === key &&
      (versionId === undefined || r.object.version_id === versionId),
  );
  if (record) return record.id;
  const identified = submissionIdFor({ key, ...(versionId ? { versionId } : {}) });
  if ('notASubmission' in identified) {
    throw new StaffCommandError(`${key} is not a submission: ${identified.notASubmission}`);
  }
  return identified.id;
}

/**
 * Grades each target again on the stack through the submission lifecycle: for each, a new
 * submission record (a new id, marked regrade_of the original) for the exact version of the
 * upload, whose job intake starts exactly as for an upload. Its result goes to its own key, so
 * nothing is overwritten; on-job-state, the sweeper, `status` and the student's history see it
 * like any submission. A target that cannot be started is reported and the rest go on.
 */
export async function regradeOnStack(
  stack: DeployedStack,
  targets: readonly RegradeTarget[],
  deps: StackRegradeDeps,
): Promise<SubmittedRegrade[]> {
  const intake = stackIntakeDeps(stack, deps);
  const now = deps.now ?? Date.now;
  const submitted: SubmittedRegrade[] = [];
  for (const target of targets) {
    const submissionKey = `${stack.uploadPrefix}${target.key}`;
    const id = newRegradeId(now());
    const base = {
      target,
      id,
      submissionKey,
      resultKey: resultKeyOf(target.student, id),
    };
    let versionId: string | undefined;
    let regradeOf = '';
    try {
      const head = await deps.s3.send(
        new HeadObjectCommand({ Bucket: stack.submissionsBucket, Key: submissionKey }),
      );
      versionId = head.VersionId && head.VersionId !== 'null' ? head.VersionId : undefined;
      regradeOf = await originalId(
        intake.state,
        target.student,
        stack.submissionsBucket,
        submissionKey,
        versionId,
      );
    } catch (error) {
      submitted.push({
        ...base,
        regradeOf,
        status: 'error',
        detail: `cannot read s3://${stack.submissionsBucket}/${submissionKey} or its record: ${reasonOf(error)}`,
      });
      continue;
    }
    const found = { ...base, regradeOf, ...(versionId ? { versionId } : {}) };
    try {
      const outcome = await startRegrade(
        {
          student: target.student,
          id,
          regradeOf,
          object: {
            bucket: stack.submissionsBucket,
            key: submissionKey,
            ...(versionId ? { versionId } : {}),
          },
        },
        intake,
      );
      if (outcome.status === 'launched') {
        submitted.push({ ...found, status: 'queued', jobId: outcome.jobId });
      } else if (outcome.status === 'rejected') {
        const first = outcome.errors[0];
        submitted.push({
          ...found,
          status: 'rejected',
          detail: first ? `${first.path || '/'}: ${first.message}` : 'invalid',
        });
      } else {
        submitted.push({ ...found, status: 'error', detail: `intake said ${outcome.status}` });
      }
    } catch (error) {
      submitted.push({
        ...found,
        status: 'error',
        detail: `${reasonOf(error)} (if its record was created, the sweeper starts its job on a later run)`,
      });
    }
  }
  return submitted;
}
