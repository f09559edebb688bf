import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';

const fixtures = fileURLToPath(new URL('../fixtures/import-onnx/', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'import-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh directory holding a copy of one fixture model. */
function workspace(model: string): string {
  const dir = mkdtempSync(path.join(scratch, 'ws-'));
  copyFileSync(path.join(fixtures, model), path.join(dir, model));
  return dir;
}

describe('autograder import', () => {
  it('writes MODEL.json beside the model, with placeholders for the figures the student reports', async () => {
    // Prepare
    const dir = workspace('convnet.onnx');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(['import', 'convnet.onnx'], io);
    // Assess
    expect(code).toBe(0);
    const written = JSON.parse(readFileSync(path.join(dir, 'convnet.json'), 'utf8'));
    expect(written.final).toBe('convnet');
    expect(written.experiments[0].reported.params).toMatch(/^TODO: /);
    expect(io.out()).toContain('Imported convnet.onnx into convnet.json: experiment "convnet"');
    expect(io.out()).toContain('layers/6                     Linear             → 10 features');
    expect(io.out()).toContain('Replace the "TODO: …" placeholders');
    // Counting the parameters is task 3.2: the import must not give the answer away.
    expect(io.out()).not.toMatch(/42[,.]?362/);
    const validate = captureIo({ cwd: dir });
    expect(await main(['validate', 'convnet.json'], validate)).toBe(1);
    expect(validate.out()).toContain('at /experiments/0/reported/params');
  });

  it('takes the reported figures as flags, so the written file is ready to submit', async () => {
    // Prepare
    const dir = workspace('resnet.onnx');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(
      [
        'import',
        'resnet.onnx',
        '--name',
        'resnet v2',
        '--out',
        'sub.json',
        '--params',
        '19994',
        '--accuracy',
        '61.3',
      ],
      io,
    );
    // Assess
    expect(code).toBe(0);
    expect(io.out()).not.toContain('TODO');
    const validate = captureIo({ cwd: dir });
    expect(await main(['validate', 'sub.json', '--json'], validate)).toBe(0);
    const report = JSON.parse(validate.out());
    expect(report.experiments).toEqual([
      expect.objectContaining({ name: 'resnet v2', params: 19994, output_shape: [10] }),
    ]);
  });

  it('adds a second model as one more experiment with --add-to, for task 4.1', async () => {
    // Prepare
    const dir = workspace('convnet.onnx');
    copyFileSync(path.join(fixtures, 'convnet-small.onnx'), path.join(dir, 'convnet-small.onnx'));
    const first = ['import', 'convnet.onnx', '--params', '42362', '--accuracy', '59.92'];
    expect(await main(first, captureIo({ cwd: dir }))).toBe(0);
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(
      [
        'import',
        'convnet-small.onnx',
        '--add-to',
        'convnet.json',
        '--final',
        '--params',
        '5538',
        '--accuracy',
        '49.64',
      ],
      io,
    );
    const again = captureIo({ cwd: dir });
    const duplicate = await main(
      ['import', 'convnet-small.onnx', '--add-to', 'convnet.json'],
      again,
    );
    // Assess
    expect(code).toBe(0);
    expect(io.out()).toContain(
      'as experiment "convnet-small" (2 experiments now; "convnet-small" is graded as the final one)',
    );
    const validate = captureIo({ cwd: dir });
    expect(await main(['validate', 'convnet.json', '--json'], validate)).toBe(0);
    const report = JSON.parse(validate.out());
    expect(
      report.experiments.map((e: { name: string; params: number }) => [e.name, e.params]),
    ).toEqual([
      ['convnet', 42362],
      ['convnet-small', 5538],
    ]);
    expect(duplicate).toBe(2);
    expect(again.err()).toContain('convnet.json already has an experiment named "convnet-small"');
  });

  it('prints the submission with --out -', async () => {
    // Prepare
    const dir = workspace('convnet-tiny.onnx');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(['import', 'convnet-tiny.onnx', '--out', '-'], io);
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(io.out()).experiments[0].layers).toHaveLength(11);
    expect(existsSync(path.join(dir, 'convnet-tiny.json'))).toBe(false);
  });

  it('does not overwrite a file the student may have edited, unless --force', async () => {
    // Prepare
    const dir = workspace('convnet-small.onnx');
    writeFileSync(path.join(dir, 'convnet-small.json'), '{"edited": true}');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(['import', 'convnet-small.onnx'], io);
    const forced = await main(['import', 'convnet-small.onnx', '--force'], captureIo({ cwd: dir }));
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain('convnet-small.json already exists');
    expect(forced).toBe(0);
    expect(readFileSync(path.join(dir, 'convnet-small.json'), 'utf8')).toContain('"layers"');
  });

  it('refuses an unmappable model with the node and writes nothing', async () => {
    // Prepare
    const dir = workspace('upsample.onnx');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(['import', 'upsample.onnx'], io);
    // Assess
    expect(code).toBe(1);
    expect(io.err()).toContain(
      'Cannot import upsample.onnx: ONNX node #3 "/net/net.2/Resize" (Resize): upsampling',
    );
    expect(io.err()).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'upsample.json'))).toBe(false);
  });

  it('imports folded BatchNorm only with --keep-folded-batchnorm, and warns', async () => {
    // Prepare
    const dir = workspace('batchnorm-folded.onnx');
    const refused = captureIo({ cwd: dir });
    const kept = captureIo({ cwd: dir });
    // Act
    const refusedCode = await main(['import', 'batchnorm-folded.onnx'], refused);
    const keptCode = await main(
      ['import', 'batchnorm-folded.onnx', '--keep-folded-batchnorm'],
      kept,
    );
    // Assess
    expect(refusedCode).toBe(1);
    expect(refused.err()).toContain('TrainingMode.PRESERVE');
    expect(refused.err()).toContain('use --keep-folded-batchnorm');
    expect(keptCode).toBe(0);
    expect(kept.out()).toContain('Warning: ONNX node #2');
    expect(kept.out()).toContain('The folded convolutions were kept as they are');
  });

  it('writes the MLP baseline but says the grader would refuse it for its budget', async () => {
    // Prepare
    const dir = workspace('mlp.onnx');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(['import', 'mlp.onnx'], io);
    // Assess
    expect(code).toBe(1);
    expect(existsSync(path.join(dir, 'mlp.json'))).toBe(true);
    expect(io.err()).toContain('the grader would refuse it as it is');
    expect(io.err()).toContain('the budget is strictly fewer than 308,310');
    expect(io.err()).not.toContain('reported');
  });

  it.each([
    { args: ['import'], err: 'missing MODEL.onnx' },
    { args: ['import', 'nope.onnx'], err: 'cannot read nope.onnx: no such file' },
    {
      args: ['import', 'convnet.onnx', '--name', 'my/model'],
      err: 'is not a valid experiment name',
    },
    {
      args: ['import', 'convnet.onnx', '--params', '12.5'],
      err: '--params "12.5" is not a whole number',
    },
    {
      args: ['import', 'convnet.onnx', '--accuracy', '120'],
      err: 'is not a percentage between 0 and 100',
    },
    {
      args: ['import', 'convnet.onnx', '--out', 'convnet.onnx'],
      err: '--out must not be the model file itself',
    },
    { args: ['import', 'convnet.onnx', '--final'], err: '--final goes with --add-to' },
    { args: ['import', 'convnet.onnx', '--add-to', 'none.json'], err: 'cannot read none.json' },
  ])('usage error: $err', async ({ args, err }) => {
    // Prepare
    const io = captureIo({ cwd: workspace('convnet.onnx') });
    // Act
    const code = await main(args, io);
    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain(err);
  });

  it('says a file that is not ONNX is not a model', async () => {
    // Prepare
    const dir = workspace('convnet.onnx');
    writeFileSync(path.join(dir, 'notes.onnx'), 'just some text, not protobuf');
    const io = captureIo({ cwd: dir });
    // Act
    const code = await main(['import', 'notes.onnx'], io);
    // Assess
    expect(code).toBe(1);
    expect(io.err()).toContain('Cannot import notes.onnx: the file is not an ONNX model');
  });

  it.skipIf(!existsSync('/dev/zero'))(
    'stops reading a device that never ends (its size reads 0) after the 64 MB cap',
    async () => {
      // Prepare
      const io = captureIo({ cwd: workspace('convnet.onnx') });
      // Act
      const code = await main(['import', '/dev/zero'], io);
      // Assess
      expect(code).toBe(2);
      expect(io.err()).toContain('/dev/zero is larger than 64 MB');
    },
  );
});
