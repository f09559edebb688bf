import { DEFAULT_RUBRIC, type Rubric, submissionWarnings } from '../rubric/index.js';
import { validateSubmission } from '../spec/index.js';
import type { ValidationResult } from '../spec/types.js';
import {
  type Authenticator,
  QUOTA_WINDOW_MS,
  type QuotaState,
  type QuotaStore,
  quotaState,
} from '../students/index.js';
import type { ApiRequest, ApiResponse, SubmissionDesk } from './types.js';

/** Rubric's default when it names no quota. */
export const DEFAULT_SUBMISSIONS_PER_DAY = 10;

export interface ApiDeps {
  authenticator: Authenticator;
  desk: SubmissionDesk;
  quotas: QuotaStore;
  rubric?: Rubric;
  /** Overrides the rubric's submissions per rolling 24 hours. */
  quota?: number;
  now?: () => number;
  validate?: (bytes: Uint8Array, rubric: Rubric) => ValidationResult;
  log?: (entry: Record<string, unknown>) => void;
}

/** One message for every credential problem, so a 401 never tells whether a student exists. */
export const UNAUTHORIZED =
  'Missing or invalid token. Paste the personal token your course staff gave you.';

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};

const respond = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  ({ status, body, headers: { ...JSON_HEADERS, ...headers } }) satisfies ApiResponse;

const NOT_FOUND = () => respond(404, { error: 'No such submission.' });

/** The submissions per rolling 24 hours a student gets. */
export function quotaLimit(deps: Pick<ApiDeps, 'rubric' | 'quota'>): number {
  return (
    deps.quota ??
    (deps.rubric ?? DEFAULT_RUBRIC).service?.submissions_per_day ??
    DEFAULT_SUBMISSIONS_PER_DAY
  );
}

/**
 * The students' API (see the design's contract): health, submit, list, read one. Answers every
 * request with JSON and never throws for anything a client can send.
 */
export async function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    return await route(request, deps);
  } catch (error) {
    deps.log?.({ event: 'api-error', path: request.path, error: String(error) });
    return respond(500, { error: 'The service failed to answer; try again in a minute.' });
  }
}

async function route(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const segments = pathSegments(request.path);
  if (segments === undefined || segments[0] !== 'api') return NOT_FOUND();
  const [, collection, id, ...rest] = segments;

  if (collection === 'health' && id === undefined) {
    return request.method === 'GET' ? respond(200, { ok: true }) : notAllowed('GET');
  }
  if (collection !== 'submissions' || rest.length > 0) return NOT_FOUND();

  // Authenticate before anything else, the body included.
  const principal = await deps.authenticator.authenticate({
    authorization: request.headers.authorization,
  });
  if (!principal) {
    return respond(401, { error: UNAUTHORIZED }, { 'www-authenticate': 'Bearer' });
  }
  const { student } = principal;
  const now = (deps.now ?? Date.now)();

  if (id === undefined) {
    if (request.method === 'POST') return submit(request, student, now, deps);
    if (request.method === 'GET') {
      const [submissions, quota] = await Promise.all([
        deps.desk.list(student),
        currentQuota(student, now, deps),
      ]);
      return respond(200, { student, quota, submissions });
    }
    return notAllowed('GET, POST');
  }
  if (request.method !== 'GET') return notAllowed('GET');
  const detail = await deps.desk.get(student, id);
  return detail ? respond(200, detail) : NOT_FOUND();
}

async function submit(
  request: ApiRequest,
  student: string,
  now: number,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const rubric = deps.rubric ?? DEFAULT_RUBRIC;
  const cap = rubric.limits.max_file_bytes;
  const tooLarge = () =>
    respond(413, {
      error: `The file is larger than ${cap} bytes, the most a submission may be.`,
    });
  // Refused before reading when the client says how much is coming, else while reading.
  if (request.body.declaredLength !== undefined && request.body.declaredLength > cap) {
    return tooLarge();
  }
  const bytes = await request.body.read(cap);
  if (bytes === 'too-large') return tooLarge();

  const validation = (deps.validate ?? validateSubmission)(bytes, rubric);
  if (!validation.valid) {
    // Not counted against the quota: nothing is stored or trained.
    return respond(400, { valid: false, errors: validation.errors });
  }

  const limit = quotaLimit(deps);
  const decision = await deps.quotas.take(student, now, limit, QUOTA_WINDOW_MS);
  if (!decision.allowed) {
    const at = new Date(now + decision.retryAfterSeconds * 1000).toISOString();
    return respond(
      429,
      {
        error: `You have used all ${limit} submissions of the last 24 hours. The next one frees at ${at}.`,
        retry_after: decision.retryAfterSeconds,
        quota: decision.state,
      },
      { 'retry-after': String(decision.retryAfterSeconds) },
    );
  }
  let id: string;
  try {
    ({ id } = await deps.desk.submit(student, bytes, now));
  } catch (error) {
    // Nothing was queued: the slot goes back.
    await deps.quotas.release(student, decision.slot);
    throw error;
  }
  deps.log?.({ event: 'submitted', student, id });
  // What will cost points as it stands, the same warnings `validate` prints.
  const warnings = submissionWarnings({
    submission: validation.submission,
    analyses: validation.experiments,
    rubric,
  });
  return respond(201, { id, status: 'queued', quota: decision.state, warnings });
}

async function currentQuota(student: string, now: number, deps: ApiDeps): Promise<QuotaState> {
  const slots = await deps.quotas.slots(student, now, QUOTA_WINDOW_MS);
  return quotaState(slots, now, quotaLimit(deps), QUOTA_WINDOW_MS);
}

function notAllowed(allow: string): ApiResponse {
  return respond(405, { error: `Use ${allow} here.` }, { allow });
}

/**
 * The path's segments, decoded; undefined for anything a path trick could hide in (an encoded
 * slash or backslash, a dot segment, a malformed escape), which the caller answers with 404.
 */
export function pathSegments(path: string): string[] | undefined {
  const raw = path.split('?')[0] ?? '';
  if (!raw.startsWith('/')) return undefined;
  const parts = raw.slice(1).split('/');
  if (parts.at(-1) === '') parts.pop();
  const decoded: string[] = [];
  for (const part of parts) {
    let value: string;
    try {
      value = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
      return undefined;
    }
    decoded.push(value);
  }
  return decoded;
}
