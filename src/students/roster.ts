import { RosterError } from './errors.js';
import { STUDENT_NAME } from './tokens.js';

/**
 * Student names from a roster CSV: the first column of each line, or the column headed
 * "student" (also "name", "login", "username") when the first line is a header. Blank lines
 * and lines starting with "#" are skipped; duplicates are an error, so no one gets two tokens.
 */
export function parseRoster(text: string): string[] {
  const rows = text
    .split(/\r?\n/)
    .map((line, index) => ({ line: index + 1, cells: splitCsvLine(line) }))
    .filter((row) => row.cells.some((cell) => cell !== '') && !row.cells[0]?.startsWith('#'));
  const first = rows[0];
  if (!first) throw new RosterError('the roster names no students');
  let column = 0;
  const header = first.cells.map((cell) => cell.toLowerCase());
  const named = ['student', 'name', 'login', 'username'].map((h) => header.indexOf(h));
  const headed = named.find((index) => index >= 0);
  if (headed !== undefined) {
    column = headed;
    rows.shift();
  } else if (!STUDENT_NAME.test(first.cells[0] ?? '')) {
    throw new RosterError(
      `line ${first.line}: "${first.cells[0]}" is neither a student name nor a header with a "student" column`,
    );
  }
  const seen = new Map<string, number>();
  const names: string[] = [];
  for (const row of rows) {
    const name = row.cells[column] ?? '';
    if (!STUDENT_NAME.test(name)) {
      throw new RosterError(
        `line ${row.line}: "${name}" is not a valid student name (1-64 letters, digits, ".", "_" or "-")`,
      );
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new RosterError(`line ${row.line}: ${name} is listed again (first on line ${earlier})`);
    }
    seen.set(name, row.line);
    names.push(name);
  }
  if (names.length === 0) throw new RosterError('the roster names no students');
  return names;
}

/** One CSV line's cells: commas separate, double quotes enclose, "" is a quote. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += char;
  }
  cells.push(cell.trim());
  return cells;
}
