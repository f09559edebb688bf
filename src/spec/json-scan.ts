/**
 * A single-pass JSON syntax check that runs before JSON.parse.
 *
 * JSON.parse recurses, so hostile nesting could overflow the stack, and its messages carry no
 * line or column. This scanner is iterative, refuses nesting beyond `maxDepth` and duplicate keys
 * (JSON.parse would silently keep the last), and names the first syntax error by line and column.
 * It accepts exactly RFC 8259 JSON, so JSON.parse cannot fail after it.
 */

export interface ScanError {
  message: string;
  /** True when the nesting limit, not the syntax, stopped the scan. */
  tooDeep: boolean;
  line: number;
  column: number;
}

enum Container {
  Object = 0,
  Array = 1,
}

interface Open {
  kind: Container;
  offset: number;
  keys?: Set<string>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings; this range finds them.
const STRING_BODY = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

class Fail {
  constructor(
    readonly offset: number,
    readonly message: string,
    readonly tooDeep = false,
  ) {}
}

/** Returns undefined when `text` is one well-formed JSON value within the depth limit. */
export function scanJson(text: string, maxDepth: number): ScanError | undefined {
  try {
    scan(text, maxDepth);
    return undefined;
  } catch (error) {
    if (!(error instanceof Fail)) throw error;
    const { line, column } = lineAndColumn(text, error.offset);
    return {
      message: `line ${line}, column ${column}: ${error.message}`,
      tooDeep: error.tooDeep,
      line,
      column,
    };
  }
}

function scan(text: string, maxDepth: number): void {
  const n = text.length;
  const stack: Open[] = [];
  let i = skipWhitespace(text, 0);
  if (i >= n) throw new Fail(i, 'the file is empty; expected a JSON object');

  for (;;) {
    // Expect a value at i.
    const c = text.charCodeAt(i);
    let closedValue = true;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        throw new Fail(i, `nesting is deeper than ${maxDepth} levels`, true);
      }
      const kind = c === 0x7b ? Container.Object : Container.Array;
      const close = kind === Container.Object ? 0x7d : 0x5d;
      const open: Open = { kind, offset: i };
      i = skipWhitespace(text, i + 1);
      if (text.charCodeAt(i) === close) {
        i += 1;
      } else {
        stack.push(open);
        if (kind === Container.Object) {
          open.keys = new Set();
          i = readKey(text, i, open.keys);
        }
        closedValue = false;
      }
    } else if (c === 0x22 /* " */) {
      i = readString(text, i);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      i = readNumber(text, i);
    } else if (text.startsWith('true', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else if (text.startsWith('null', i)) {
      i += 4;
    } else {
      throw new Fail(i, unexpectedValue(text, i));
    }
    if (!closedValue) continue;

    // After a value: a separator, a closing bracket, or the end.
    for (;;) {
      i = skipWhitespace(text, i);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (i < n) {
          throw new Fail(i, `unexpected ${describeAt(text, i)} after the end of the JSON value`);
        }
        return;
      }
      const ch = text.charCodeAt(i);
      const close = top.kind === Container.Object ? 0x7d : 0x5d;
      if (ch === close) {
        stack.pop();
        i += 1;
        continue;
      }
      if (ch === 0x2c /* , */) {
        i = skipWhitespace(text, i + 1);
        if (text.charCodeAt(i) === close) {
          throw new Fail(
            i,
            `a trailing comma before '${String.fromCharCode(close)}' (JSON does not allow it)`,
          );
        }
        if (top.kind === Container.Object && top.keys) i = readKey(text, i, top.keys);
        break;
      }
      if (i >= n) {
        const { line, column } = lineAndColumn(text, top.offset);
        const what = top.kind === Container.Object ? 'an object' : 'an array';
        throw new Fail(i, `the file ends inside ${what} opened at line ${line}, column ${column}`);
      }
      const expected = top.kind === Container.Object ? "',' or '}'" : "',' or ']'";
      const after = top.kind === Container.Object ? 'a property value' : 'an array element';
      throw new Fail(i, `expected ${expected} after ${after}, found ${describeAt(text, i)}`);
    }
  }
}

