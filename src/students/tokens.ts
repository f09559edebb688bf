import { createHash, randomBytes } from 'node:crypto';
import { InvalidStudentNameError } from './errors.js';

/** Student names double as object-key folders, so they follow the keys' grammar. */
export const STUDENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkStudentName(student: string): string {
  if (!STUDENT_NAME.test(student) || student === '.' || student === '..') {
    throw new InvalidStudentNameError(student);
  }
  return student;
}

/** Recognisable in logs and secret scanners; the random part is 256 bits. */
export const TOKEN_PREFIX = 'agt_';
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^agt_[A-Za-z0-9_-]{43}$/;

/** A new personal token: 256 random bits, base64url, with the prefix. */
export function issueToken(random: (size: number) => Uint8Array = randomBytes): string {
  return `${TOKEN_PREFIX}${Buffer.from(random(TOKEN_BYTES)).toString('base64url')}`;
}

/**
 * What is stored instead of the token. A plain SHA-256 is enough: the token is 256 random bits,
 * so there is no dictionary to try and nothing a salt or slow hash would add.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of an "Authorization: Bearer TOKEN" header, or undefined when it is not one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  const token = match?.[1];
  return token !== undefined && TOKEN_SHAPE.test(token) ? token : undefined;
}
