import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../src/spec/index.ts', import.meta.url));

describe('the validator as the Lambda bundles it', () => {
  it('pulls in neither TensorFlow.js, nor ajv, nor Node built-ins, and stays under 1 MB', async () => {
    // Act
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'neutral',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
    const imports = Object.values(result.metafile.outputs).flatMap((o) =>
      o.imports.map((i) => i.path),
    );
    expect(imports).toEqual([]);
    expect(result.outputFiles[0]?.contents.length).toBeLessThan(1024 * 1024);
  });
});
