/**
 * Regenerates every generated source file, or with --check says which are stale (exit 1).
 *     npm run generate            writes them
 *     npm run generate -- --check only compares
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GENERATED_SIMD_MODULE,
  generateSimdModuleSource,
} from '../packages/tfjs-wasm-training/scripts/build-simd-module.js';
import { isEntryPoint } from './entry-point.js';
import {
  GENERATED_RESULT_VALIDATOR,
  GENERATED_VALIDATOR,
  generateResultValidatorSource,
  generateValidatorSource,
} from './generate-validators.js';

/** Each generated file and the function that produces its text. */
export const GENERATED_FILES: ReadonlyArray<{ file: string; generate: () => Promise<string> }> = [
  { file: GENERATED_VALIDATOR, generate: async () => generateValidatorSource() },
  { file: GENERATED_RESULT_VALIDATOR, generate: async () => generateResultValidatorSource() },
  { file: GENERATED_SIMD_MODULE, generate: generateSimdModuleSource },
];

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The generated files whose committed text differs from what their generator gives now. */
export async function staleGeneratedFiles(): Promise<string[]> {
  const stale: string[] = [];
  for (const { file, generate } of GENERATED_FILES) {
    const committed = await readFile(file, 'utf8').catch(() => '');
    if (committed !== (await generate())) stale.push(path.relative(ROOT, file));
  }
  return stale;
}

async function main(): Promise<number> {
  if (process.argv.includes('--check')) {
    const stale = await staleGeneratedFiles();
    for (const file of stale) process.stderr.write(`stale: ${file} (run npm run generate)\n`);
    if (stale.length === 0) process.stdout.write('every generated file is up to date\n');
    return stale.length === 0 ? 0 : 1;
  }
  for (const { file, generate } of GENERATED_FILES) {
    await writeFile(file, await generate());
    process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
  }
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main();
}
