/**
 * The program run_autograder starts inside Gradescope's container. gradescope-bundle compiles
 * this file and what it imports into one script; TensorFlow.js stays a package installed by
 * setup.sh, since the wasm engine loads its .wasm files from there.
 */
import { parseArgs } from 'node:util';
import { isBackendName } from '../config.js';
import { runGradescope } from './run.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      data: { type: 'string' },
      backend: { type: 'string' },
    },
  });
  if (!values.root || !values.data) {
    process.stderr.write('usage: autograder.mjs --root DIR --data DIR [--backend NAME]\n');
    return 2;
  }
  const backend = values.backend;
  if (backend !== undefined && !isBackendName(backend)) {
    process.stderr.write(`unknown backend ${backend}\n`);
    return 2;
  }
  await runGradescope(
    { root: values.root, dataDir: values.data, ...(backend ? { backend } : {}) },
    { onLine: (line) => process.stdout.write(`${line}\n`) },
  );
  return 0;
}

main().then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
