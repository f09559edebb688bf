import path from 'node:path';
import { FileSystemObjectStore, withFileLock } from '../storage/index.js';
import { StudentExistsError } from './errors.js';
import { slotsInWindow, takeSlot } from './quota.js';
import type { QuotaDecision, QuotaStore, StudentRecord, StudentsStore } from './types.js';

const JSON_TYPE = { contentType: 'application/json' };
/** A quota update takes milliseconds; a lock this old was left by a process that died. */
const QUOTA_LOCK = { staleMs: 10_000 };

/**
 * Students, token hashes and quota slots as files under a state directory:
 * students/<name>.json, tokens/<sha256>.json and quotas/<name>.json. Each file is written
 * whole (temporary file, then rename), so a reader never sees half of one.
 *
 * Quota updates are serialised per student inside this process, and under a lock file
 * (quotas/<name>.lock) across processes, so two processes sharing the folder cannot lose one
 * another's slots.
 */
export class FileSystemStudentsStore implements StudentsStore, QuotaStore {
  private readonly files: FileSystemObjectStore;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {
    this.files = new FileSystemObjectStore(dir);
  }

  async add(entry: { student: string; tokenSha256: string; createdAt: string }): Promise<void> {
    const existing = await this.readStudent(entry.student);
    if (existing && existing.revoked_at === null) throw new StudentExistsError(entry.student);
    const token = { student: entry.student, created_at: entry.createdAt, revoked_at: null };
    // The token file first, created exclusively: a colliding hash would be refused, not shared.
    const created = await this.files.put(
      `tokens/${entry.tokenSha256}.json`,
      JSON.stringify(token),
      { ...JSON_TYPE, ifNoneMatch: true },
    );
    if (!created) throw new StudentExistsError(entry.student);
    const record: StudentRecord = {
      student: entry.student,
      token_sha256: entry.tokenSha256,
      created_at: entry.createdAt,
      revoked_at: null,
    };
    await this.files.put(`students/${entry.student}.json`, JSON.stringify(record), JSON_TYPE);
  }

  async findByTokenHash(
    tokenSha256: string,
  ): Promise<{ student: string; revoked: boolean } | undefined> {
    if (!/^[0-9a-f]{64}$/.test(tokenSha256)) return undefined;
    const token = await this.readJson<{ student: string; revoked_at: string | null }>(
      `tokens/${tokenSha256}.json`,
    );
    if (!token) return undefined;
    return { student: token.student, revoked: token.revoked_at !== null };
  }

  async list(): Promise<StudentRecord[]> {
    const keys = await this.files.list('students/');
    const records: StudentRecord[] = [];
    for (const key of keys) {
      const record = await this.readJson<StudentRecord>(key);
      if (record) records.push(record);
    }
    return records.sort((a, b) => a.student.localeCompare(b.student));
  }

  async revoke(student: string, at: string): Promise<boolean> {
    const record = await this.readStudent(student);
    if (!record || record.revoked_at !== null) return false;
    const tokenKey = `tokens/${record.token_sha256}.json`;
    const token = await this.readJson<Record<string, unknown>>(tokenKey);
    // The token file is what authentication reads: revoke it first.
    await this.files.put(tokenKey, JSON.stringify({ ...token, revoked_at: at }), JSON_TYPE);
    await this.files.put(
      `students/${student}.json`,
      JSON.stringify({ ...record, revoked_at: at }),
      JSON_TYPE,
    );
    return true;
  }

  take(student: string, now: number, limit: number, windowMs: number): Promise<QuotaDecision> {
    return this.serialisedAndLocked(student, async () => {
      const outcome = takeSlot(await this.readSlots(student), now, limit, windowMs);
      if (!outcome.allowed) return outcome;
      await this.writeSlots(student, outcome.slots);
      return { allowed: true, state: outcome.state, slot: now };
    });
  }

  release(student: string, slot: number): Promise<void> {
    return this.serialisedAndLocked(student, async () => {
      const slots = await this.readSlots(student);
      const index = slots.indexOf(slot);
      if (index < 0) return;
      slots.splice(index, 1);
      await this.writeSlots(student, slots);
    });
  }

  async slots(student: string, now: number, windowMs: number): Promise<number[]> {
    return slotsInWindow(await this.readSlots(student), now, windowMs);
  }

  private serialisedAndLocked<T>(student: string, fn: () => Promise<T>): Promise<T> {
    return this.serialised(student, () =>
      withFileLock(path.join(this.dir, 'quotas', `${student}.lock`), QUOTA_LOCK, fn),
    );
  }

  private async readStudent(student: string): Promise<StudentRecord | undefined> {
    return this.readJson<StudentRecord>(`students/${student}.json`);
  }

  private async readSlots(student: string): Promise<number[]> {
    const quota = await this.readJson<{ slots: number[] }>(`quotas/${student}.json`);
    return quota?.slots ?? [];
  }

  private async writeSlots(student: string, slots: number[]): Promise<void> {
    await this.files.put(`quotas/${student}.json`, JSON.stringify({ slots }), JSON_TYPE);
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    const bytes = await this.files.get(key);
    return bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as T);
  }

  /** Runs `task` after every earlier task for the same student has settled. */
  private serialised<T>(student: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(student) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.queues.set(student, settled);
    void settled.then(() => {
      if (this.queues.get(student) === settled) this.queues.delete(student);
    });
    return next;
  }
}
