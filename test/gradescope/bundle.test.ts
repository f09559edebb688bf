import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10, writeCifar10Dir } from '../../src/data/index.js';
import {
  buildGradescopeBundle,
  CIFAR10_ARCHIVE,
  GRADESCOPE_ROOT_VARIABLE,
} from '../../src/gradescope/index.js';
import { type ResultFile, resultSchemaErrors } from '../../src/rubric/index.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/grade/two-experiments.json', import.meta.url));

/** Each entry's Unix mode, from the zip's central directory ("version made by" 3 = Unix). */
function unixModes(zip: Uint8Array): Record<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const modes: Record<string, number> = {};
  for (let at = 0; at + 46 <= zip.length; at += 1) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const madeBy = view.getUint8(at + 5);
    const nameLength = view.getUint16(at + 28, true);
    const external = view.getUint32(at + 38, true);
    const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength));
    if (madeBy === 3) modes[name] = (external >>> 16) & 0o777;
  }
  return modes;
}

let root: string;
let zip: Uint8Array;

/**
 * A directory laid out like Gradescope's /autograder after setup.sh: the zip unpacked in
 * source/, the grader's packages installed (here: this checkout's node_modules) and CIFAR-10 in
 * source/cifar-10-batches-bin (here: tiny generated data).
 */
async function gradescopeRoot(name: string, submissions: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  const source = path.join(dir, 'source');
  for (const [entry, bytes] of Object.entries(unzipSync(zip))) {
    await mkdir(path.dirname(path.join(source, entry)), { recursive: true });
    await writeFile(path.join(source, entry), bytes);
  }
  await symlink(path.join(REPO, 'node_modules'), path.join(source, 'grader', 'node_modules'));
  await writeCifar10Dir(
    path.join(source, 'cifar-10-batches-bin'),
    syntheticCifar10({ train: 192, test: 96, seed: 8 }),
  );
  await mkdir(path.join(dir, 'submission'), { recursive: true });
  for (const [file, from] of Object.entries(submissions)) {
    await copyFile(from, path.join(dir, 'submission', file));
  }
  return dir;
}

async function runAutograder(dir: string): Promise<{ stdout: string; result: ResultFile }> {
  const { stdout } = await run('bash', [path.join(dir, 'source', 'run_autograder')], {
    env: { PATH: process.env.PATH ?? '', [GRADESCOPE_ROOT_VARIABLE]: dir },
    timeout: 240_000,
  });
  const result = JSON.parse(await readFile(path.join(dir, 'results', 'results.json'), 'utf8'));
  return { stdout, result };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-gradescope-'));
  zip = (await buildGradescopeBundle(REPO)).zip;
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the Gradescope autograder zip', () => {
  it('holds executable setup.sh and run_autograder at its top, and the grader in grader/', () => {
    // Act
    const entries = Object.keys(unzipSync(zip)).sort();
    const modes = unixModes(zip);
    // Assess
    expect(entries).toEqual([
      'grader/autograder.mjs',
      'grader/package.json',
      'run_autograder',
      'setup.sh',
    ]);
    expect(modes['setup.sh']).toBe(0o755);
    expect(modes.run_autograder).toBe(0o755);
    expect(modes['grader/autograder.mjs']).toBe(0o644);
  });

  it('installs the pinned TensorFlow.js packages and checked CIFAR-10 in setup.sh', async () => {
    // Prepare
    const files = unzipSync(zip);
    const setup = new TextDecoder().decode(files['setup.sh']);
    const pkg = JSON.parse(new TextDecoder().decode(files['grader/package.json']));
    const own = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8'));
    // Act
    const syntax = await run('bash', ['-n', '-c', setup]);
    // Assess
    expect(syntax.stderr).toBe('');
    expect(pkg.dependencies).toEqual({
      '@tensorflow/tfjs': own.dependencies['@tensorflow/tfjs'],
      '@tensorflow/tfjs-backend-wasm': own.dependencies['@tensorflow/tfjs-backend-wasm'],
    });
    expect(setup).toContain(
      `echo "${CIFAR10_ARCHIVE.md5}  /tmp/cifar-10-binary.tar.gz" | md5sum -c -`,
    );
    expect(setup).toContain('sha256sum -c -');
    expect(setup).toContain('npm install --omit=dev');
  });

  it('grades the one uploaded .json into results/results.json with the wasm engine', async () => {
    // Prepare
    const dir = await gradescopeRoot('one', { 'my-net.json': FIXTURE });
    // Act
    const { stdout, result } = await runAutograder(dir);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.extra_data).toMatchObject({
      outcome: 'graded',
      complete: true,
      backend: { name: 'wasm' },
      dataset: { train_images: 192, test_images: 96 },
      submission: { source: 'my-net.json' },
    });
    expect(result.tests.map((t) => t.number)).toEqual(['3.1', '3.2', '3.3', '4.1']);
    expect(stdout).toContain('Grading my-net.json on wasm');
    expect(stdout).toContain(`Score: ${result.score}`);
  }, 240_000);

  it('answers two uploaded files with a zero that says to upload exactly one', async () => {
    // Prepare
    const dir = await gradescopeRoot('two', { 'a.json': FIXTURE, 'b.json': FIXTURE });
    // Act
    const { result } = await runAutograder(dir);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(0);
    expect(result.extra_data.errors).toEqual([
      {
        path: '',
        message:
          'Upload exactly one .json file; found 2: a.json, b.json. Put every experiment in that one file.',
      },
    ]);
    expect(result.output).toContain('No submission file was read');
    expect(result.output).not.toContain('autograder validate');
  }, 240_000);

  it('answers a lone .onnx upload with how to make the submission from it', async () => {
    // Prepare
    const onnx = fileURLToPath(new URL('../fixtures/import-onnx/convnet.onnx', import.meta.url));
    const dir = await gradescopeRoot('onnx', { 'model.onnx': onnx });
    // Act
    const { result } = await runAutograder(dir);
    // Assess
    expect(resultSchemaErrors(result)).toEqual([]);
    expect(result.score).toBe(0);
    expect(result.extra_data.errors[0]?.message).toContain(
      'model.onnx is an ONNX model, not a submission file: make the submission from your model with "npx autograder import model.onnx --params N --accuracy A"',
    );
    expect(result.output).not.toContain('No .json file was uploaded');
  }, 240_000);
});
