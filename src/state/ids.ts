import { createHash, randomBytes } from 'node:crypto';

/** Object prefixes: uploads under one, result files under the other. */
export const SUBMISSIONS_PREFIX = 'submissions/';
export const RESULTS_PREFIX = 'results/';

/** A student's name: the folder under submissions/ and results/, and the Batch share. */
export const STUDENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Every submission id: letters, digits, "-" and "_", at most 56, so that result keys, file
 * names and Batch job names built from it stay within every store's grammar.
 */
export const SUBMISSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,55}$/;

/** An id the API chose at upload time (see newSubmissionId): UTC time, then 8 random chars. */
export const CHOSEN_ID_PATTERN = /^\d{8}T\d{9}Z-[a-z2-7]{8}$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A fresh id for an upload the API stores as submissions/<student>/<id>.json. Ids sort by
 * time as strings (millisecond UTC, e.g. 20261202T073455123Z-k3j9x2ab); 40 random bits keep
 * two uploads in the same millisecond apart.
 */
export function newSubmissionId(
  now: number = Date.now(),
  random: (bytes: number) => Uint8Array = randomBytes,
): string {
  const time = new Date(now).toISOString().replace(/[-:.]/g, '');
  const bits = random(5);
  let value = 0n;
  for (const byte of bits) value = (value << 8n) | BigInt(byte);
  let suffix = '';
  for (let i = 0; i < 8; i++) {
    suffix = BASE32[Number(value & 31n)] + suffix;
    value >>= 5n;
  }
  return `${time}-${suffix}`;
}

/**
 * A fresh id for a staff regrade: a new submission id with "-regrade" after it, so it sorts by
 * time with the student's other ids and says what it is wherever it shows (history, job name).
 */
export function newRegradeId(
  now: number = Date.now(),
  random: (bytes: number) => Uint8Array = randomBytes,
): string {
  return `${newSubmissionId(now, random)}-regrade`;
}

/** An uploaded object as an S3 event (or the API, or a local caller) names it. */
export interface UploadRef {
  key: string;
  versionId?: string;
  /** S3's per-key event order and the object's ETag: name the upload in an unversioned bucket. */
  sequencer?: string;
  eTag?: string;
}

/**
 * Names one exact upload: its version in a versioned bucket, else its event's sequencer and
 * ETag, else only the key (an unversioned store without events: each key is one upload).
 */
export function uploadIdentity(ref: UploadRef): string {
  if (ref.versionId) return `version:${ref.versionId}`;
  if (ref.sequencer || ref.eTag) return `event:${ref.sequencer ?? ''}:${ref.eTag ?? ''}`;
  return 'key';
}

export type SubmissionIdentification =
  | {
      student: string;
      id: string;
      /**
       * Set when `id` is an id the API chose (taken from the file name): the id to use
       * instead if that id's record already belongs to a different upload, as when staff
       * upload other bytes under the same key.
       */
      fallbackId?: string;
      /** uploadIdentity(ref), for the record. */
      upload: string;
    }
  | { notASubmission: string };

/**
 * The one rule that maps an upload to its submission id; redelivered events of one upload get
 * the same id, every other upload a different one.
 * - submissions/<student>/<id>.json where <id> matches CHOSEN_ID_PATTERN (the API's uploads):
 *   that id, so the API knows it before S3 even reports the upload.
 * - any other name under submissions/<student>/ (staff uploads, re-uploads of a key): a
 *   readable slug of the name plus a hash of the key and the upload's identity, so each
 *   version of a key is its own submission.
 * Keys outside submissions/<student>/ with a valid student name are not submissions. The id
 * is computed for any name, even one intake will reject (not .json, odd characters), so a
 * rejection has its own id and result file.
 */
export function submissionIdFor(ref: UploadRef): SubmissionIdentification {
  const { key } = ref;
  if (!key.startsWith(SUBMISSIONS_PREFIX)) {
    return { notASubmission: `it is outside ${SUBMISSIONS_PREFIX}` };
  }
  const rest = key.slice(SUBMISSIONS_PREFIX.length);
  if (rest.endsWith('/')) return { notASubmission: 'it is a folder marker' };
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    return { notASubmission: `it is not under ${SUBMISSIONS_PREFIX}<student>/` };
  }
  const student = rest.slice(0, slash);
  if (!STUDENT_PATTERN.test(student)) {
    return {
      notASubmission: `"${student.slice(0, 80)}" is not a student name (letters, digits, ".", "_", "-"; at most 64)`,
    };
  }
  const name = rest.slice(slash + 1);
  const upload = uploadIdentity(ref);
  const derived = derivedId(key, name, upload);
  const stem = name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined;
  if (stem !== undefined && CHOSEN_ID_PATTERN.test(stem)) {
    return { student, id: stem, fallbackId: derived, upload };
  }
  return { student, id: derived, upload };
}

/** <slug of the name>-<12 hex of sha256(key, upload)>: readable, and unique per upload. */
function derivedId(key: string, name: string, upload: string): string {
  const slug =
    name
      .replace(/\.json$/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'upload';
  const hash = createHash('sha256').update(`${key}\n${upload}`).digest('hex').slice(0, 12);
  return `${slug}-${hash}`;
}

/** results/<student>/<id>.json: the submission's own, immutable result file. */
export function resultKeyOf(student: string, id: string): string {
  return `${RESULTS_PREFIX}${student}/${id}.json`;
}

/** submissions/<student>/<id>.json: where the API stores an upload under an id it chose. */
export function submissionKeyOf(student: string, id: string): string {
  return `${SUBMISSIONS_PREFIX}${student}/${id}.json`;
}

/**
 * The grading job's name: the same for every attempt at the same submission, so a second
 * SubmitJob can be caught by looking the name up first. A hash of student and id keeps names of
 * different submissions apart; the readable tail helps staff in the Batch console.
 * Batch allows 128 letters, digits, "-" and "_".
 */
export function jobNameFor(student: string, id: string): string {
  const hash = createHash('sha256').update(`${student}/${id}`).digest('hex').slice(0, 12);
  return `grade-${hash}-${student.replace(/[^A-Za-z0-9_-]/g, '_')}-${id}`.slice(0, 128);
}

/**
 * The student's Batch fair-share identifier. Batch allows only letters and digits, so a name
 * with ".", "_" or "-" keeps its letters and digits plus a hash that tells such names apart.
 */
export function shareIdentifierFor(student: string): string {
  const plain = student.replace(/[^A-Za-z0-9]/g, '');
  if (plain === student) return student;
  const hash = createHash('sha256').update(student).digest('hex').slice(0, 8);
  return `${plain}x${hash}`;
}
