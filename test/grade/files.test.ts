import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GradeError,
  listSubmissionFiles,
  readSubmissionFile,
  resultPathFor,
} from '../../src/grade/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'autograder-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resultPathFor', () => {
  it.each([
    {
      description: 'beside the submission',
      file: '/s/alice.json',
      outDir: undefined,
      expected: '/s/alice.result.json',
    },
    {
      description: 'in an output directory',
      file: '/s/alice.json',
      outDir: '/r',
      expected: '/r/alice.result.json',
    },
    {
      description: 'for a name without .json',
      file: '/s/bob',
      outDir: undefined,
      expected: '/s/bob.result.json',
    },
  ])('puts the result $description', ({ file, outDir, expected }) => {
    // Act
    const result = resultPathFor(file, outDir);
    // Assess
    expect(result).toBe(expected);
  });
});

describe('listSubmissionFiles', () => {
  it('lists *.json submissions in name order, leaving out results and directories', async () => {
    // Prepare
    const batch = path.join(dir, 'batch');
    await mkdir(path.join(batch, 'nested.json'), { recursive: true });
    for (const name of ['b.json', 'a.json', 'a.result.json', 'notes.txt']) {
      await writeFile(path.join(batch, name), '{}');
    }
    // Act
    const files = await listSubmissionFiles(batch);
    // Assess
    expect(files.map((f) => path.basename(f))).toEqual(['a.json', 'b.json']);
  });
});

describe('readSubmissionFile', () => {
  it('reads a file whole when it is within the cap', async () => {
    // Prepare
    const file = path.join(dir, 'small.json');
    await writeFile(file, '{"a": 1}');
    // Act
    const bytes = await readSubmissionFile(file, 100);
    // Assess
    expect(Buffer.from(bytes).toString('utf8')).toBe('{"a": 1}');
  });

  it('stops one byte past the cap, so the validator can say the file is too large', async () => {
    // Prepare
    const file = path.join(dir, 'large.json');
    await writeFile(file, 'x'.repeat(10_000));
    // Act
    const bytes = await readSubmissionFile(file, 100);
    // Assess
    expect(bytes.byteLength).toBe(101);
  });

  it('names a file it cannot read', async () => {
    // Prepare
    const file = path.join(dir, 'absent.json');
    // Act
    const read = readSubmissionFile(file, 100);
    // Assess
    await expect(read).rejects.toThrow(GradeError);
    await expect(read).rejects.toThrow(`cannot read ${file}`);
  });
});
