import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadCifar10FromDir } from '../../src/data/index.js';
import type { ResultFile } from '../../src/rubric/index.js';
import {
  type ArchiveServer,
  buildTestArchive,
  startArchiveServer,
  type TestArchive,
} from '../helpers/archive-server.js';
import { captureIo } from '../helpers/io.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url));

let root: string;
let archive: TestArchive;
let server: ArchiveServer;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-data-cli-'));
  archive = await buildTestArchive(root, { train: 256, test: 128, seed: 11 });
  server = await startArchiveServer(archive.bytes);
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('autograder data fetch', () => {
  it('fetches into --dir with exit 0, then says there is nothing to fetch', async () => {
    // Prepare
    const dir = path.join(root, 'fetched');
    const args = ['data', 'fetch', '--dir', dir, '--url', `${server.origin}/archive.tar.gz`];
    const cli = captureIo({ cwd: root });
    const again = captureIo({ cwd: root });
    // Act
    const code = await main([...args, '--md5', archive.md5.toUpperCase()], cli);
    const secondCode = await main([...args, '--md5', archive.md5], again);
    // Assess
    expect(code).toBe(0);
    expect(cli.out()).toContain(`CIFAR-10 is not in ${dir} yet; fetching it once.`);
    expect(cli.out()).toMatch(/CIFAR-10: [\d.]+\/[\d.]+ MiB [\d.]+ MiB\/s ETA /);
    expect(cli.out()).toContain(`CIFAR-10 is in ${dir}.`);
    expect((await loadCifar10FromDir(dir)).checksum).toBe(archive.checksum);
    expect(secondCode).toBe(0);
    expect(again.out()).toBe('CIFAR-10 is already in fetched; nothing to fetch.\n');
  });

  it('reads the mirror and the data directory from the environment', async () => {
    // Prepare
    const cache = path.join(root, 'xdg');
    const cli = captureIo({
      cwd: root,
      env: {
        XDG_CACHE_HOME: cache,
        AUTOGRADER_CIFAR10_URL: `${server.origin}/redirect`,
        AUTOGRADER_CIFAR10_MD5: archive.md5,
      },
    });
    // Act
    const code = await main(['data', 'fetch'], cli);
    // Assess
    expect(code).toBe(0);
    const dir = path.join(cache, 'cifar10-autograder', 'cifar-10-batches-bin');
    expect((await loadCifar10FromDir(dir)).checksum).toBe(archive.checksum);
  });

  it.each([
    {
      description: 'a wrong md5',
      path: '/archive.tar.gz',
      md5: 'f'.repeat(32),
      says: `not the expected ${'f'.repeat(32)}`,
    },
    { description: 'a 404', path: '/missing', md5: undefined, says: 'answered HTTP 404' },
    {
      description: 'a truncated body',
      path: '/truncated',
      md5: undefined,
      says: 'run the command again to resume it',
    },
  ])('exits 1 and leaves no data directory for $description', async (row) => {
    // Prepare
    const dir = path.join(root, `failed-${row.path.slice(1)}`);
    const cli = captureIo({ cwd: root });
    const md5 = row.md5 ?? archive.md5;
    // Act
    const code = await main(
      ['data', 'fetch', '--dir', dir, '--url', `${server.origin}${row.path}`, '--md5', md5],
      cli,
    );
    // Assess
    expect(code).toBe(1);
    expect(cli.err()).toContain('autograder data: ');
    expect(cli.err()).toContain(row.says);
    expect(cli.err()).not.toMatch(/\n\s+at /);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    { description: 'no subcommand', args: [], says: 'expected a subcommand: fetch' },
    { description: 'an unknown subcommand', args: ['pull'], says: 'unknown subcommand "pull"' },
    { description: 'a short md5', args: ['fetch', '--md5', 'abc'], says: '--md5 must be 32' },
    { description: 'a non-http URL', args: ['fetch', '--url', 'ftp://x/y'], says: '--url must' },
  ])('exits 2 with a usage message for $description', async ({ args, says }) => {
    // Prepare
    const cli = captureIo({ cwd: root });
    // Act
    const code = await main(['data', ...args], cli);
    // Assess
    expect(code).toBe(2);
    expect(cli.err()).toContain(says);
    expect(cli.err()).toContain('Usage: autograder data fetch [--dir DIR] [--url URL] [--md5 HEX]');
  });
});

describe('grade on first use', () => {
  it('fetches the data into the user cache, then grades', async () => {
    // Prepare
    const work = path.join(root, 'first-use');
    await mkdir(work, { recursive: true });
    await copyFile(FIXTURE, path.join(work, 'two.json'));
    const cache = path.join(root, 'first-use-cache');
    const cli = captureIo({
      cwd: work,
      env: {
        XDG_CACHE_HOME: cache,
        AUTOGRADER_CACHE_DIR: path.join(work, 'calibrations'),
        AUTOGRADER_CIFAR10_URL: `${server.origin}/archive.tar.gz`,
        AUTOGRADER_CIFAR10_MD5: archive.md5,
      },
    });
    // Act
    const code = await main(
      ['grade', 'two.json', '--backend', 'wasm', '--limit-train', '64', '--limit-test', '64'],
      cli,
    );
    // Assess
    expect(cli.err()).toBe('');
    expect(code).toBe(0);
    expect(cli.out()).toContain('fetching it once.');
    const result: ResultFile = JSON.parse(
      await readFile(path.join(work, 'two.result.json'), 'utf8'),
    );
    expect(result.extra_data.outcome).toBe('graded');
    // Trained on the archive's data: the result names the files' checksum.
    expect(result.extra_data.dataset?.source_checksum).toBe(archive.checksum);
  });

  it('exits 1 with how to place the files by hand when the archive cannot be fetched', async () => {
    // Prepare
    const work = path.join(root, 'offline');
    await mkdir(work, { recursive: true });
    await copyFile(FIXTURE, path.join(work, 'two.json'));
    const closed = await startArchiveServer(archive.bytes);
    await closed.close();
    const cli = captureIo({
      cwd: work,
      env: { AUTOGRADER_CIFAR10_URL: `${closed.origin}/cifar-10-binary.tar.gz` },
    });
    // Act
    const code = await main(['grade', 'two.json', '--data', 'nowhere'], cli);
    // Assess
    expect(code).toBe(1);
    expect(cli.err()).toContain('cannot reach');
    expect(cli.err()).toContain(`into ${path.join(work, 'nowhere')}`);
    expect(cli.err()).toContain('or pass --data DIR');
    expect(existsSync(path.join(work, 'two.result.json'))).toBe(false);
  });
});
