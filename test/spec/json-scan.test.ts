import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineAndColumn, scanJson } from '../../src/spec/json-scan.js';

/** Well-formed JSON the scanner must accept (JSON.parse agrees). */
const ACCEPTED = [
  { description: 'an object', data: '{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]}' },
  { description: 'empty containers', data: '{"a": {}, "b": []}' },
  { description: 'surrounding whitespace', data: ' \r\n\t{ }\n ' },
  { description: 'brackets inside strings', data: '{"a": "[[[{{{"}' },
  { description: 'escaped quotes and slashes', data: '["\\"", "\\\\", "\\/"]' },
  { description: 'a bare value', data: '-0.0e-0' },
  { description: 'non-ASCII text', data: '{"name": "réseau 🙂"}' },
];

/** Malformed JSON and where the scanner must say the problem is. */
const REFUSED = [
  {
    description: 'a missing comma',
    data: '{"a": 1\n "b": 2}',
    says: "line 2, column 2: expected ',' or '}' after a property value, found '\"'",
  },
  {
    description: 'a trailing comma',
    data: '[1,\n2,\n]',
    says: "line 3, column 1: a trailing comma before ']'",
  },
  {
    description: 'an unclosed array',
    data: '[1, 2',
    says: 'the file ends inside an array opened at line 1, column 1',
  },
  {
    description: 'an unclosed string',
    data: '{"a": "b',
    says: 'line 1, column 7: a string is not closed',
  },
  {
    description: 'a missing colon',
    data: '{"a" 1}',
    says: 'line 1, column 6: expected \':\' after the property name "a"',
  },
  {
    description: 'a key without quotes',
    data: '{a: 1}',
    says: 'expected a property name in double quotes',
  },
  { description: 'a lone minus', data: '[-]', says: 'invalid number "-"' },
  { description: 'a decimal point without digits', data: '[1.]', says: 'invalid number "1."' },
  { description: 'a short unicode escape', data: '["\\u12"]', says: 'four hexadecimal digits' },
  {
    description: 'a duplicate key',
    data: '{"a": 1, "a": 2}',
    says: 'line 1, column 10: duplicate key "a"',
  },
  {
    description: 'a duplicate key spelt with an escape',
    data: '{"type": 1, "\\u0074ype": 2}',
    says: 'duplicate key "type"',
  },
  { description: 'a stray closing bracket', data: '{"a": ]}', says: "expected a value, found ']'" },
  { description: 'TRUE in capitals', data: '[TRUE]', says: "found 'T'" },
  { description: 'a non-breaking space', data: '{\u00a0}', says: 'U+00A0' },
];

describe('scanJson', () => {
  it.each(ACCEPTED)('accepts $description', ({ data }) => {
    // Act
    const error = scanJson(data, 64);
    // Assess
    expect(error).toBeUndefined();
    expect(() => JSON.parse(data)).not.toThrow();
  });

  it.each(REFUSED)('refuses $description', ({ data, says }) => {
    // Act
    const error = scanJson(data, 64);
    // Assess
    expect(error?.message).toContain(says);
    expect(error?.tooDeep).toBe(false);
  });

  it('refuses nesting one level past the limit, and accepts it at the limit', () => {
    // Prepare
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    // Act
    const atLimit = scanJson(nested(10), 10);
    const past = scanJson(nested(11), 10);
    // Assess
    expect(atLimit).toBeUndefined();
    expect(past).toMatchObject({ tooDeep: true, line: 1, column: 11 });
  });

  it('agrees with JSON.parse on arbitrary JSON and arbitrary text', () => {
    // Prepare
    const text = fc.oneof(
      fc.json(),
      fc.string(),
      fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
      fc
        .tuple(fc.json(), fc.nat(), fc.string({ maxLength: 2 }))
        .map(([j, at, s]) => j.slice(0, at) + s + j.slice(at)),
    );
    // Act & Assess
    fc.assert(
      fc.property(text, (data) => {
        let parses = true;
        try {
          JSON.parse(data);
        } catch {
          parses = false;
        }
        // Duplicate keys are valid for JSON.parse but refused here on purpose.
        const error = scanJson(data, 1000);
        if (error?.message.includes('duplicate key')) return;
        expect(error === undefined).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts lines and columns from 1', () => {
    // Act & Assess
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
