import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTEXT_PREFIX, DEFAULT_SETTINGS } from '../../cdk/settings.js';
import { STACK_OUTPUTS } from '../../src/staff/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CODE_DIRS = ['src', 'cdk', 'functions', 'grader-image', 'bin'];
const VARIABLE = /\bAUTOGRADER_[A-Z0-9_]+\b/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(full)));
    else if (/\.(ts|js|sh)$/.test(entry.name) || entry.name === 'Dockerfile') files.push(full);
  }
  return files;
}

/** Every AUTOGRADER_* name the code mentions. */
async function variablesInCode(): Promise<string[]> {
  const names = new Set<string>();
  for (const dir of CODE_DIRS) {
    for (const file of await sourceFiles(path.join(REPO, dir))) {
      for (const match of (await readFile(file, 'utf8')).matchAll(VARIABLE)) names.add(match[0]);
    }
  }
  return [...names].sort();
}

/** The first cell of every table row, without its backticks. */
function firstColumn(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? '');
}

const page = () => readFile(path.join(REPO, 'docs', 'configuration.md'), 'utf8');

describe('docs/configuration.md', () => {
  it('documents exactly the environment variables the code reads', async () => {
    // Prepare
    const documented = firstColumn(await page()).filter((name) => name.startsWith('AUTOGRADER_'));
    // Act
    const inCode = await variablesInCode();
    // Assess
    expect([...new Set(documented)].sort()).toEqual(inCode);
  });

  it("documents exactly the stack's context keys", async () => {
    // Prepare
    const documented = firstColumn(await page()).filter((key) => key.startsWith(CONTEXT_PREFIX));
    // Act
    const inCode = Object.keys(DEFAULT_SETTINGS).map((key) => `${CONTEXT_PREFIX}${key}`);
    // Assess
    expect(documented.sort()).toEqual(inCode.sort());
  });

  it('documents exactly the stack outputs the staff commands read', async () => {
    // Prepare
    const outputs = Object.values(STACK_OUTPUTS) as string[];
    // Act
    const documented = firstColumn(await page()).filter((name) => outputs.includes(name));
    // Assess
    expect(documented.sort()).toEqual([...outputs].sort());
  });
});
