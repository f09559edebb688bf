import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE_NAME = '@cifar10-autograder/tfjs-wasm-training';
const PACKAGE_DIR = 'packages/tfjs-wasm-training';

async function typescriptFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await typescriptFiles(full)));
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

/** Every module specifier a file imports or re-exports from. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
}

describe('the wasm kernels package boundary', () => {
  it('is crossed by src/ only through the package entry', async () => {
    // Prepare
    const offenders: string[] = [];

    // Act
    for (const file of await typescriptFiles(path.join(REPO, 'src'))) {
      for (const specifier of specifiers(await readFile(file, 'utf8'))) {
        const deep = specifier.startsWith(`${PACKAGE_NAME}/`) || specifier.includes('packages/');
        if (deep) offenders.push(`${path.relative(REPO, file)}: ${specifier}`);
      }
    }

    // Assess
    expect(offenders).toEqual([]);
  });

  it('is not crossed the other way: the package imports nothing of the autograder', async () => {
    // Prepare
    const offenders: string[] = [];
    const root = path.join(REPO, PACKAGE_DIR);

    // Act
    for (const dir of ['src', 'scripts', 'test']) {
      for (const file of await typescriptFiles(path.join(root, dir))) {
        for (const specifier of specifiers(await readFile(file, 'utf8'))) {
          if (!specifier.startsWith('.')) continue;
          const target = path.resolve(path.dirname(file), specifier);
          if (!target.startsWith(`${root}${path.sep}`)) {
            offenders.push(`${path.relative(REPO, file)}: ${specifier}`);
          }
        }
      }
    }

    // Assess
    expect(offenders).toEqual([]);
  });
});
