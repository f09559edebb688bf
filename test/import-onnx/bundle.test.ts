import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../../src/import-onnx/index.ts', import.meta.url));

describe('the ONNX importer as the student page bundles it', () => {
  it('needs no Node built-ins: only the ONNX schema and its protobuf runtime come from packages', async () => {
    // Act
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Assess
    const packages = new Set(
      Object.keys(result.metafile.inputs)
        .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1])
        .filter((name) => name !== undefined),
    );
    expect([...packages].sort()).toEqual(['@bufbuild/protobuf', 'onnx-buf']);
    const imports = Object.values(result.metafile.outputs).flatMap((o) =>
      o.imports.map((i) => i.path),
    );
    expect(imports).toEqual([]);
    expect(result.outputFiles[0]?.contents.length).toBeLessThan(512 * 1024);
  });
});
