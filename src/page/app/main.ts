import { DEFAULT_RUBRIC } from '../../rubric/default-rubric.js';
import { trialOfResult } from '../../rubric/trial.js';
import type { ExperimentRecord, ResultFile } from '../../rubric/types.js';
import { submissionWarnings } from '../../rubric/warnings.js';
import { summarizeSubmission } from '../../spec/index.js';
import type { SpecError } from '../../spec/types.js';
import type { SummaryTable } from '../../spec/validate.js';
import {
  call,
  type Progress,
  type Quota,
  type Status,
  type SubmissionDetail,
  type SubmissionRow,
} from './api-client.js';
import { lineChart } from './chart.js';
import { byId, count, el, percent, replaceChildren, when } from './dom.js';
import { hideOnnxImport, showOnnxImport } from './onnx-import.js';

const TOKEN_KEY = 'cifar10-autograder.token';
const POLL_MS = 1000;
const rubric = DEFAULT_RUBRIC;

let token: string | null = null;
let quota: Quota | null = null;
/** The checked file's bytes when it is valid, ready to send. */
let pending: { name: string; bytes: Uint8Array } | null = null;
/** A submission is on its way: one at a time, and its answer belongs to the file that was sent. */
let sending = false;
/** Which submission is open; a newer open stops the older one's polling. */
let openGeneration = 0;
let openId: string | null = null;

function start(): void {
  byId('noscript').hidden = true;
  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn();
  });
  byId('forget').addEventListener('click', signOut);
  const input = byId<HTMLInputElement>('file');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void checkFile(file);
  });
  setUpDrop();
  byId('submit').addEventListener('click', () => void submit());
  token = sessionStorage.getItem(TOKEN_KEY);
  if (token) void enter();
  else showSignIn();
}

function showSignIn(message = ''): void {
  byId('sign-in').hidden = false;
  byId('app').hidden = true;
  byId('who').hidden = true;
  byId('forget').hidden = true;
  byId('token-error').textContent = message;
  byId<HTMLInputElement>('token').focus();
}

async function signIn(): Promise<void> {
  const value = byId<HTMLInputElement>('token').value.trim();
  if (!/^agt_[A-Za-z0-9_-]{43}$/.test(value)) {
    byId('token-error').textContent =
      'That is not a token: it should start with agt_ followed by 43 letters, digits, "-" or "_".';
    byId<HTMLInputElement>('token').focus();
    return;
  }
  token = value;
  await enter(true);
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  openGeneration += 1;
  byId<HTMLInputElement>('token').value = '';
  showSignIn();
}

/** Loads the student's history and quota; a refused token goes back to the sign-in form. */
async function enter(fromForm = false): Promise<void> {
  if (!token) return;
  const answer = await call<{ student: string; quota: Quota; submissions: SubmissionRow[] }>(
    token,
    'GET',
    '/api/submissions',
  );
  if (answer.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    showSignIn(answer.body.error ?? 'That token was not accepted.');
    return;
  }
  if (answer.status !== 200) {
    showSignIn(answer.body.error ?? `The service answered ${answer.status}.`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('sign-in').hidden = true;
  byId('app').hidden = false;
  const who = byId('who');
  who.textContent = `Signed in as ${answer.body.student}`;
  who.hidden = false;
  byId('forget').hidden = false;
  showQuota(answer.body.quota);
  showHistory(answer.body.submissions);
  if (fromForm) byId<HTMLInputElement>('file').focus();
}

async function refreshHistory(): Promise<void> {
  if (!token) return;
  const answer = await call<{ quota: Quota; submissions: SubmissionRow[] }>(
    token,
    'GET',
    '/api/submissions',
  );
  if (answer.status === 200) {
    showQuota(answer.body.quota);
    showHistory(answer.body.submissions);
  }
}

function showQuota(next: Quota): void {
  quota = next;
  const node = byId('quota');
  const used = `You have used ${next.used} of ${next.limit} submissions in the last 24 hours`;
  if (next.remaining > 0) {
    node.textContent = `${used}; ${next.remaining} left.`;
    node.classList.remove('full');
  } else {
    const frees = next.resets_at ? ` The next one frees at ${when(next.resets_at)}.` : '';
    node.textContent = `${used}: none left.${frees}`;
    node.classList.add('full');
  }
  updateSubmitButton();
}

function updateSubmitButton(): void {
  byId<HTMLButtonElement>('submit').disabled =
    sending || !pending || (quota !== null && quota.remaining <= 0);
}

// --- Checking a file in the browser -------------------------------------------------------

function setUpDrop(): void {
  const drop = byId('drop');
  // A file dropped outside the box must not navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void checkFile(file);
  });
}

