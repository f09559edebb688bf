import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCifar10 } from '../../src/data/index.js';
import { type LocalService, startLocalService } from '../../src/service/local-service.js';
import { FileSystemStudentsStore, hashToken, issueToken } from '../../src/students/index.js';
import { selectBackend } from '../../src/train/index.js';
import { chromiumOrSkip, launchChromium } from '../helpers/chromium.js';

const SUITE = 'the students page in headless Chromium';
const EXAMPLES = fileURLToPath(new URL('../../rubric/examples/', import.meta.url));
/** Each step's screenshot is left here for a person to look at. */
const SHOTS = path.join(tmpdir(), 'autograder-page-screenshots');
const executable = chromiumOrSkip(SUITE);

let root: string;
let service: LocalService;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
let token: string;
const posts: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (!executable) return;
  root = await mkdtemp(path.join(tmpdir(), 'student-page-'));
  await mkdir(SHOTS, { recursive: true });
  const state = path.join(root, 'state');
  const students = new FileSystemStudentsStore(path.join(state, 'students'));
  token = issueToken();
  await students.add({
    student: 'alice',
    tokenSha256: hashToken(token),
    createdAt: new Date().toISOString(),
  });
  const data = syntheticCifar10({ train: 128, test: 64, seed: 9 });
  service = await startLocalService({
    stateDir: state,
    port: 0,
    loadData: async () => data,
    selectBackend: () => selectBackend('wasm'),
  });
  browser = await launchChromium(executable);
  page = await browser.context.newPage();
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url());
  });
  // A CSP violation or a script error shows up on the console.
  page.on('console', (message) => {
    // The 401 of the deliberately wrong token is the one error expected.
    if (message.type() === 'error' && !message.text().includes('status of 401')) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const shot = (name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** Drops a file on the drop box the way a browser does, with a DataTransfer. */
async function dropFile(file: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  // A string, so this file needs no DOM types: it runs in the page.
  await page.evaluate(`(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([${JSON.stringify(text)}], ${JSON.stringify(path.basename(file))}, { type: 'application/json' }));
    document.getElementById('drop').dispatchEvent(
      new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
    );
  })()`);
}

describe.skipIf(!executable)(SUITE, () => {
  it('asks for the token, refuses a wrong one, and remembers a right one for the tab', async () => {
    // Act
    await page.goto(service.url);
    await shot('1-sign-in');
    const tokenBox = page.getByLabel('Personal token');
    await tokenBox.fill(`agt_${'x'.repeat(43)}`);
    await tokenBox.press('Enter');
    // The refusal arrives with the API's 401: wait for it rather than read the box at once.
    await page.waitForFunction("document.getElementById('token-error')?.textContent !== ''");
    const refused = await page.locator('#token-error').textContent();
    await tokenBox.fill(token);
    await tokenBox.press('Enter');
    await page.getByText('Signed in as alice').waitFor();
    await shot('2-signed-in');
    // Assess
    expect(refused).toContain('Missing or invalid token');
    expect(await page.locator('#quota').textContent()).toBe(
      'You have used 0 of 10 submissions in the last 24 hours; 10 left.',
    );
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('document.activeElement.id')).toBe('file');
  });

  it("lists a dropped broken file's errors at their JSON paths without sending anything", async () => {
    // Act
    await dropFile(path.join(EXAMPLES, 'broken', 'wrong-in-features.json'));
    await page.locator('.verdict.bad').waitFor();
    await shot('3-broken-file');
    // Assess
    const errors = await page.locator('ul.errors li').allTextContents();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^\/experiments\/0\/layers\/\d+ .*in_features is 4096/);
    expect(await page.getByRole('button', { name: 'Submit for grading' }).isDisabled()).toBe(true);
    expect(posts).toEqual([]);
  });

  it('warns before submitting what a valid file will lose points for, and still lets it be sent', async () => {
    // Act: tiny.json has one Conv2d and is the only experiment.
    await page
      .getByLabel('Choose your submission file (.json)')
      .setInputFiles(path.join(EXAMPLES, 'tiny.json'));
    await page.locator('.verdict.warn').waitFor();
    await shot('3b-valid-with-warnings');
    // Assess
    const warnings = await page.locator('ul.warnings li').allTextContents();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^\/experiments\/0\/layers the final network "tiny" has 1 Conv2d layer: task 3\.1 \(3 points\)/,
    );
    expect(warnings[1]).toMatch(
      /^\/experiments task 4\.1 \(2 points\) needs at least 2 experiments/,
    );
    expect(await page.locator('#submit-message').textContent()).toBe(
      'tiny.json is valid, with 2 warnings about lost points; you can still submit it.',
    );
    expect(await page.getByRole('button', { name: 'Submit for grading' }).isDisabled()).toBe(false);
    expect(posts).toEqual([]);
  });

  it("shows a picked valid file's layers and budget, submits it, and follows it to the score and curves", async () => {
    // Prepare
    const seen = new Set<string>();
    // Act
    await page
      .getByLabel('Choose your submission file (.json)')
      .setInputFiles(path.join(EXAMPLES, 'three-experiments.json'));
    await page.locator('.verdict.ok').waitFor();
    await shot('4-valid-file');
    const budget = await page.locator('#budget tbody tr').allTextContents();
    const layerTables = await page.locator('table.layers').count();
    await page.getByRole('button', { name: 'Submit for grading' }).click();
    const status = page.locator('#status');
    for (let i = 0; i < 1200 && !(await status.textContent())?.startsWith('Graded'); i += 1) {
      const text = (await status.textContent()) ?? '';
      if (text.startsWith('Running') && !seen.has('running')) await shot('5-running');
      seen.add(text.split(':')[0] ?? text);
      await page.waitForTimeout(50);
    }
    await page.locator('#curves svg').first().waitFor();
    await shot('6-graded');
    // Assess
    expect(budget).toHaveLength(3);
    expect(budget[0]).toContain('42,362');
    expect(layerTables).toBe(3);
    expect(posts).toHaveLength(1);
    expect(await status.textContent()).toMatch(/^Graded: \d+(\.\d+)? of 8 points\.$/);
    // Nothing beside the graded result still says it waits.
    expect(await page.locator('#submit-message').textContent()).not.toMatch(/queued|waiting/i);
    expect(await page.locator('#tasks tbody tr').count()).toBe(4);
    // The score is said once (the status line), and the table says how training went.
    expect(await page.getByText(/Score: /).count()).toBe(0);
    expect(await page.locator('#experiments thead th').nth(1).textContent()).toBe('training');
    expect(await page.locator('#experiments tbody td').first().textContent()).toBe('trained');
    // 128 generated images: the result says at its top that it is a trial, not a grade.
    expect(await page.locator('#result > :first-child').getAttribute('id')).toBe('trial');
    expect(await page.locator('#experiments tbody tr').count()).toBe(3);
    expect(await page.locator('#chart-loss path.line').count()).toBe(3);
    expect(await page.locator('#chart-accuracy path.line').count()).toBe(3);
    expect(await page.locator('#history-table tbody tr').count()).toBe(1);
    expect(await page.locator('#quota').textContent()).toContain('used 1 of 10');
  });

  it('keeps the token across a reload and reopens a submission from the history', async () => {
    // Act
    await page.reload();
    await page.getByText('Signed in as alice').waitFor();
    await page.getByRole('button', { name: /^Open the submission of/ }).click();
    await page.locator('#tasks').waitFor();
    await shot('7-history-reopened');
    // Assess
    expect(await page.locator('#sign-in').isHidden()).toBe(true);
    expect(await page.locator('#history-table tbody tr').getAttribute('aria-current')).toBe('true');
    expect(problems).toEqual([]);
  });

  it('sends one submission at a time and matches the answer to the file that was sent', async () => {
    // Prepare: hold each POST 800 ms, so a second file can be picked while the first is sent.
    const before = posts.length;
    await page.route('**/api/submissions', async (route) => {
      if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    const submitButton = page.getByRole('button', { name: 'Submit for grading' });
    const chooser = page.getByLabel('Choose your submission file (.json)');
    // Act
    await chooser.setInputFiles(path.join(EXAMPLES, 'tiny.json'));
    await page.locator('.verdict.ok').waitFor();
    await submitButton.click();
    await chooser.setInputFiles(path.join(EXAMPLES, 'three-experiments.json'));
    await page.getByText('three-experiments.json is valid.').waitFor();
    const disabledWhileSending = await submitButton.isDisabled();
    await page.getByText('tiny.json was submitted; its status is below.').waitFor();
    const secondStillReady = await page.getByText('three-experiments.json is valid.').isVisible();
    await submitButton.click();
    await page.getByText('three-experiments.json was submitted; its status is below.').waitFor();
    await page.unroute('**/api/submissions');
    // Assess
    expect(disabledWhileSending).toBe(true);
    expect(secondStillReady).toBe(true);
    expect(posts.length - before).toBe(2);
    expect(problems).toEqual([]);
  });

  it('says a valid file must wait when the quota is used up, instead of "ready to submit"', async () => {
    // Prepare: the service answers that all 3 of the day's submissions are used.
    const frees = new Date(Date.now() + 3_600_000).toISOString();
    await page.route('**/api/submissions', async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      return route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          student: 'alice',
          quota: { limit: 3, used: 3, remaining: 0, resets_at: frees },
          submissions: [],
        }),
      });
    });
    await page.reload();
    await page.getByText('none left').waitFor();
    // Act
    await page
      .getByLabel('Choose your submission file (.json)')
      .setInputFiles(path.join(EXAMPLES, 'three-experiments.json'));
    await page.locator('.verdict.ok').waitFor();
    const text = await page.locator('#submit-message').textContent();
    const disabled = await page.getByRole('button', { name: 'Submit for grading' }).isDisabled();
    await page.unroute('**/api/submissions');
    // Assess
    expect(text).toMatch(
      /^three-experiments\.json is valid, but you have no submissions left until .+: submit it then\.$/,
    );
    expect(text).not.toContain('ready to submit');
    expect(disabled).toBe(true);
  });
});
