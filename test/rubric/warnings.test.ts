import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC, submissionWarnings } from '../../src/rubric/index.js';
import { validateSubmission } from '../../src/spec/index.js';
import type { Submission } from '../../src/spec/types.js';

const FULL = JSON.parse(
  readFileSync(new URL('../../rubric/examples/three-experiments.json', import.meta.url), 'utf8'),
) as Submission;
const TINY = JSON.parse(
  readFileSync(new URL('../../rubric/examples/tiny.json', import.meta.url), 'utf8'),
) as Submission;

/** The three course networks with one thing changed. */
function changed(edit: (s: Submission) => void): Submission {
  const copy = structuredClone(FULL);
  edit(copy);
  return copy;
}

function warningsOf(submission: Submission) {
  const result = validateSubmission(JSON.stringify(submission));
  if (!result.valid) throw new Error(`fixture invalid: ${JSON.stringify(result.errors)}`);
  return submissionWarnings({
    submission: result.submission,
    analyses: result.experiments,
    rubric: DEFAULT_RUBRIC,
  });
}

const CASES: Array<{ description: string; data: Submission; warnings: Array<[string, string]> }> = [
  { description: 'the three course networks as reported', data: FULL, warnings: [] },
  {
    description: 'a reported count that is off (42,000 for 42,362)',
    data: changed((s) => {
      (s.experiments[0] as { reported: { params: number } }).reported.params = 42_000;
    }),
    warnings: [
      [
        '/experiments/0/reported/params',
        '"convnet" reports 42,000 parameters, but the network has 42,362: task 3.2 (1 point) needs the exact count',
      ],
    ],
  },
  {
    description: 'an accuracy given as a fraction',
    data: changed((s) => {
      (s.experiments[1] as { reported: { test_accuracy: number } }).reported.test_accuracy = 0.4964;
    }),
    warnings: [['/experiments/1/reported/test_accuracy', 'Write 49.64 if you meant 49.64%.']],
  },
  {
    description: 'one experiment only',
    data: changed((s) => {
      s.experiments = s.experiments.slice(0, 1);
    }),
    warnings: [['/experiments', 'task 4.1 (2 points) needs at least 2 experiments']],
  },
  {
    description: 'an experiment without its reported figures',
    data: changed((s) => {
      delete s.experiments[2]?.reported;
    }),
    warnings: [
      ['/experiments/2', '"convnet-tiny" reports no parameter count and no test accuracy'],
    ],
  },
  {
    description: 'two experiments reporting, one not: 4.1 still needs two that do',
    data: changed((s) => {
      s.experiments = s.experiments.slice(0, 2);
      const reported = s.experiments[1]?.reported;
      if (reported) delete reported.test_accuracy;
    }),
    warnings: [
      ['/experiments', '1 does here, so it gives 0. Report both figures for each experiment.'],
      ['/experiments/1/reported', '"convnet-small" reports no test accuracy'],
    ],
  },
  {
    description: 'a final network with one Conv2d',
    data: TINY,
    warnings: [
      [
        '/experiments/0/layers',
        'the final network "tiny" has 1 Conv2d layer: task 3.1 (3 points) gives full marks from 2',
      ],
      ['/experiments', 'task 4.1 (2 points) needs at least 2 experiments'],
    ],
  },
];

describe('warnings: a valid submission that loses points as it stands', () => {
  it.each(CASES)('$description', ({ data, warnings }) => {
    // Act
    const found = warningsOf(data);
    // Assess
    expect(found.map((w) => w.path)).toEqual(warnings.map(([path]) => path));
    for (const [index, [, says]] of warnings.entries()) {
      expect(found[index]?.message).toContain(says);
    }
  });

  it('reports a rule that throws as a warning, not a crash', () => {
    // Prepare
    const broken = () => {
      throw new Error('no such task');
    };
    const result = validateSubmission(JSON.stringify(FULL));
    if (!result.valid) throw new Error('fixture invalid');
    // Act
    const found = submissionWarnings(
      { submission: result.submission, analyses: result.experiments, rubric: DEFAULT_RUBRIC },
      [broken],
    );
    // Assess
    expect(found).toEqual([
      {
        path: '',
        message: 'a check for lost points failed (no such task); the submission is still valid',
      },
    ]);
  });
});
