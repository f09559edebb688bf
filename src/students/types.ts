/** A student's stored identity: the name staff gave and the hash of their current token. */
export interface StudentRecord {
  student: string;
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  token_sha256: string;
  created_at: string;
  /** Set once the token is revoked; a revoked student cannot call the API until re-added. */
  revoked_at: string | null;
}

/** Who made a request, as an Authenticator established it. */
export interface Principal {
  student: string;
  /** How they proved it; "token" today, an OIDC or LMS method later. */
  method: 'token';
}

/**
 * The one interface the API's handlers authenticate through. A token authenticator is the only
 * one today; an institution's single sign-on (OIDC JWTs) or an LMS launch would be another
 * implementation, with no change to the handlers.
 */
export interface Authenticator {
  /** The principal, or undefined for a missing, malformed, unknown or revoked credential. */
  authenticate(request: { authorization?: string | undefined }): Promise<Principal | undefined>;
}

/** Students and their token hashes: files under --state locally, DynamoDB on AWS. */
export interface StudentsStore {
  /** Adds a student with a token hash; throws StudentExistsError while they hold an unrevoked token. */
  add(entry: { student: string; tokenSha256: string; createdAt: string }): Promise<void>;
  /** The student a token hash belongs to, and whether it was revoked; undefined when unknown. */
  findByTokenHash(tokenSha256: string): Promise<{ student: string; revoked: boolean } | undefined>;
  list(): Promise<StudentRecord[]>;
  /** Revokes the student's token; false when there is no such student or it was already revoked. */
  revoke(student: string, at: string): Promise<boolean>;
}

/** What a student's quota looks like at one moment (the API's "quota" object). */
export interface QuotaState {
  limit: number;
  used: number;
  remaining: number;
  /** When the oldest counted submission leaves the window (ISO time); null when none counts. */
  resets_at: string | null;
}

export type QuotaDecision =
  | { allowed: true; state: QuotaState; slot: number }
  | { allowed: false; state: QuotaState; retryAfterSeconds: number };

/** Per-student submission slots in a rolling window, taken atomically. */
export interface QuotaStore {
  /** Takes a slot at `now` if fewer than `limit` fall inside the window; atomic per student. */
  take(student: string, now: number, limit: number, windowMs: number): Promise<QuotaDecision>;
  /** Gives back a slot taken at `slot` (its submission could not be stored after all). */
  release(student: string, slot: number): Promise<void>;
  /** The slots inside the window at `now`, oldest first. */
  slots(student: string, now: number, windowMs: number): Promise<number[]>;
}