/** Reads `"key" :` and returns the offset of the value that follows. */
function readKey(text: string, start: number, keys: Set<string>): number {
  if (text.charCodeAt(start) !== 0x22) {
    const hint = text.charCodeAt(start) === 0x27 ? ' (JSON strings use double quotes)' : '';
    throw new Fail(
      start,
      `expected a property name in double quotes, found ${describeAt(text, start)}${hint}`,
    );
  }
  const end = readString(text, start);
  const raw = text.slice(start + 1, end - 1);
  // Compare decoded keys, so "\u0074ype" cannot smuggle in a second "type".
  const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
  if (keys.has(key))
    throw new Fail(start, `duplicate key ${JSON.stringify(key)} in the same object`);
  keys.add(key);
  const colon = skipWhitespace(text, end);
  if (text.charCodeAt(colon) !== 0x3a) {
    throw new Fail(
      colon,
      `expected ':' after the property name "${raw}", found ${describeAt(text, colon)}`,
    );
  }
  return skipWhitespace(text, colon + 1);
}

/** Returns the offset just past the closing quote. */
function readString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    STRING_BODY.lastIndex = i;
    STRING_BODY.test(text);
    i = STRING_BODY.lastIndex;
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (Number.isNaN(c)) throw new Fail(start, 'a string is not closed before the end of the file');
    if (c === 0x5c /* \ */) {
      const e = text.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        HEX4.lastIndex = i + 2;
        if (!HEX4.test(text)) throw new Fail(i, 'a \\u escape needs four hexadecimal digits');
        i += 6;
      } else if (i + 1 < text.length && '"\\/bfnrt'.includes(text.charAt(i + 1))) {
        i += 2;
      } else {
        throw new Fail(i, `invalid escape ${JSON.stringify(text.slice(i, i + 2))} in a string`);
      }
      continue;
    }
    throw new Fail(i, `a control character (${codePointName(c)}) inside a string; escape it`);
  }
}

function readNumber(text: string, start: number): number {
  NUMBER.lastIndex = start;
  const matched = NUMBER.test(text) && NUMBER.lastIndex > start;
  const end = matched ? NUMBER.lastIndex : start;
  const next = text.charCodeAt(end);
  // "-", "01", "1.", "1e", "1x": the grammar stops early; name the whole would-be number.
  const runsOn =
    (next >= 0x30 && next <= 0x39) ||
    next === 0x2e ||
    next === 0x2b ||
    next === 0x2d ||
    isWordChar(next);
  if (!matched || runsOn) {
    let stop = start + 1;
    while (stop < text.length && stop - start < 40 && /[0-9A-Za-z.+-]/.test(text.charAt(stop)))
      stop++;
    throw new Fail(start, `invalid number ${JSON.stringify(text.slice(start, stop))}`);
  }
  return end;
}

function isWordChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function skipWhitespace(text: string, start: number): number {
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i += 1;
    else return i;
  }
}

function unexpectedValue(text: string, i: number): string {
  if (i >= text.length) return 'the file ends where a value is expected';
  const c = text.charAt(i);
  if (c === '/') return 'comments are not allowed in JSON';
  if (c === "'") return 'JSON strings use double quotes, not single quotes';
  if (c === '}' || c === ']') return `expected a value, found '${c}'`;
  if (/^(NaN|Infinity|-Infinity|undefined)/.test(text.slice(i, i + 9))) {
    return `${text.slice(i).match(/^-?\w+/)?.[0]} is not a JSON value; write a number`;
  }
  return `expected a JSON value, found ${describeAt(text, i)}`;
}

function describeAt(text: string, i: number): string {
  if (i >= text.length) return 'the end of the file';
  const c = text.codePointAt(i) ?? 0;
  // Invisible or look-alike characters are named by code point, so the student can find them.
  if (c < 0x21 || (c >= 0x7f && c <= 0xa0) || /\s/u.test(String.fromCodePoint(c)) || c === 0xfeff) {
    return codePointName(c);
  }
  return `'${String.fromCodePoint(c)}'`;
}

function codePointName(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** 1-based line and column (in UTF-16 code units, as editors count) of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}