async function checkFile(file: File): Promise<void> {
  pending = null;
  updateSubmitButton();
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (/\.onnx$/i.test(file.name)) {
    showOnnxImport(file.name, bytes, checkBytes);
    return;
  }
  hideOnnxImport();
  checkBytes(file.name, bytes);
}

/**
 * Validates a submission's bytes here, in the browser, and shows what the grader would say.
 * `fix` tells the student how to mend an invalid one.
 */
function checkBytes(fileName: string, bytes: Uint8Array, fix?: string): void {
  pending = null;
  updateSubmitButton();
  const file = { name: fileName };
  const { result, tables } = summarizeSubmission(bytes, rubric);
  const check = byId('check');
  const message = byId('submit-message');
  if (!result.valid) {
    replaceChildren(
      check,
      el(
        'div',
        { class: 'verdict bad' },
        el('strong', {}, `${file.name} has ${plural(result.errors.length, 'problem')}.`),
        ` Nothing was sent. ${fix ?? `Fix ${result.errors.length === 1 ? 'it' : 'them'} and choose the file again.`}`,
      ),
      errorList(result.errors),
      ...tables
        .filter((t) => t.layers.length > 0)
        .map((t) => layerTable(t, result.errors.length > 0)),
    );
    message.textContent = `${file.name}: ${plural(result.errors.length, 'problem')} found; nothing was sent.`;
    return;
  }
  pending = { name: file.name, bytes };
  const final = result.submission.final;
  // What the file will lose points for as it stands: the same warnings `validate` prints.
  const warnings = submissionWarnings({
    submission: result.submission,
    analyses: result.experiments,
    rubric,
  });
  replaceChildren(
    check,
    el(
      'div',
      { class: 'verdict ok' },
      el('strong', {}, `${file.name} is valid.`),
      ` ${plural(result.experiments.length, 'experiment')}; "${final}" is graded as your final network.`,
    ),
    ...(warnings.length > 0
      ? [
          el(
            'div',
            { class: 'verdict warn' },
            el(
              'strong',
              {},
              `But it loses points as it stands (${plural(warnings.length, 'warning')}).`,
            ),
            ' You can still submit it; each warning says how to keep the points.',
          ),
          problemList(warnings, 'warnings', 'Warnings'),
        ]
      : []),
    budgetTable(tables, final),
    ...tables.map((t) => layerTable(t, false, t.name === final)),
  );
  const noneLeft = quota !== null && quota.remaining <= 0;
  message.textContent = noneLeft
    ? `${file.name} is valid, but you have no submissions left${quota?.resets_at ? ` until ${when(quota.resets_at)}` : ''}: submit it then.`
    : warnings.length > 0
      ? `${file.name} is valid, with ${plural(warnings.length, 'warning')} about lost points; you can still submit it.`
      : `${file.name} is valid and ready to submit.`;
  updateSubmitButton();
}

function errorList(errors: SpecError[]): HTMLElement {
  return problemList(errors, 'errors', 'Problems');
}

/** Errors or warnings, each at its JSON path. */
function problemList(
  items: ReadonlyArray<{ path: string; message: string }>,
  kind: 'errors' | 'warnings',
  label: string,
): HTMLElement {
  return el(
    'ul',
    { class: kind, 'aria-label': label },
    ...items.map((error) =>
      el(
        'li',
        {},
        el('span', { class: 'path' }, error.path === '' ? '(the whole file)' : error.path),
        ' ',
        error.message,
      ),
    ),
  );
}

