import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RUBRIC,
  maxScore,
  RUBRIC_CHECKS,
  type RubricCheck,
  scoreRubric,
  totalScore,
} from '../../src/rubric/index.js';
import { CONVNET_LAYERS, CONVNET_PARAMS, checkInput } from '../fixtures/grade/check-inputs.js';

const input = checkInput([
  {
    name: 'convnet',
    layers: CONVNET_LAYERS,
    params: CONVNET_PARAMS,
    reported: { params: CONVNET_PARAMS },
  },
]);

const throwing: RubricCheck = () => {
  throw new Error('division by zero in the check');
};

describe('scoreRubric', () => {
  it('scores every task of the rubric, in its order, with its points as max_score', () => {
    // Prepare
    const expected = DEFAULT_RUBRIC.tasks.map((t) => ({
      number: t.number,
      name: t.name,
      max_score: t.points,
    }));
    // Act
    const verdicts = scoreRubric(input, DEFAULT_RUBRIC);
    // Assess
    expect(verdicts).toMatchObject(expected);
    expect(verdicts.map((v) => v.score)).toEqual([3, 1, 2, 0]);
    expect(totalScore(verdicts)).toBe(6);
    expect(maxScore(DEFAULT_RUBRIC)).toBe(8);
  });

  it('records a check that throws as 0 points with the reason, and still scores the others', () => {
    // Prepare
    const checks = { ...RUBRIC_CHECKS, '3.2': throwing };
    // Act
    const verdicts = scoreRubric(input, DEFAULT_RUBRIC, checks);
    // Assess
    expect(verdicts.map((v) => v.status)).toEqual(['passed', 'error', 'passed', 'failed']);
    expect(verdicts[1]).toMatchObject({ number: '3.2', score: 0, max_score: 1, status: 'error' });
    expect(verdicts[1]?.message).toMatch(
      /^0 points: the check failed \(division by zero in the check\)/,
    );
    expect(totalScore(verdicts)).toBe(5);
  });

  it('records a task with no registered check as a failed check', () => {
    // Prepare
    const { '4.1': _, ...withoutReportCheck } = RUBRIC_CHECKS;
    // Act
    const verdicts = scoreRubric(input, DEFAULT_RUBRIC, withoutReportCheck);
    // Assess
    expect(verdicts[3]).toMatchObject({ number: '4.1', score: 0, status: 'error' });
    expect(verdicts[3]?.message).toContain('no check is registered for task 4.1');
  });

  it.each([
    { description: 'a NaN score', score: Number.NaN, expected: 0, status: 'error' },
    { description: 'a score above max_score (clamped)', score: 99, expected: 3, status: 'passed' },
    { description: 'a negative score (clamped)', score: -1, expected: 0, status: 'failed' },
    {
      description: 'a fractional score (kept to hundredths)',
      score: 1.23456,
      expected: 1.23,
      status: 'partial',
    },
  ])('guards against a check answering $description', ({ score, expected, status }) => {
    // Prepare
    const odd: RubricCheck = () => ({ score, max_score: 1, status: 'passed', message: 'm' });
    // Act
    const [verdict] = scoreRubric(input, DEFAULT_RUBRIC, { '3.1': odd });
    // Assess
    expect(verdict).toMatchObject({ score: expected, max_score: 3, status });
  });

  it('records a rubric task whose settings are missing as a failed check', () => {
    // Prepare
    const rubric = {
      ...DEFAULT_RUBRIC,
      tasks: DEFAULT_RUBRIC.tasks.map((t) =>
        t.number === '4.1' ? { number: t.number, name: t.name, points: t.points } : t,
      ),
    };
    // Act
    const verdicts = scoreRubric(input, rubric);
    // Assess
    expect(verdicts[3]).toMatchObject({ status: 'error', score: 0 });
    expect(verdicts[3]?.message).toContain('rubric task 4.1 has no numeric "min_experiments"');
  });
});
