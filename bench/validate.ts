/**
 * Validator benchmark (npm run bench:validate). Prints, measured against target:
 *  - warm validations per second on every example submission (target: under 2 ms each),
 *    with JSON.parse of the same bytes as the in-script reference;
 *  - cold start: a fresh `node` process that imports the Lambda bundle of the validator and
 *    validates one submission (target: under 300 ms), against an empty `node` process;
 *  - the esbuild bundle size of the validator entry, minified as the Lambda ships it (target: under 1 MB).
 * Timings are noisy on a shared machine; each figure is the median of several runs.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { validateSubmission } from '../src/spec/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = path.join(root, 'rubric', 'examples');
const WARM_TARGET_MS = 2;
const COLD_TARGET_MS = 300;
const BUNDLE_TARGET_BYTES = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Mean milliseconds per call over batches of `iterations`, median of the batches. */
function timePerCall(fn: () => void, iterations: number, batches = 5): number {
  for (let i = 0; i < Math.min(iterations, 200); i++) fn(); // warm the JIT
  const perCall: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    perCall.push((performance.now() - start) / iterations);
  }
  return median(perCall);
}

const verdict = (ok: boolean): string => (ok ? 'meets target' : 'MISSES target');

function warm(): void {
  console.log('Warm validation (median of 5 batches of 1,000, after warm-up)');
  const files = [
    ...readdirSync(examplesDir).filter((f) => f.endsWith('.json')),
    ...readdirSync(path.join(examplesDir, 'broken')).map((f) => `broken/${f}`),
  ];
  let worst = 0;
  console.log(
    `  ${'example'.padEnd(40)} ${'ms/validation'.padStart(14)} ${'validations/s'.padStart(14)} ${'× JSON.parse'.padStart(13)}`,
  );
  for (const file of files) {
    const bytes = readFileSync(path.join(examplesDir, file));
    const text = bytes.toString('utf8');
    const ms = timePerCall(() => validateSubmission(bytes), 1000);
    const parseMs = timePerCall(() => {
      try {
        JSON.parse(text);
      } catch {
        // the deliberately unparsable example: JSON.parse's failure is the reference
      }
    }, 1000);
    worst = Math.max(worst, ms);
    console.log(
      `  ${file.padEnd(40)} ${ms.toFixed(4).padStart(14)} ${Math.round(1000 / ms)
        .toLocaleString('en-US')
        .padStart(14)} ${(ms / parseMs).toFixed(1).padStart(13)}`,
    );
  }
  console.log(
    `  slowest: ${worst.toFixed(4)} ms vs target < ${WARM_TARGET_MS} ms: ${verdict(worst < WARM_TARGET_MS)}\n`,
  );
}

async function bundle(
  dir: string,
): Promise<{ file: string; bytes: number; unminified: number; tfjs: boolean }> {
  const entry = path.join(root, 'src', 'spec', 'index.ts');
  const common: BuildOptions = {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    metafile: true,
  };
  const file = path.join(dir, 'validator.mjs');
  const result = await build({ ...common, minify: true, outfile: file });
  const plain = await build({
    ...common,
    minify: false,
    write: false,
    outfile: path.join(dir, 'plain.mjs'),
  });
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  return {
    file,
    bytes: readFileSync(file).length,
    unminified: plain.outputFiles?.[0]?.contents.length ?? 0,
    tfjs: inputs.some((input) => input.includes('@tensorflow')),
  };
}

function coldStart(bundleFile: string): void {
  const example = path.join(examplesDir, 'three-experiments.json');
  const runner = path.join(path.dirname(bundleFile), 'cold.mjs');
  // Reads the file first, so the figure is import + validation; prints the in-process time.
  writeFileSync(
    runner,
    `import { readFileSync } from 'node:fs';
const bytes = readFileSync(${JSON.stringify(example)});
const start = performance.now();
const { validateSubmission } = await import(${JSON.stringify(bundleFile)});
const result = validateSubmission(bytes);
if (!result.valid) throw new Error('example should be valid');
process.stdout.write(String(performance.now() - start));
`,
  );
  const empty = path.join(path.dirname(bundleFile), 'empty.mjs');
  writeFileSync(empty, '');
  const wall = (script: string): { wall: number; inside: number } => {
    const start = performance.now();
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    return { wall: performance.now() - start, inside: Number(out || 0) };
  };
  const runs = Array.from({ length: 7 }, () => wall(runner));
  const emptyRuns = Array.from({ length: 7 }, () => wall(empty).wall);
  const processMs = median(runs.map((r) => r.wall));
  const insideMs = median(runs.map((r) => r.inside));
  const emptyMs = median(emptyRuns);
  console.log('Cold start (fresh node process, median of 7)');
  console.log(`  whole process, import + validate one submission: ${processMs.toFixed(0)} ms`);
  console.log(`  of which import + first validation:               ${insideMs.toFixed(0)} ms`);
  console.log(
    `  reference, an empty node process:                 ${emptyMs.toFixed(0)} ms (ratio ${(processMs / emptyMs).toFixed(2)})`,
  );
  console.log(
    `  ${processMs.toFixed(0)} ms vs target < ${COLD_TARGET_MS} ms: ${verdict(processMs < COLD_TARGET_MS)}\n`,
  );
}

async function run(): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
  warm();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-validate-'));
  try {
    const bundled = await bundle(dir);
    coldStart(bundled.file);
    console.log('Bundle (esbuild, src/spec/index.ts, platform node, ESM)');
    console.log(
      `  minified: ${(bundled.bytes / 1024).toFixed(1)} KiB; unminified: ${(bundled.unminified / 1024).toFixed(1)} KiB`,
    );
    console.log(`  TensorFlow.js in the bundle: ${bundled.tfjs ? 'YES (must not be)' : 'no'}`);
    console.log(
      `  ${(bundled.bytes / 1024).toFixed(1)} KiB vs target < 1024 KiB: ${verdict(bundled.bytes < BUNDLE_TARGET_BYTES && !bundled.tfjs)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await run();
