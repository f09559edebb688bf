import { describe, expect, it } from 'vitest';
import {
  CHOSEN_ID_PATTERN,
  jobNameFor,
  newSubmissionId,
  resultKeyOf,
  SUBMISSION_ID_PATTERN,
  shareIdentifierFor,
  submissionIdFor,
  submissionKeyOf,
} from '../../src/state/index.js';

function idOf(ref: Parameters<typeof submissionIdFor>[0]) {
  const found = submissionIdFor(ref);
  if ('notASubmission' in found) throw new Error(found.notASubmission);
  return found;
}

describe('submission ids', () => {
  it('gives a redelivered event the same id, and another version of the key another', () => {
    // Prepare
    const key = 'submissions/alice/tiny.json';
    // Act
    const first = idOf({ key, versionId: 'v1' });
    const redelivered = idOf({ key, versionId: 'v1' });
    const reupload = idOf({ key, versionId: 'v2' });
    const unversioned = idOf({ key, sequencer: '0A1', eTag: 'e1' });
    const unversionedAgain = idOf({ key, sequencer: '0A2', eTag: 'e1' });
    // Assess
    expect(redelivered.id).toBe(first.id);
    expect(reupload.id).not.toBe(first.id);
    expect(unversionedAgain.id).not.toBe(unversioned.id);
    expect(first).toMatchObject({ student: 'alice', upload: 'version:v1' });
    expect(first.id).toMatch(/^tiny-[0-9a-f]{12}$/);
  });

  it('keeps the id the API chose, with a fallback for another upload under that key', () => {
    // Prepare
    const id = newSubmissionId(Date.parse('2026-12-02T07:34:55.123Z'), () => new Uint8Array(5));
    // Act
    const found = idOf({ key: submissionKeyOf('alice', id), versionId: 'v1' });
    // Assess
    expect(id).toBe('20261202T073455123Z-aaaaaaaa');
    expect(found.id).toBe(id);
    expect(found.fallbackId).toMatch(SUBMISSION_ID_PATTERN);
    expect(found.fallbackId).not.toBe(id);
  });

  it('makes ids that sort by time and fit every key grammar', () => {
    // Prepare
    const earlier = newSubmissionId(Date.parse('2026-12-02T07:00:00Z'));
    const later = newSubmissionId(Date.parse('2026-12-02T07:00:00.001Z'));
    // Act
    const odd = [
      'my+net.json',
      '100%.json',
      'réseau 🚀.json',
      'notes.txt',
      `${'x'.repeat(300)}.json`,
    ];
    const ids = odd.map((name) => idOf({ key: `submissions/bob/${name}`, versionId: 'v' }).id);
    // Assess
    expect(earlier < later).toBe(true);
    expect(earlier).toMatch(CHOSEN_ID_PATTERN);
    for (const id of ids) expect(id).toMatch(SUBMISSION_ID_PATTERN);
    expect(new Set(ids).size).toBe(odd.length);
    expect(resultKeyOf('bob', ids[0] ?? '')).toBe(`results/bob/${ids[0]}.json`);
  });

  it('says why a key is not a submission', () => {
    // Act
    const outside = submissionIdFor({ key: 'results/alice/x.json' });
    const noStudent = submissionIdFor({ key: 'submissions/x.json' });
    const badStudent = submissionIdFor({ key: 'submissions/../x.json' });
    // Assess
    expect(outside).toEqual({ notASubmission: 'it is outside submissions/' });
    expect(noStudent).toHaveProperty('notASubmission');
    expect(badStudent).toHaveProperty('notASubmission');
  });

  it('names jobs and shares within what Batch allows, distinct per student', () => {
    // Act
    const name = jobNameFor('a.b-c_d', `${'x'.repeat(55)}`);
    const shares = ['alice', 'a.b', 'ab', 'a_b'].map(shareIdentifierFor);
    // Assess
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    expect(jobNameFor('alice', 'x-1')).toBe(jobNameFor('alice', 'x-1'));
    expect(jobNameFor('alice', 'x-1')).not.toBe(jobNameFor('alice', 'x-2'));
    for (const share of shares) expect(share).toMatch(/^[A-Za-z0-9]{1,255}$/);
    expect(new Set(shares).size).toBe(shares.length);
    expect(shares[0]).toBe('alice');
  });
});
