/** JSON pointers (RFC 6901), the paths every SpecError carries. */

/** Escapes one reference token: "~" becomes "~0" and "/" becomes "~1". */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return /[~/]/.test(text) ? text.replaceAll('~', '~0').replaceAll('/', '~1') : text;
}

/** Appends reference tokens to a pointer: pointer('/experiments', 0, 'layers') is "/experiments/0/layers". */
export function pointer(base: string, ...tokens: Array<string | number>): string {
  let out = base;
  for (const token of tokens) out += `/${escapePointerToken(token)}`;
  return out;
}

/** Splits a pointer into its unescaped tokens; "" (the whole document) has none. */
export function pointerTokens(path: string): string[] {
  if (path === '') return [];
  const tokens = path.slice(1).split('/');
  if (!path.includes('~')) return tokens;
  return tokens.map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}
