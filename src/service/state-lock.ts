import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { isErrno, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../storage/index.js';
import { ServiceError } from './errors.js';

/** What the lock file holds: who serves this state directory. */
interface Holder {
  pid: number;
  host: string;
  started_at: string;
}

export interface StateLock {
  release(): Promise<void>;
}

const LOCK_FILE = 'serve.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, owned by someone else.
    return isErrno(error, 'EPERM');
  }
}

/**
 * Takes the state directory for one `serve` process. A second one would grade the same records,
 * double-spend quotas and race on results, so it is refused with the holder's name. A lock whose
 * process is gone (a crash, kill -9) on this machine is taken over.
 */
export async function lockStateDir(
  stateDir: string,
  me: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() },
): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const file = path.join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', PRIVATE_FILE_MODE);
      await handle.writeFile(`${JSON.stringify(me)}\n`);
      await handle.close();
      return {
        release: async () => {
          const now = await readFile(file, 'utf8').catch(() => '');
          if (now.includes(`"pid":${me.pid},`)) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) {
        throw new ServiceError(
          `cannot lock the state directory ${stateDir}: ${(error as Error).message}`,
        );
      }
    }
    const text = await readFile(file, 'utf8').catch(() => '');
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(text) as Holder;
    } catch {
      holder = undefined;
    }
    if (holder && holder.host !== me.host) {
      throw new ServiceError(
        `the state directory ${stateDir} is in use by "autograder serve" on ${holder.host} (pid ${holder.pid}, since ${holder.started_at}); if that machine no longer serves it, delete ${file}`,
      );
    }
    if (holder && alive(holder.pid)) {
      throw new ServiceError(
        `the state directory ${stateDir} is in use by another "autograder serve" (pid ${holder.pid}, since ${holder.started_at}); stop it first, or give this one its own --state`,
      );
    }
    // Its holder is gone: take it over.
    await rm(file, { force: true });
  }
  throw new ServiceError(
    `cannot lock the state directory ${stateDir}: another process keeps taking it`,
  );
}
