import { describe, expect, it } from 'vitest';
import { GENERATED_FILES, staleGeneratedFiles } from '../../scripts/generate.js';

describe('generated source files', () => {
  it('are what their generators give from the committed schemas and kernels (else: npm run generate)', async () => {
    // Act
    const stale = await staleGeneratedFiles();
    // Assess
    expect(GENERATED_FILES).toHaveLength(3);
    expect(stale).toEqual([]);
  });
});
