/**
 * A dropped .onnx file, converted in the browser: the student sees the submission it becomes,
 * types the figures they report (never filled in for them: counting parameters is task 3.2),
 * and the resulting JSON goes through the same check as a dropped .json file.
 */

import {
  experimentNameFromFile,
  type ImportedSubmission,
  importOnnx,
  withReported,
} from '../../import-onnx/index.js';
import { byId, el, replaceChildren } from './dom.js';

/**
 * Shows the import panel for `file` and calls `check` with the submission's bytes now and each
 * time the student edits a figure, so the page's usual check reports what is still missing.
 */
export function showOnnxImport(
  file: string,
  bytes: Uint8Array,
  check: (name: string, json: Uint8Array, fix: string) => void,
  keepFolded = false,
): void {
  const panel = byId('import');
  panel.hidden = false;
  const name = experimentNameFromFile(file);
  const result = importOnnx(bytes, { name, foldedBatchNorm: keepFolded ? 'keep' : 'refuse' });
  if (!result.ok) {
    const keep = el(
      'button',
      { type: 'button', class: 'quiet' },
      'Import the folded convolutions anyway',
    );
    keep.addEventListener('click', () => showOnnxImport(file, bytes, check, true));
    replaceChildren(
      panel,
      el(
        'div',
        { class: 'verdict bad' },
        el('strong', {}, `${file} cannot be turned into a submission.`),
        ' Nothing was sent.',
      ),
      el('p', { class: 'import-error' }, result.error.message),
      result.error.foldedBatchNorm ? keep : null,
    );
    replaceChildren(byId('check'));
    byId('submit-message').textContent = `${file} cannot be imported; nothing was sent.`;
    return;
  }

  const params = el('input', {
    id: 'reported-params',
    type: 'number',
    min: '0',
    step: '1',
    inputmode: 'numeric',
    'aria-describedby': 'reported-help',
  });
  const accuracy = el('input', {
    id: 'reported-accuracy',
    type: 'number',
    min: '0',
    max: '100',
    step: 'any',
    inputmode: 'decimal',
    'aria-describedby': 'reported-help',
  });
  const json = el('pre', { id: 'import-json', class: 'json', tabindex: '0' });
  const download = el(
    'a',
    { id: 'import-download', download: `${name}.json` },
    `Download ${name}.json`,
  );
  let objectUrl: string | undefined;

  const update = (): void => {
    const figures = {
      params: params.value === '' ? undefined : Number(params.value),
      test_accuracy: accuracy.value === '' ? undefined : Number(accuracy.value),
    };
    const submission: ImportedSubmission = withReported(result.submission, figures);
    const text = `${JSON.stringify(submission, null, 2)}\n`;
    json.textContent = text;
    const encoded = new TextEncoder().encode(text);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(new Blob([encoded], { type: 'application/json' }));
    download.setAttribute('href', objectUrl);
    check(`${name}.json`, encoded, 'Fill in the figures you report above.');
  };
  params.addEventListener('input', update);
  accuracy.addEventListener('input', update);

  replaceChildren(
    panel,
    el(
      'div',
      { class: 'verdict ok' },
      el('strong', {}, `${file} was converted in your browser`),
      ` into a submission with the experiment "${name}" (${result.layers.length} layers). Fill in the figures you report, then check the result below.`,
    ),
    ...result.notes.map((note) =>
      el('p', { class: note.level === 'warning' ? 'notice' : 'help' }, note.message),
    ),
    el(
      'fieldset',
      { class: 'reported' },
      el('legend', {}, 'Your reported figures'),
      el('label', { for: 'reported-params' }, 'Parameter count you computed (task 3.2)'),
      params,
      el(
        'label',
        { for: 'reported-accuracy' },
        'Test accuracy in percent, as your notebook printed it',
      ),
      accuracy,
      el(
        'p',
        { id: 'reported-help', class: 'help' },
        'The importer never fills these in: they are what you claim, and the grader checks them. The training settings are the rubric’s defaults; edit the downloaded file if you trained differently.',
      ),
    ),
    el('details', { open: true }, el('summary', {}, 'The submission it becomes'), json),
    el('p', {}, download),
  );
  update();
}

/** Hides the panel when the student picks a .json file instead. */
export function hideOnnxImport(): void {
  const panel = byId('import');
  panel.hidden = true;
  replaceChildren(panel);
}
