/**
 * The student page in headless Chromium: a PyTorch export dropped there is converted in the
 * browser, shown as JSON, and becomes submittable only once the student types their figures.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = fileURLToPath(new URL('../fixtures/import-onnx/', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available) {
  console.warn(
    `SKIPPED: the page's ONNX import: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
  );
}

let root: string;
let serve: ServeProcess;
let browser: Browser;
let token = '';

beforeAll(async () => {
  if (!available) return;
  root = await mkdtemp(path.join(tmpdir(), 'page-onnx-'));
  const state = path.join(root, 'state');
  const io = captureIo();
  expect(await main(['students', 'add', 'alice', '--state', state], io), io.err()).toBe(0);
  token = io.out().trim().split('\t')[1] ?? '';
  serve = await startServe(['--port', '0', '--state', state]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

async function signedInPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${serve.url}/`);
  await page.fill('#token', token);
  await page.click('#token-form button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  return page;
}

describe.skipIf(!available)('the student page converts a dropped .onnx file', () => {
  it('shows the submission as JSON and enables Submit only once the figures are typed', async () => {
    // Prepare
    const page = await signedInPage();
    // Act
    await page.setInputFiles('#file', path.join(FIXTURES, 'resnet.onnx'));
    await page.waitForSelector('#import-json');
    const before = {
      submit: await page.isDisabled('#submit'),
      problems: await page.textContent('#check .errors'),
    };
    await page.fill('#reported-params', '19994');
    await page.fill('#reported-accuracy', '61.3');
    await page.waitForSelector('#check .verdict.ok');
    // Assess
    expect(before.submit).toBe(true);
    expect(before.problems).toContain('/experiments/0/reported/params');
    expect(await page.isDisabled('#submit')).toBe(false);
    const json = JSON.parse((await page.textContent('#import-json')) ?? '');
    expect(json.experiments[0].reported).toEqual({ params: 19994, test_accuracy: 61.3 });
    expect(json.experiments[0].layers[3].type).toBe('Residual');
    expect(await page.textContent('#import .verdict')).toContain(
      'resnet.onnx was converted in your browser',
    );
    await page.close();
  });

  it('explains a folded BatchNorm export, and imports it anyway on request', async () => {
    // Prepare
    const page = await signedInPage();
    // Act
    await page.setInputFiles('#file', path.join(FIXTURES, 'batchnorm-folded.onnx'));
    await page.waitForSelector('#import .verdict.bad');
    const refusal = await page.textContent('#import');
    await page.click('#import button');
    await page.waitForSelector('#import-json');
    // Assess
    expect(refusal).toContain('TrainingMode.PRESERVE');
    expect(await page.isDisabled('#submit')).toBe(true);
    expect(await page.textContent('#import')).toContain(
      'The folded convolutions were kept as they are',
    );
    await page.close();
  });

  it('names the node of a network the format cannot express', async () => {
    // Prepare
    const page = await signedInPage();
    // Act
    await page.setInputFiles('#file', path.join(FIXTURES, 'lstm.onnx'));
    await page.waitForSelector('#import .verdict.bad');
    // Assess
    expect(await page.textContent('#import .import-error')).toContain(
      'ONNX node #22 "/lstm/LSTM" (LSTM): recurrent layers',
    );
    expect(await page.isDisabled('#submit')).toBe(true);
    await page.close();
  });
});
