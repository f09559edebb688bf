import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  isErrno,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  StorageError,
  withFileLock,
} from '../storage/index.js';
import { StateStoreError } from './errors.js';
import { UNFINISHED_STATUSES } from './lifecycle.js';
import { RecordStore, type RecordStoreOptions, type RecordTable } from './record-store.js';
import type { SubmissionRecord } from './types.js';

const TEMP_PREFIX = '.tmp-';
const LOCK_SUFFIX = '.lock';

function failure(what: string, error: unknown): StateStoreError {
  return new StateStoreError(`${what}: ${(error as Error).message}`, { cause: error });
}

export interface FileSystemStateStoreOptions extends RecordStoreOptions {
  /** A lock older than this is taken to belong to a process that died holding it. */
  staleLockMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Records as files, <dir>/submissions/<student>/<id>.json, for the local flow (`--state DIR`).
 * Creating links a fully written temporary file into place (link fails if the record exists);
 * replacing holds <id>.json.lock (created exclusively) while it compares the revision and
 * renames the new file into place, so processes sharing the directory stay consistent.
 */
export class FileSystemRecordTable implements RecordTable {
  readonly dir: string;
  private readonly staleLockMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(dir: string, options: FileSystemStateStoreOptions = {}) {
    this.dir = path.join(path.resolve(dir), 'submissions');
    this.staleLockMs = options.staleLockMs ?? 10_000;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  private fileOf(student: string, id: string): string {
    return path.join(this.dir, student, `${id}.json`);
  }

  async read(student: string, id: string): Promise<SubmissionRecord | undefined> {
    return this.readFileRecord(this.fileOf(student, id));
  }

  private async readFileRecord(file: string): Promise<SubmissionRecord | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw failure(`cannot read ${file}`, error);
    }
    try {
      return JSON.parse(text) as SubmissionRecord;
    } catch (error) {
      throw failure(`${file} is not a submission record`, error);
    }
  }

  private async writeTemp(file: string, record: SubmissionRecord): Promise<string> {
    await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const temp = path.join(path.dirname(file), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  async create(record: SubmissionRecord): Promise<boolean> {
    const file = this.fileOf(record.student, record.id);
    let temp: string | undefined;
    try {
      temp = await this.writeTemp(file, record);
      await link(temp, file);
      return true;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw failure(`cannot create ${file}`, error);
    } finally {
      if (temp) await rm(temp, { force: true });
    }
  }

  async replace(record: SubmissionRecord, expectedRevision: number): Promise<boolean> {
    const file = this.fileOf(record.student, record.id);
    try {
      return await withFileLock(
        `${file}${LOCK_SUFFIX}`,
        { staleMs: this.staleLockMs, sleep: this.sleep },
        async () => {
          const current = await this.readFileRecord(file);
          if (!current || current.revision !== expectedRevision) return false;
          const temp = await this.writeTemp(file, record);
          try {
            await rename(temp, file);
          } catch (error) {
            await rm(temp, { force: true });
            throw failure(`cannot replace ${file}`, error);
          }
          return true;
        },
      );
    } catch (error) {
      if (error instanceof StorageError) throw failure(error.message, error);
      throw error;
    }
  }

  async queryStudent(student: string): Promise<SubmissionRecord[]> {
    return this.readFolder(path.join(this.dir, student));
  }

  async queryUnfinished(): Promise<SubmissionRecord[]> {
    let students: string[];
    try {
      students = await readdir(this.dir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw failure(`cannot list ${this.dir}`, error);
    }
    const records: SubmissionRecord[] = [];
    for (const student of students) {
      if (student.startsWith('.')) continue;
      for (const record of await this.readFolder(path.join(this.dir, student))) {
        if (UNFINISHED_STATUSES.includes(record.status)) records.push(record);
      }
    }
    return records;
  }

  private async readFolder(folder: string): Promise<SubmissionRecord[]> {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return [];
      throw failure(`cannot list ${folder}`, error);
    }
    const records: SubmissionRecord[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith(TEMP_PREFIX)) continue;
      const record = await this.readFileRecord(path.join(folder, name));
      if (record) records.push(record);
    }
    return records;
  }
}

/** The state store of the local flow: records under DIR/submissions/. */
export function createFileSystemStateStore(
  dir: string,
  options: FileSystemStateStoreOptions = {},
): RecordStore {
  return new RecordStore(new FileSystemRecordTable(dir, options), options);
}
