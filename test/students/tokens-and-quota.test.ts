import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  hashToken,
  issueToken,
  parseRoster,
  QUOTA_WINDOW_MS,
  quotaState,
  takeSlot,
} from '../../src/students/index.js';

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2026-12-01T12:00:00Z');

describe('personal tokens', () => {
  it('carry 256 random bits, so two are never alike', () => {
    // Act
    const tokens = Array.from({ length: 200 }, () => issueToken());
    // Assess
    expect(new Set(tokens).size).toBe(200);
    for (const token of tokens) {
      expect(token).toMatch(/^agt_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    }
  });

  it('are stored as their SHA-256, which does not contain the token', () => {
    // Prepare
    const token = issueToken(() => new Uint8Array(32).fill(7));
    // Act
    const hash = hashToken(token);
    // Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(hashToken(token));
    expect(hash).not.toContain(token.slice(4));
    expect(hashToken(`${token}x`)).not.toBe(hash);
  });

  it.each([
    { description: 'a bearer header', header: `Bearer ${'agt_'}${'a'.repeat(43)}`, valid: true },
    { description: 'lower-case scheme', header: `bearer agt_${'b'.repeat(43)}`, valid: true },
    { description: 'no header', header: undefined, valid: false },
    { description: 'basic auth', header: `Basic agt_${'a'.repeat(43)}`, valid: false },
    { description: 'no prefix', header: `Bearer ${'a'.repeat(47)}`, valid: false },
    { description: 'too short', header: `Bearer agt_${'a'.repeat(42)}`, valid: false },
    { description: 'two tokens', header: `Bearer agt_${'a'.repeat(43)} agt_x`, valid: false },
  ])('reads $description from Authorization: $valid', ({ header, valid }) => {
    // Act
    const token = bearerToken(header);
    // Assess
    expect(token !== undefined).toBe(valid);
  });
});

describe('quota over a rolling 24 hours', () => {
  it('allows up to the limit and counts what it took', () => {
    // Prepare
    const slots = [T0 - 3 * HOUR, T0 - 2 * HOUR];
    // Act
    const outcome = takeSlot(slots, T0, 3, QUOTA_WINDOW_MS);
    // Assess
    expect(outcome).toMatchObject({
      allowed: true,
      slots: [...slots, T0],
      state: { limit: 3, used: 3, remaining: 0, resets_at: '2026-12-02T09:00:00.000Z' },
    });
  });

  it('refuses the slot after the last and says when the oldest frees', () => {
    // Prepare
    const slots = [T0 - 23 * HOUR, T0 - HOUR];
    // Act
    const outcome = takeSlot(slots, T0, 2, QUOTA_WINDOW_MS);
    // Assess
    expect(outcome).toEqual({
      allowed: false,
      retryAfterSeconds: 3600,
      state: { limit: 2, used: 2, remaining: 0, resets_at: '2026-12-01T13:00:00.000Z' },
    });
  });

  it('frees a slot exactly 24 hours after it was taken, not a millisecond earlier', () => {
    // Prepare
    const slots = [T0];
    // Act
    const before = takeSlot(slots, T0 + QUOTA_WINDOW_MS - 1, 1, QUOTA_WINDOW_MS);
    const at = takeSlot(slots, T0 + QUOTA_WINDOW_MS, 1, QUOTA_WINDOW_MS);
    // Assess
    expect(before).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(at).toMatchObject({ allowed: true, slots: [T0 + QUOTA_WINDOW_MS] });
  });

  it('after a lowered limit, waits for enough old slots to leave', () => {
    // Prepare: 4 used, the limit is now 2, so the third oldest must leave first.
    const slots = [T0 - 20 * HOUR, T0 - 10 * HOUR, T0 - 5 * HOUR, T0 - HOUR];
    // Act
    const outcome = takeSlot(slots, T0, 2, QUOTA_WINDOW_MS);
    // Assess
    expect(outcome).toMatchObject({ allowed: false, retryAfterSeconds: 19 * 3600 });
  });

  it('shows an empty quota with nothing to reset', () => {
    // Act
    const state = quotaState([T0 - 25 * HOUR], T0, 10, QUOTA_WINDOW_MS);
    // Assess
    expect(state).toEqual({ limit: 10, used: 0, remaining: 10, resets_at: null });
  });
});

describe('roster CSV', () => {
  it('reads a headed roster by its student column, quotes and all', () => {
    // Act
    const names = parseRoster('name,student,email\n"Ann, B",ann,a@x\n\n# dropped\nBo,bo.k,b@x\n');
    // Assess
    expect(names).toEqual(['ann', 'bo.k']);
  });

  it('reads a bare list of names', () => {
    // Act / Assess
    expect(parseRoster('alice\r\nbob\r\n')).toEqual(['alice', 'bob']);
  });

  it.each([
    { roster: 'alice\nalice\n', message: 'line 2: alice is listed again (first on line 1)' },
    { roster: 'student\nok\nnot ok\n', message: 'line 3: "not ok" is not a valid student name' },
    { roster: '\n\n', message: 'the roster names no students' },
    { roster: 'First Name,Email\n', message: 'neither a student name nor a header' },
  ])('refuses $roster with a message naming the line', ({ roster, message }) => {
    // Act / Assess
    expect(() => parseRoster(roster)).toThrow(message);
  });
});