function budgetTable(tables: SummaryTable[], final: string): HTMLElement {
  const maxParams = rubric.budget.max_params_exclusive;
  const maxMacs = rubric.limits.max_macs_per_image;
  return el(
    'table',
    { id: 'budget' },
    el(
      'caption',
      {},
      `Budget: fewer than ${count(maxParams)} parameters (the MLP baseline's), ${count(maxMacs)} MACs per image at most, ${rubric.training.epochs} epochs (fixed)`,
    ),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'experiment'),
        el('th', { scope: 'col', class: 'num' }, 'parameters'),
        el('th', { scope: 'col', class: 'num' }, 'of budget'),
        el('th', { scope: 'col', class: 'num' }, 'MACs per image'),
      ),
    ),
    el(
      'tbody',
      {},
      ...tables.map((t) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, t.name === final ? `${t.name} (final)` : t.name),
          el('td', { class: 'num' }, count(t.params)),
          el('td', { class: 'num' }, `${((100 * t.params) / maxParams).toFixed(1)}%`),
          el('td', { class: 'num' }, count(t.macs)),
        ),
      ),
    ),
  );
}

function layerTable(
  table: SummaryTable,
  partial: boolean,
  final = false,
  errorPaths: Set<string> = new Set(),
): HTMLElement {
  return el(
    'table',
    { class: 'layers' },
    el(
      'caption',
      {},
      `Experiment "${table.name}"${final ? ' (final)' : ''}: layer by layer${partial || !table.complete ? ' (up to the first error)' : ''}`,
    ),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'layer'),
        el('th', { scope: 'col' }, 'output shape'),
        el('th', { scope: 'col', class: 'num' }, 'parameters'),
        el('th', { scope: 'col', class: 'num' }, 'MACs'),
      ),
    ),
    el(
      'tbody',
      {},
      ...table.layers.map((row) =>
        el(
          'tr',
          {
            class:
              [row.depth > 0 ? 'nested' : '', errorPaths.has(row.path) ? 'bad' : '']
                .join(' ')
                .trim() || undefined,
          },
          el(
            'td',
            { title: row.path },
            `${'· '.repeat(row.depth)}${row.type}`,
            errorPaths.has(row.path) ? ' ✗ (see the problem above)' : '',
          ),
          el('td', {}, row.outputShape.join(' × ')),
          el('td', { class: 'num' }, row.params === 0 ? '—' : count(row.params)),
          el('td', { class: 'num' }, row.macs === 0 ? '—' : count(row.macs)),
        ),
      ),
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, 'total'),
        el('td', {}, table.outputShape.join(' × ')),
        el('td', { class: 'num' }, count(table.params)),
        el('td', { class: 'num' }, count(table.macs)),
      ),
    ),
  );
}

// --- Submitting and following a submission -------------------------------------------------

async function submit(): Promise<void> {
  if (!token || !pending || sending) return;
  const sent = pending;
  sending = true;
  const message = byId('submit-message');
  updateSubmitButton();
  message.textContent = `Sending ${sent.name}…`;
  try {
    const answer = await call<{ id: string; quota: Quota; errors?: SpecError[] }>(
      token,
      'POST',
      '/api/submissions',
      sent.bytes,
    );
    // A file picked while this one was on its way stays checked and ready: it is not this one.
    const still = pending === sent;
    switch (answer.status) {
      case 201:
        // The status line below follows the submission; this message must not go stale beside it.
        message.textContent = `${sent.name} was submitted; its status is below.`;
        if (still) {
          pending = null;
          // The check was for this file; the submission below is what matters now.
          replaceChildren(byId('check'));
          byId<HTMLInputElement>('file').value = '';
        }
        showQuota(answer.body.quota);
        openId = answer.body.id;
        await refreshHistory();
        void openSubmission(answer.body.id, true);
        return;
      case 400:
        if (still) pending = null;
        message.textContent = `The service found problems with ${sent.name}; nothing was graded.`;
        if (still) replaceChildren(byId('check'), errorList(answer.body.errors ?? []));
        break;
      case 401:
        signOut();
        byId('token-error').textContent = answer.body.error ?? 'Your token was not accepted.';
        return;
      case 429:
        message.textContent = answer.body.error ?? 'You have no submissions left today.';
        if ('quota' in answer.body && answer.body.quota) showQuota(answer.body.quota);
        break;
      default:
        message.textContent = answer.body.error ?? `The service answered ${answer.status}.`;
    }
  } finally {
    sending = false;
    updateSubmitButton();
  }
}

