import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The real CIFAR-10 copy beside the checkout, when there is one: real-data tests use it and
// skip visibly without it. An AUTOGRADER_CIFAR10_DIR already set wins.
const sharedCifar = fileURLToPath(new URL('../shared/cifar-10-batches-bin', import.meta.url));
const env: Record<string, string> =
  process.env.AUTOGRADER_CIFAR10_DIR === undefined && existsSync(sharedCifar)
    ? { AUTOGRADER_CIFAR10_DIR: sharedCifar }
    : {};

// Tests run the kernels package's TypeScript source, as the type check does (tsconfig "paths"),
// so an edit to it is tested without building its dist/.
const kernelsSource = fileURLToPath(
  new URL('packages/tfjs-wasm-training/src/index.ts', import.meta.url),
);

export default defineConfig({
  resolve: {
    alias: { '@cifar10-autograder/tfjs-wasm-training': kernelsSource },
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    setupFiles: ['test/setup/loopback-only.ts'],
    env,
    // Training tests are CPU-bound; two cores, so run files two at a time.
    maxWorkers: 2,
    testTimeout: 120_000,
    // The CDK suites synthesize the stack (esbuild bundles both Lambdas) in beforeAll; on a
    // loaded shared machine that alone has taken over two minutes.
    hookTimeout: 300_000,
  },
});
