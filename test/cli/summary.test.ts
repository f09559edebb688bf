import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MACS_DEFINITION } from '../../src/spec/index.js';
import { captureIo } from '../helpers/io.js';

const examples = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));

describe('autograder summary', () => {
  it('prints a torchinfo-style table per experiment with totals and the MAC definition', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['summary', 'three-experiments.json'], io);
    // Assess
    const out = io.out();
    expect(exit).toBe(0);
    expect(out).toContain('Experiment "convnet" (final)');
    expect(out).toContain('Experiment "convnet-tiny"');
    expect(out).toMatch(/Layer\s+Output shape\s+Params\s+MACs/);
    expect(out).toMatch(/6 Linear\s+\[10\]\s+40,970\s+40,960/);
    expect(out).toContain('Total params: 42,362 (within the budget of fewer than 308,310)');
    expect(out).toContain('Total params: 4,146');
    expect(out.replace(/\s+/g, ' ')).toContain(MACS_DEFINITION);
  });

  it('indents the contents of Residual blocks under their block', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['summary', 'resnet-small.json'], io);
    // Assess
    expect(exit).toBe(0);
    const lines = io.out().split('\n');
    const block = lines.findIndex((line) => /^5 Residual\s+\[32, 16, 16\]/.test(line));
    expect(block).toBeGreaterThan(0);
    expect(lines[block + 1]).toMatch(/^ {2}body\/0 Conv2d\s+\[32, 16, 16\]\s+4,608\s+1,179,648$/);
    expect(lines.slice(block + 1).find((line) => line.includes('shortcut/0'))).toMatch(
      /^ {2}shortcut\/0 Conv2d/,
    );
  });

  it('prints what it can, then the errors, with exit 1 for an invalid file', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['summary', 'broken/baseline-over-budget.json'], io);
    // Assess
    expect(exit).toBe(1);
    expect(io.out()).toContain('Total params: 308,310 (over the budget of fewer than 308,310)');
    expect(io.out()).toContain('is invalid (1 error)');
  });

  it('shows the layers it could infer for a network with a shape error, and no totals', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['summary', 'broken/wrong-in-features.json'], io);
    // Assess
    const out = io.out();
    expect(exit).toBe(1);
    expect(out).toMatch(/8 MaxPool2d\s+\[16, 4, 4\]/);
    expect(out).toMatch(/9 Flatten\s+\[256\]/);
    expect(out).toContain('Incomplete: this network has errors (listed below); no totals.');
    expect(out).not.toContain('Total params');
    expect(out).toContain('✗ layers/10 (Linear): in_features is 4096 but 256 features arrive');
  });

  it('answers an unreadable file with exit 2', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['summary', 'missing.json'], io);
    // Assess
    expect(exit).toBe(2);
    expect(io.err()).toContain('cannot read missing.json');
  });
});
