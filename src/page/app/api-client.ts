import type { ResultFile } from '../../rubric/types.js';

export interface Quota {
  limit: number;
  used: number;
  remaining: number;
  resets_at: string | null;
}

export type Status = 'queued' | 'running' | 'graded' | 'rejected' | 'failed';

export interface SubmissionRow {
  id: string;
  submitted_at: string;
  status: Status;
  score: number | null;
  max_score: number;
  /** Only on a staff regrade: the submission it grades again. */
  regrade_of?: string;
}

export interface Progress {
  experiment: string | null;
  experiment_index: number;
  experiments: number;
  epoch: number | null;
  epochs: number | null;
}

export interface SubmissionDetail {
  id: string;
  submitted_at: string;
  status: Status;
  result: ResultFile | null;
  progress?: Progress | null;
  regrade_of?: string;
}

export interface ApiAnswer<T> {
  status: number;
  body: T & { error?: string };
  retryAfter?: number;
}

/** One call to the API with the student's token; network failures answer status 0. */
export async function call<T>(
  token: string,
  method: 'GET' | 'POST',
  path: string,
  body?: Uint8Array,
): Promise<ApiAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: new Blob([body as Uint8Array<ArrayBuffer>]) } : {}),
      cache: 'no-store',
    });
  } catch {
    return {
      status: 0,
      body: { error: 'The service cannot be reached; check your connection.' } as T & {
        error: string;
      },
    };
  }
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch {
    parsed = { error: `The service answered ${response.status} without details.` };
  }
  const retry = Number(response.headers.get('retry-after'));
  return {
    status: response.status,
    body: parsed as T & { error?: string },
    ...(Number.isFinite(retry) && retry > 0 ? { retryAfter: retry } : {}),
  };
}
