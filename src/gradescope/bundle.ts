import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { type Zippable, zipSync } from 'fflate';
import { GradescopeBundleError } from './errors.js';
import { runAutograderScript, setupScript } from './scripts.js';

/** The packages the compiled grader imports at run time: TensorFlow.js loads its .wasm from them. */
const RUNTIME_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] as const;

type Esbuild = typeof import('esbuild');

export interface GradescopeBundle {
  /** The zip's bytes: setup.sh, run_autograder and grader/ at its top level, as Gradescope wants. */
  zip: Uint8Array;
  /** Every file in it with its size, for the command to list. */
  files: Array<{ name: string; bytes: number }>;
}

const EXECUTABLE = { os: 3, attrs: 0o100755 << 16 } as const;
const REGULAR = { os: 3, attrs: 0o100644 << 16 } as const;
/** A fixed time for every entry, so the same sources give the same zip. */
const ENTRY_TIME = new Date('2026-01-01T00:00:00Z');

/** The runner's source: TypeScript in a clone, compiled JavaScript in an installed package. */
function entryPoint(packageRoot: string): string {
  for (const candidate of [
    path.join(packageRoot, 'src', 'gradescope', 'entry.ts'),
    path.join(packageRoot, 'dist', 'src', 'gradescope', 'entry.js'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new GradescopeBundleError(`no grader sources under ${packageRoot}`);
}

async function loadEsbuild(): Promise<Esbuild> {
  try {
    return await import('esbuild');
  } catch (error) {
    throw new GradescopeBundleError(
      'building the bundle needs esbuild, a development dependency: run it from a clone after npm ci',
      { cause: error },
    );
  }
}

/** The grader as one ES module; TensorFlow.js stays external, installed by setup.sh. */
export async function compileRunner(
  packageRoot: string,
  esbuild?: Esbuild,
): Promise<{ code: Uint8Array; externals: string[] }> {
  const { build } = esbuild ?? (await loadEsbuild());
  const result = await build({
    entryPoints: [entryPoint(packageRoot)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    write: false,
    metafile: true,
    external: ['@tensorflow/*'],
    // CommonJS dependencies inside an ES module still call require for Node's builtins.
    banner: {
      js: "import { createRequire as __autograderRequire } from 'node:module'; const require = __autograderRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new GradescopeBundleError('esbuild produced no output');
  const externals = [
    ...new Set(
      Object.values(result.metafile.outputs).flatMap((o) =>
        o.imports.filter((i) => i.external).map((i) => i.path),
      ),
    ),
  ].sort();
  const unexpected = externals.filter(
    (name) =>
      !isBuiltin(name) && !RUNTIME_PACKAGES.some((p) => name === p || name.startsWith(`${p}/`)),
  );
  // tfjs-node is imported by name only when asked for; the bundle runs with --backend wasm.
  const missing = unexpected.filter((name) => !name.startsWith('@tensorflow/tfjs-node'));
  if (missing.length > 0) {
    throw new GradescopeBundleError(
      `the grader imports packages the bundle does not install: ${missing.join(', ')}`,
    );
  }
  return { code: output.contents, externals };
}

async function runtimePackageJson(packageRoot: string): Promise<string> {
  const own = JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const dependencies: Record<string, string> = {};
  for (const name of RUNTIME_PACKAGES) {
    const version = own.dependencies[name];
    if (!version) throw new GradescopeBundleError(`package.json does not depend on ${name}`);
    dependencies[name] = version;
  }
  return `${JSON.stringify(
    {
      name: 'cifar10-autograder-gradescope',
      version: own.version,
      private: true,
      type: 'module',
      description: 'The CIFAR-10 autograder compiled for a Gradescope autograder image',
      dependencies,
    },
    null,
    2,
  )}\n`;
}

/** Gradescope's autograder zip: setup.sh and run_autograder at the top, the grader in grader/. */
export async function buildGradescopeBundle(
  packageRoot: string,
  esbuild?: Esbuild,
): Promise<GradescopeBundle> {
  const encoder = new TextEncoder();
  const runner = await compileRunner(packageRoot, esbuild);
  const entries: Array<[string, Uint8Array, typeof EXECUTABLE | typeof REGULAR]> = [
    ['setup.sh', encoder.encode(setupScript()), EXECUTABLE],
    ['run_autograder', encoder.encode(runAutograderScript()), EXECUTABLE],
    ['grader/package.json', encoder.encode(await runtimePackageJson(packageRoot)), REGULAR],
    ['grader/autograder.mjs', runner.code, REGULAR],
  ];
  const zippable: Zippable = {};
  for (const [name, bytes, attrs] of entries) {
    zippable[name] = [bytes, { ...attrs, mtime: ENTRY_TIME, level: 9 }];
  }
  return {
    zip: zipSync(zippable),
    files: entries.map(([name, bytes]) => ({ name, bytes: bytes.length })),
  };
}
