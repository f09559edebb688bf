import { describe, expect, it } from 'vitest';
import {
  buildFailureResult,
  buildGradedResult,
  buildRejectedResult,
  DEFAULT_RUBRIC,
  renderResultText,
} from '../../src/rubric/index.js';
import {
  CONVNET_LAYERS,
  CONVNET_PARAMS,
  checkInput,
  FULL_DATASET,
} from '../fixtures/grade/check-inputs.js';

describe('renderResultText', () => {
  it('shows a graded result as aligned columns, then each task with its message', () => {
    // Prepare
    const facts = checkInput([
      {
        name: 'convnet',
        layers: CONVNET_LAYERS,
        params: CONVNET_PARAMS,
        reported: { params: CONVNET_PARAMS },
      },
    ]);
    const result = buildGradedResult({
      ...facts,
      rubric: DEFAULT_RUBRIC,
      dataset: FULL_DATASET,
      backend: { name: 'wasm', version: '4.22.0', detail: 'wasm simd', device: 'cpu', threads: 1 },
      seed: 42,
      identity: { sha256: null, bytes: null, source: null },
      executionTime: 1,
      complete: true,
    });
    // Act
    const text = renderResultText(result);
    // Assess
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('experiment')) ?? '';
    const row = lines.find((l) => l.startsWith('convnet (final)')) ?? '';
    const endOf = (line: string, cell: string) => line.indexOf(cell) + cell.length;
    // Counts are right-aligned: each ends where its heading ends.
    expect(endOf(row, '42,362')).toBe(endOf(header, 'params'));
    expect(endOf(row, '4.24M')).toBe(endOf(header, 'MACs'));
    expect(text).toContain('Score: 6 / 8');
    expect(text).toContain(
      'Backend wasm (wasm simd) on cpu, seed 42, 50,000 training / 10,000 test images.',
    );
    expect(text).toContain('3.2  1 / 1  Count its parameters\n     The reported count, 42,362');
    expect(text).toContain('run "autograder calibrate" for this backend and data');
  });

  it('lists every error of a rejected submission with its path', () => {
    // Prepare
    const result = buildRejectedResult({
      errors: [
        { path: '/final', message: 'final names no experiment' },
        { path: '', message: 'the file is empty' },
      ],
    });
    // Act
    const text = renderResultText(result);
    // Assess
    expect(text).toBe(
      'Rejected: 0 / 8. The submission is invalid, so nothing was trained:\n  /final: final names no experiment\n  (file): the file is empty\n',
    );
  });

  it('says why grading did not finish', () => {
    // Prepare
    const result = buildFailureResult({
      reason: 'timeout',
      message: 'Job attempt duration exceeded timeout',
    });
    // Act
    const text = renderResultText(result);
    // Assess
    expect(text).toContain(
      'Grading did not finish: 0 / 8. It stopped because it ran past its time limit (Job attempt duration exceeded timeout).',
    );
  });
});
