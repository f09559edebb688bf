import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const HANDLERS = ['on-submission', 'on-job-state', 'sweeper', 'student-api'];

/** The handler bundled as the stack bundles it (ESM for Node), the AWS SDK left out: it is not what this checks. */
async function bundleInputs(handler: string): Promise<string[]> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`../../functions/${handler}/index.ts`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe("the Lambdas' bundles", () => {
  it.each(HANDLERS)(
    '%s carries no schema compiler (ajv), no TensorFlow.js and no wasm kernels',
    async (handler) => {
      // Act
      const inputs = await bundleInputs(handler);
      // Assess: the validators are ajv's standalone output, generated ahead of time.
      expect(inputs.filter((input) => input.includes('node_modules/ajv/'))).toEqual([]);
      expect(inputs.filter((input) => input.includes('@tensorflow/'))).toEqual([]);
      expect(inputs.filter((input) => input.includes('tfjs-wasm-training'))).toEqual([]);
      expect(inputs).toContain('src/rubric/result-validator.generated.ts');
    },
  );
});
