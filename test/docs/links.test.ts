import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

async function markdownPages(): Promise<string[]> {
  const docs = (await readdir(path.join(REPO, 'docs'))).filter((f) => f.endsWith('.md'));
  return ['README.md', ...docs.map((f) => path.join('docs', f))];
}

describe('documentation links', () => {
  it('point at files that exist, from the README and every page in docs/', async () => {
    // Prepare
    const broken: string[] = [];
    // Act
    for (const page of await markdownPages()) {
      const text = await readFile(path.join(REPO, page), 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] ?? '';
        if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
        const file = path.resolve(REPO, path.dirname(page), target.split('#')[0] ?? '');
        if (!existsSync(file)) broken.push(`${page}: ${target}`);
      }
    }
    // Assess
    expect(broken).toEqual([]);
  });

  it('keep the README short: about 120 lines', async () => {
    // Act
    const lines = (await readFile(path.join(REPO, 'README.md'), 'utf8')).split('\n').length;
    // Assess
    expect(lines).toBeLessThanOrEqual(140);
  });
});
