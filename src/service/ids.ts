import { randomBytes } from 'node:crypto';

/**
 * A submission id: its UTC submission time to the millisecond, then 8 random hex digits,
 * e.g. 20261201T120000123Z-3f9a1c2b. Ids sort by time, name the object
 * submissions/<student>/<id>.json, and carry no characters a path could misread.
 */
const ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{8}$/;

export function newSubmissionId(
  now: number,
  random: (size: number) => Uint8Array = randomBytes,
): string {
  const stamp = new Date(now).toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${Buffer.from(random(4)).toString('hex')}`;
}

export function isSubmissionId(id: string): boolean {
  return ID.test(id);
}

/** When the submission with this id was made (ISO time), or undefined for a malformed id. */
export function submittedAt(id: string): string | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : new Date(iso).toISOString();
}
