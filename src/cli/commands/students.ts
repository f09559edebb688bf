import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  checkStudentName,
  hashToken,
  issueToken,
  parseRoster,
  StudentError,
  type StudentsStore,
} from '../../students/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { openStudentsStore, STATE_OPTIONS } from '../state-flags.js';
import type { CliIo, Command } from '../types.js';

const USAGE = `autograder students add NAME... [--state DIR | --stack STACK]
       autograder students import ROSTER.csv [--state DIR | --stack STACK]
       autograder students list [--state DIR | --stack STACK]
       autograder students revoke NAME... [--state DIR | --stack STACK]`;

const HELP = `Usage: ${USAGE}

Personal tokens for the student service (the page and API of "autograder serve", or the
deployed stack's). A token is shown once, as a NAME<TAB>TOKEN line; only its SHA-256 is stored.

  add NAME...        issue a token to each student (refused for one who holds a token already)
  import ROSTER.csv  issue tokens to every student of a roster who has none yet: one name per
                     line, or a header with a "student" column; run it again as students enrol
  list               every student, when their token was issued and whether it is revoked
  revoke NAME...     revoke the students' tokens at once; "add" issues them new ones

  --state DIR        the local service's state (default: .autograder-state in this directory)
  --stack STACK      the deployed stack: its students table, with your AWS credentials

Exit status: 0 done, 1 some student could not be added or revoked, 2 usage error.`;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: { ...STATE_OPTIONS, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const [action, ...names] = positionals;
  if (action === undefined) throw new UsageError('expected add, import, list or revoke');
  if (!['add', 'import', 'list', 'revoke'].includes(action)) {
    throw new UsageError(`unknown action "${action}": expected add, import, list or revoke`);
  }
  let students: string[] = [];
  if (action === 'add' || action === 'revoke') {
    if (names.length === 0) throw new UsageError(`${action} needs at least one student name`);
    students = names.map((name) => {
      try {
        return checkStudentName(name);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    });
  } else if (action === 'import') {
    if (names.length !== 1) throw new UsageError('import takes one roster file');
    const file = path.resolve(io.cwd, names[0] as string);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read ${names[0]}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    try {
      students = parseRoster(text);
    } catch (error) {
      throw new UsageError(`${names[0]}: ${(error as Error).message}`);
    }
  } else if (names.length > 0) {
    throw new UsageError('list takes no names');
  }

  const { store, where } = await openStudentsStore(values, io);
  switch (action) {
    case 'list':
      return list(store, io);
    case 'revoke':
      return revoke(store, students, io);
    case 'import':
      return importRoster(store, students, where, io);
    default:
      return add(store, students, where, io);
  }
}

/**
 * A roster is imported again as students enrol late: those already known keep what they have
 * (an active token, or a revocation staff chose), and only the new ones get tokens.
 */
async function importRoster(
  store: StudentsStore,
  roster: string[],
  where: string,
  io: CliIo,
): Promise<number> {
  const known = new Map((await store.list()).map((record) => [record.student, record]));
  const fresh = roster.filter((student) => !known.has(student));
  const kept = roster.filter((student) => known.get(student)?.revoked_at === null);
  const revoked = roster.filter((student) => {
    const record = known.get(student);
    return record !== undefined && record.revoked_at !== null;
  });
  if (kept.length > 0) {
    io.stderr(
      `Already hold tokens (kept): ${kept.join(', ')}. "students revoke" then "students add" replaces one.\n`,
    );
  }
  if (revoked.length > 0) {
    io.stderr(`Revoked, left so: ${revoked.join(', ')}. "students add" issues a new token.\n`);
  }
  if (fresh.length === 0) {
    io.stderr(`No new students in the roster; ${where} is unchanged.\n`);
    return 0;
  }
  return add(store, fresh, where, io);
}

async function add(
  store: StudentsStore,
  students: string[],
  where: string,
  io: CliIo,
): Promise<number> {
  let failed = 0;
  let added = 0;
  for (const student of students) {
    const token = issueToken();
    try {
      await store.add({
        student,
        tokenSha256: hashToken(token),
        createdAt: new Date().toISOString(),
      });
    } catch (error) {
      if (!(error instanceof StudentError)) throw error;
      io.stderr(`${error.message}\n`);
      failed += 1;
      continue;
    }
    io.stdout(`${student}\t${token}\n`);
    added += 1;
  }
  if (added > 0) {
    io.stderr(
      `Issued ${added} token${added === 1 ? '' : 's'} in ${where}. They are shown only now: hand each student theirs.\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

async function list(store: StudentsStore, io: CliIo): Promise<number> {
  const records = await store.list();
  if (records.length === 0) {
    io.stderr('No students yet: "autograder students add NAME" issues a token.\n');
    return 0;
  }
  const width = Math.max(7, ...records.map((r) => r.student.length));
  io.stdout(`${'student'.padEnd(width)}  ${'issued'.padEnd(24)}  status\n`);
  for (const record of records) {
    const status = record.revoked_at === null ? 'active' : `revoked ${record.revoked_at}`;
    io.stdout(`${record.student.padEnd(width)}  ${record.created_at.padEnd(24)}  ${status}\n`);
  }
  return 0;
}

async function revoke(store: StudentsStore, students: string[], io: CliIo): Promise<number> {
  let failed = 0;
  for (const student of students) {
    if (await store.revoke(student, new Date().toISOString())) {
      io.stdout(`Revoked ${student}'s token\n`);
    } else {
      io.stderr(`${student} has no active token\n`);
      failed += 1;
    }
  }
  return failed > 0 ? 1 : 0;
}

export const command: Command = { usage: USAGE, run };
