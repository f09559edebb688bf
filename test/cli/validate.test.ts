import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

const examples = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'validate-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Invocations and what they must answer. */
const CASES = [
  {
    description: 'a valid example',
    data: ['validate', 'convnet.json'],
    code: 0,
    out: 'convnet.json is valid: 1 experiment, final "convnet"',
  },
  {
    description: 'a broken example',
    data: ['validate', 'broken/wrong-in-features.json'],
    code: 1,
    out: '✗ layers/10 (Linear): in_features is 4096',
  },
  {
    description: 'a missing file',
    data: ['validate', 'no-such.json'],
    code: 2,
    err: 'cannot read no-such.json: no such file',
  },
  {
    description: 'a directory',
    data: ['validate', 'broken'],
    code: 2,
    err: 'cannot read broken: it is a directory',
  },
  { description: 'no file', data: ['validate'], code: 2, err: 'missing FILE' },
  {
    description: 'two files',
    data: ['validate', 'a.json', 'b.json'],
    code: 2,
    err: 'expected one FILE, got 2',
  },
  {
    description: 'an unknown flag',
    data: ['validate', '--yaml', 'convnet.json'],
    code: 2,
    err: 'unknown option --yaml; --help lists the options',
  },
  {
    description: 'a valid file that loses points as it stands',
    data: ['validate', 'tiny.json'],
    code: 0,
    out: 'Valid, but it loses points as it stands (2 warnings):\n  ! the final network "tiny" has 1 Conv2d layer: task 3.1 (3 points) gives full marks from 2.',
  },
  {
    description: 'an ONNX model instead of a submission',
    data: ['validate', '../../test/fixtures/import-onnx/convnet.onnx'],
    code: 1,
    out: 'the file is an ONNX model (as torch.onnx.export writes), not a submission: a submission is a JSON file; make one from the model with "npx autograder import MODEL.onnx"',
  },
  {
    description: '--help',
    data: ['validate', '--help'],
    code: 0,
    out: 'Usage: autograder validate FILE [--json]',
  },
];

describe('autograder validate', () => {
  it.each(CASES)('answers $description with exit $code', async ({ data, code, out, err }) => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(data, io);
    // Assess
    expect(exit).toBe(code);
    if (out) expect(io.out()).toContain(out);
    if (err) expect(io.err()).toContain(err);
    expect(io.err()).not.toMatch(/\n\s+at /); // never a stack trace
  });

  it('prints exactly the design’s JSON with --json', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['validate', 'three-experiments.json', '--json'], io);
    // Assess
    expect(exit).toBe(0);
    const report = JSON.parse(io.out()) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['valid', 'errors', 'warnings', 'experiments']);
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.experiments).toEqual([
      { name: 'convnet', params: 42_362, macs: expect.any(Number), output_shape: [10] },
      { name: 'convnet-small', params: 5_538, macs: expect.any(Number), output_shape: [10] },
      { name: 'convnet-tiny', params: 4_146, macs: expect.any(Number), output_shape: [10] },
    ]);
  });

  it('lists each warning with its JSON pointer in --json mode, exit 0', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['validate', 'convnet.json', '--json'], io);
    // Assess
    expect(exit).toBe(0);
    const report = JSON.parse(io.out()) as { warnings: Array<{ path: string; message: string }> };
    expect(report.warnings).toEqual([
      {
        path: '/experiments',
        message: expect.stringContaining('task 4.1 (2 points) needs at least 2 experiments'),
      },
    ]);
  });

  it('reports each error with its JSON pointer in --json mode, exit 1', async () => {
    // Prepare
    const io = captureIo({ cwd: examples });
    // Act
    const exit = await main(['validate', '--json', 'broken/training-out-of-bounds.json'], io);
    // Assess
    expect(exit).toBe(1);
    const report = JSON.parse(io.out()) as {
      valid: boolean;
      errors: Array<{ path: string; message: string }>;
    };
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => Object.keys(e))).toEqual([
      ['path', 'message'],
      ['path', 'message'],
      ['path', 'message'],
    ]);
    expect(report.errors.map((e) => e.path)).toContain('/experiments/0/training/lr');
  });

  it('refuses a file of tens of megabytes as invalid without reading it all', async () => {
    // Prepare
    const big = path.join(scratch, 'big.json');
    writeFileSync(big, Buffer.alloc(20 * 1024 * 1024, 0x20));
    const io = captureIo({ cwd: scratch });
    // Act
    const exit = await main(['validate', 'big.json', '--json'], io);
    // Assess
    expect(exit).toBe(1);
    expect(io.out()).toContain("larger than the rubric's limit of 262,144 bytes");
  });

  it('reads a file with a byte-order mark', async () => {
    // Prepare
    const file = path.join(scratch, 'bom.json');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(
          JSON.stringify({
            assignment: 'cifar10-conv',
            experiments: [
              { name: 'a', layers: [{ type: 'Flatten' }, { type: 'Linear', out_features: 10 }] },
            ],
            final: 'a',
          }),
        ),
      ]),
    );
    const io = captureIo({ cwd: scratch });
    // Act
    const exit = await main(['validate', file], io);
    // Assess
    expect(io.out()).toContain('is valid');
    expect(exit).toBe(0);
  });
});