async function openSubmission(id: string, focus: boolean): Promise<void> {
  const generation = ++openGeneration;
  openId = id;
  byId('current').hidden = false;
  replaceChildren(byId('result'));
  byId('status').textContent = 'Loading…';
  if (focus) byId('current-heading').focus();
  markOpenRow();
  let lastStatus: Status | null = null;
  while (generation === openGeneration && token) {
    const answer = await call<SubmissionDetail>(
      token,
      'GET',
      `/api/submissions/${encodeURIComponent(id)}`,
    );
    if (generation !== openGeneration) return;
    if (answer.status !== 200) {
      byId('status').textContent = answer.body.error ?? `The service answered ${answer.status}.`;
      return;
    }
    const detail = answer.body;
    byId('current-heading').textContent = detail.regrade_of
      ? `Staff regrade of ${when(detail.submitted_at)}`
      : `Submission of ${when(detail.submitted_at)}`;
    const text = statusText(detail);
    if (byId('status').textContent !== text) byId('status').textContent = text;
    renderResult(detail);
    // The history row follows the status it shows.
    if (lastStatus !== null && lastStatus !== detail.status) await refreshHistory();
    if (detail.status !== 'queued' && detail.status !== 'running') return;
    lastStatus = detail.status;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function statusText(detail: SubmissionDetail): string {
  const result = detail.result;
  switch (detail.status) {
    case 'queued':
      return 'Queued: waiting for the grader.';
    case 'running':
      return `Running: ${progressText(detail.progress ?? null)}`;
    case 'graded':
      return `Graded: ${score(result)} points.`;
    case 'rejected':
      return 'Rejected: the file is not a valid submission (see below).';
    case 'failed':
      return `Grading failed: ${result?.extra_data.failure?.message ?? 'see below.'}`;
  }
}

function progressText(progress: Progress | null): string {
  if (!progress || progress.experiment === null) return 'training is starting.';
  const of =
    progress.experiments > 0
      ? ` (${progress.experiment_index + 1} of ${progress.experiments})`
      : '';
  const epoch =
    progress.epoch !== null && progress.epochs !== null
      ? `, epoch ${progress.epoch} of ${progress.epochs}`
      : '';
  return `training experiment "${progress.experiment}"${of}${epoch}.`;
}

function score(result: ResultFile | null): string {
  if (!result) return '—';
  const max = result.tests.reduce((sum, t) => sum + t.max_score, 0);
  return `${result.score} of ${max}`;
}

function renderResult(detail: SubmissionDetail): void {
  const result = detail.result;
  const node = byId('result');
  if (!result) {
    replaceChildren(node);
    return;
  }
  const extra = result.extra_data;
  const parts: Array<Node | null> = [];
  // First, under the status line: a trial's score is not a grade.
  const trial = trialOfResult(extra);
  if (trial) {
    parts.push(
      el('p', { class: 'help', id: 'trial' }, `A trial run, not a grade: ${trial.reason}.`),
    );
  }
  if (extra.outcome === 'rejected') {
    parts.push(el('h3', {}, 'Problems with the file'), errorList(extra.errors));
  }
  if (extra.failure) {
    parts.push(el('div', { class: 'verdict bad' }, extra.failure.message));
  }
  // The score is the status line's ("Graded: 5 of 8 points."): said once, above the tasks.
  // A checkpoint's task scores would only say "not trained yet": tasks show once graded.
  if (result.tests.length > 0 && extra.complete && extra.outcome !== 'rejected') {
    parts.push(tasksTable(result));
  }
  if (extra.experiments.length > 0) {
    parts.push(experimentsTable(extra.experiments));
    parts.push(curves(extra.experiments));
  }
  replaceChildren(node, ...parts);
}

function tasksTable(result: ResultFile): HTMLElement {
  return el(
    'table',
    { id: 'tasks' },
    el('caption', {}, 'Score per task'),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'task'),
        el('th', { scope: 'col', class: 'num' }, 'score'),
        el('th', { scope: 'col' }, 'what the grader found'),
      ),
    ),
    el(
      'tbody',
      {},
      ...result.tests.map((test) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, `${test.number} ${test.name}`),
          el('td', { class: 'num' }, `${test.score} / ${test.max_score}`),
          el('td', {}, test.output),
        ),
      ),
    ),
  );
}

