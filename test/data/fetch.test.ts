import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR10_DIR_FILES,
  Cifar10FetchError,
  type DownloadProgress,
  ensureCifar10,
  loadCifar10FromDir,
} from '../../src/data/index.js';
import {
  type ArchiveServer,
  buildTestArchive,
  startArchiveServer,
  type TestArchive,
} from '../helpers/archive-server.js';

let root: string;
let archive: TestArchive;
let server: ArchiveServer;
let count = 0;

/** A fresh cache folder; the data directory inside it does not exist yet. */
async function freshTarget(): Promise<{ parent: string; dir: string }> {
  count += 1;
  const parent = path.join(root, `cache-${count}`, 'cifar10-autograder');
  return { parent, dir: path.join(parent, 'cifar-10-batches-bin') };
}

async function failure(promise: Promise<unknown>): Promise<Cifar10FetchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Cifar10FetchError);
  return error as Cifar10FetchError;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-fetch-'));
  archive = await buildTestArchive(root);
  server = await startArchiveServer(archive.bytes);
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('ensureCifar10', () => {
  it('downloads, checks and extracts the archive, then finds it there the next time', async () => {
    // Prepare
    const { parent, dir } = await freshTarget();
    const progress: DownloadProgress[] = [];
    const url = `${server.origin}/archive.tar.gz`;
    // Act
    const first = await ensureCifar10(dir, {
      url,
      md5: archive.md5,
      onProgress: (p) => progress.push(p),
    });
    const requestsAfterFirst = server.requests.length;
    const second = await ensureCifar10(dir, { url, md5: archive.md5 });
    // Assess
    expect(first.fetched).toBe(true);
    expect(second.fetched).toBe(false);
    expect(server.requests.length).toBe(requestsAfterFirst);
    expect((await readdir(dir)).sort()).toEqual([...CIFAR10_DIR_FILES].sort());
    expect((await loadCifar10FromDir(dir)).checksum).toBe(archive.checksum);
    // Nothing but the data directory is left beside it: no archive, no staging folder.
    expect(await readdir(parent)).toEqual(['cifar-10-batches-bin']);
    expect(progress.at(-1)).toMatchObject({
      received: archive.bytes.length,
      total: archive.bytes.length,
    });
  });

  it('follows a redirect to the archive', async () => {
    // Prepare
    const { dir } = await freshTarget();
    const before = server.requests.length;
    // Act
    const outcome = await ensureCifar10(dir, {
      url: `${server.origin}/redirect`,
      md5: archive.md5,
    });
    // Assess
    expect(outcome.fetched).toBe(true);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([
      '/redirect',
      '/archive.tar.gz',
    ]);
    expect((await loadCifar10FromDir(dir)).checksum).toBe(archive.checksum);
  });

  it('rejects an archive whose md5 differs, deletes it and leaves no data directory', async () => {
    // Prepare
    const { parent, dir } = await freshTarget();
    // Act
    const error = await failure(
      ensureCifar10(dir, { url: `${server.origin}/archive.tar.gz`, md5: '0'.repeat(32) }),
    );
    // Assess
    expect(error.message).toContain(`has md5 ${archive.md5}, not the expected ${'0'.repeat(32)}`);
    expect(await readdir(parent)).toEqual([]);
  });

  it('reports a truncated body and leaves no data directory', async () => {
    // Prepare
    const { parent, dir } = await freshTarget();
    // Act
    const error = await failure(
      ensureCifar10(dir, { url: `${server.origin}/truncated`, md5: archive.md5 }),
    );
    // Assess
    expect(error.message).toMatch(/stopped after \d+ of \d+ bytes|ended after \d+ of \d+ bytes/);
    expect(error.message).toContain('run the command again to resume it');
    expect((await readdir(parent)).filter((name) => !name.startsWith('.'))).toEqual([]);
  });

  it('reports a 404 with how to place the files by hand', async () => {
    // Prepare
    const { dir } = await freshTarget();
    // Act
    const error = await failure(
      ensureCifar10(dir, { url: `${server.origin}/missing`, md5: archive.md5 }),
    );
    // Assess
    expect(error.message).toContain(`${server.origin}/missing answered HTTP 404`);
    expect(error.message).toContain('place the data by hand');
    expect(error.message).toContain(dir);
  });

  it('says how to place the files by hand when the server cannot be reached', async () => {
    // Prepare: a port nothing listens on (the server's, once closed).
    const closed = await startArchiveServer(archive.bytes);
    await closed.close();
    const { dir } = await freshTarget();
    // Act
    const error = await failure(
      ensureCifar10(dir, { url: `${closed.origin}/archive.tar.gz`, md5: archive.md5 }),
    );
    // Assess
    expect(error.message).toContain(`cannot reach ${closed.origin}/archive.tar.gz (ECONNREFUSED`);
    expect(error.message).toContain('tar -xzf cifar-10-binary.tar.gz');
    expect(error.message).toContain('AUTOGRADER_CIFAR10_DIR');
  });

  it('resumes an interrupted download with a Range request', async () => {
    // Prepare
    const { parent, dir } = await freshTarget();
    const url = `${server.origin}/flaky.tar.gz`;
    const error = await failure(ensureCifar10(dir, { url, md5: archive.md5 }));
    expect(await readdir(parent)).not.toContain('cifar-10-batches-bin');
    // The server sent 40% before dropping the connection; how much of it reached the file
    // depends on timing, and the retry must ask for exactly what follows that.
    const kept = (await stat(path.join(parent, '.cifar-10-batches-bin.tar.gz.part'))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(Math.floor(archive.bytes.length * 0.4));
    expect(error.message).toContain(`stopped after ${kept} of ${archive.bytes.length} bytes`);
    const before = server.requests.length;
    // Act
    const outcome = await ensureCifar10(dir, { url, md5: archive.md5 });
    // Assess
    expect(outcome.fetched).toBe(true);
    const retry = server.requests.slice(before);
    expect(retry).toHaveLength(1);
    expect(retry[0]?.headers.range).toBe(`bytes=${kept}-`);
    expect((await loadCifar10FromDir(dir)).checksum).toBe(archive.checksum);
    expect(await readdir(parent)).toEqual(['cifar-10-batches-bin']);
  });

  it('restarts from the beginning when the server ignores the Range request', async () => {
    // Prepare
    const { parent, dir } = await freshTarget();
    const url = `${server.origin}/flaky-no-range.tar.gz`;
    await failure(ensureCifar10(dir, { url, md5: archive.md5 }));
    // Act
    const outcome = await ensureCifar10(dir, { url, md5: archive.md5 });
    // Assess
    expect(outcome.fetched).toBe(true);
    expect((await loadCifar10FromDir(dir)).checksum).toBe(archive.checksum);
    expect(await readdir(parent)).toEqual(['cifar-10-batches-bin']);
  });

  it('refuses to fill a directory that holds other files', async () => {
    // Prepare
    const { dir } = await freshTarget();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    // Act
    const error = await failure(
      ensureCifar10(dir, { url: `${server.origin}/archive.tar.gz`, md5: archive.md5 }),
    );
    // Assess
    expect(error.message).toContain('exists but is not a complete CIFAR-10 directory');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });
});