/** How an experiment's training ended, in the words the table shows. */
const TRAINING_WORDS: Record<ExperimentRecord['status'], string> = {
  ok: 'trained',
  diverged: 'diverged',
  timeout: 'stopped at the time limit',
  error: 'failed',
  not_run: 'not trained yet',
};

function experimentsTable(experiments: ExperimentRecord[]): HTMLElement {
  return el(
    'table',
    { id: 'experiments' },
    el('caption', {}, "Your reported figures against the grader's"),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'experiment'),
        // How training went, not whether the claims held: task 4.1's row says that.
        el('th', { scope: 'col' }, 'training'),
        el('th', { scope: 'col', class: 'num' }, 'parameters: reported'),
        el('th', { scope: 'col', class: 'num' }, 'true'),
        el('th', { scope: 'col', class: 'num' }, 'test accuracy: reported'),
        el('th', { scope: 'col', class: 'num' }, 'reproduced'),
      ),
    ),
    el(
      'tbody',
      {},
      ...experiments.map((e) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, e.final ? `${e.name} (final)` : e.name),
          el(
            'td',
            {},
            e.message && e.status !== 'not_run'
              ? `${TRAINING_WORDS[e.status]}: ${e.message}`
              : TRAINING_WORDS[e.status],
          ),
          el('td', { class: 'num' }, e.reported.params === null ? '—' : count(e.reported.params)),
          el('td', { class: 'num' }, count(e.params)),
          el('td', { class: 'num' }, percent(e.reported.test_accuracy)),
          el('td', { class: 'num' }, percent(e.test_accuracy)),
        ),
      ),
    ),
  );
}

function curves(experiments: ExperimentRecord[]): HTMLElement {
  const trained = experiments.filter((e) => e.epochs.length > 0);
  if (trained.length === 0)
    return el('p', { class: 'help' }, 'Training curves appear as experiments finish.');
  return el(
    'div',
    { class: 'charts', id: 'curves' },
    lineChart({
      id: 'chart-loss',
      title: 'Training loss',
      yLabel: 'loss',
      series: trained.map((e) => ({ name: e.name, values: e.epochs.map((p) => p.loss) })),
      format: (v) => v.toFixed(2),
    }),
    lineChart({
      id: 'chart-accuracy',
      title: 'Training accuracy (%)',
      yLabel: 'accuracy',
      series: trained.map((e) => ({ name: e.name, values: e.epochs.map((p) => p.accuracy) })),
      format: (v) => v.toFixed(1),
    }),
  );
}

// --- History --------------------------------------------------------------------------------

function showHistory(rows: SubmissionRow[]): void {
  const node = byId('history');
  if (rows.length === 0) {
    replaceChildren(node, el('p', { class: 'help' }, 'Nothing submitted yet.'));
    return;
  }
  replaceChildren(
    node,
    el(
      'table',
      { id: 'history-table' },
      el('caption', { class: 'sr-only' }, 'Your submissions, newest first'),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, 'submitted'),
          el('th', { scope: 'col' }, 'status'),
          el('th', { scope: 'col', class: 'num' }, 'score'),
          el('th', { scope: 'col' }, el('span', { class: 'sr-only' }, 'open')),
        ),
      ),
      el(
        'tbody',
        {},
        ...rows.map((row) => {
          const open = el('button', { type: 'button', class: 'link', 'data-id': row.id }, 'Open');
          open.setAttribute('aria-label', `Open the submission of ${when(row.submitted_at)}`);
          open.addEventListener('click', () => void openSubmission(row.id, true));
          return el(
            'tr',
            { 'data-id': row.id },
            el(
              'td',
              {},
              when(row.submitted_at),
              ...(row.regrade_of ? [' ', el('span', { class: 'help' }, '(staff regrade)')] : []),
            ),
            el('td', {}, el('span', { class: `badge ${row.status}` }, row.status)),
            el(
              'td',
              { class: 'num' },
              row.score === null ? '—' : `${row.score} / ${row.max_score}`,
            ),
            el('td', {}, open),
          );
        }),
      ),
    ),
  );
  markOpenRow();
}

function markOpenRow(): void {
  for (const row of document.querySelectorAll<HTMLTableRowElement>('#history-table tbody tr')) {
    if (row.dataset.id === openId) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

start();
