/**
 * Mistakes that leave a submission valid but cost points as it stands, found before it is
 * graded. Each rule is pure and names the points at stake and the fix; the validator says
 * nothing of them, since a valid file is a valid file. Whether a claimed accuracy is plausible is
 * the grader's to judge, so no rule guesses at it.
 */

import type { ExperimentAnalysis, Submission } from '../spec/types.js';
import { countLayers } from './checks.js';
import { formatCount } from './format.js';
import type { Rubric, TaskNumber } from './types.js';

export interface SubmissionWarning {
  /** JSON pointer of what to change. */
  path: string;
  message: string;
}

export interface WarningInput {
  submission: Submission;
  /** The validator's analysis, in the submission's order. */
  analyses: readonly ExperimentAnalysis[];
  rubric: Rubric;
}

export type WarningRule = (input: WarningInput) => SubmissionWarning[];

function points(rubric: Rubric, number: TaskNumber): string {
  const task = rubric.tasks.find((t) => t.number === number);
  const value = task?.points ?? 0;
  return `${value} point${value === 1 ? '' : 's'}`;
}

/** A reported count that is not the network's: 3.2 for the final network, and a 4.1 claim. */
const reportedCountDiffers: WarningRule = ({ submission, analyses, rubric }) =>
  submission.experiments.flatMap((experiment, i) => {
    const reported = experiment.reported?.params;
    const actual = analyses[i]?.params;
    if (reported === undefined || actual === undefined || reported === actual) return [];
    const final = experiment.name === submission.final;
    return [
      {
        path: `/experiments/${i}/reported/params`,
        message: `"${experiment.name}" reports ${formatCount(reported)} parameters, but the network has ${formatCount(actual)}: ${final ? `task 3.2 (${points(rubric, '3.2')}) needs the exact count, and ` : ''}task 4.1 counts this claim as not holding. Report ${formatCount(actual)} ("autograder summary" shows it per layer).`,
      },
    ];
  });

/** 0.58 for 58%: the claim would be compared as 0.58%. */
const accuracyAsFraction: WarningRule = ({ submission, rubric }) =>
  submission.experiments.flatMap((experiment, i) => {
    const accuracy = experiment.reported?.test_accuracy;
    if (accuracy === undefined || accuracy <= 0 || accuracy > 1) return [];
    const percent = Math.round(accuracy * 10_000) / 100;
    return [
      {
        path: `/experiments/${i}/reported/test_accuracy`,
        message: `"${experiment.name}" reports a test accuracy of ${accuracy}, which reads as ${accuracy}%: test_accuracy is in percent, as the notebook prints it. As it stands the claim cannot hold, and task 4.1 (${points(rubric, '4.1')}) counts it so. Write ${percent} if you meant ${percent}%.`,
      },
    ];
  });

/** 4.1 asks for several experiments, each reporting both figures (as the check counts them). */
const tooFewExperiments: WarningRule = ({ submission, rubric }) => {
  const task = rubric.tasks.find((t) => t.number === '4.1');
  const wanted = typeof task?.min_experiments === 'number' ? task.min_experiments : 2;
  const reporting = submission.experiments.filter(
    (e) => e.reported?.params !== undefined && e.reported?.test_accuracy !== undefined,
  ).length;
  if (reporting >= wanted) return [];
  const total = submission.experiments.length;
  const missing = wanted - total;
  const fix =
    missing > 0
      ? `Add the other network${missing === 1 ? '' : 's'} you trained as ${missing === 1 ? 'another experiment' : 'more experiments'}, with ${missing === 1 ? 'its' : 'their'} figures.`
      : 'Report both figures for each experiment.';
  return [
    {
      path: '/experiments',
      message: `task 4.1 (${points(rubric, '4.1')}) needs at least ${wanted} experiments that each report "params" and "test_accuracy"; ${reporting === 1 ? '1 does' : `${reporting} do`} here, so it gives 0. ${fix}`,
    },
  ];
};

/** Figures left out: no claim to check, and for the final network no count for 3.2. */
const reportedMissing: WarningRule = ({ submission, analyses, rubric }) =>
  submission.experiments.flatMap((experiment, i) => {
    const missing = (['params', 'test_accuracy'] as const).filter(
      (field) => experiment.reported?.[field] === undefined,
    );
    if (missing.length === 0) return [];
    const final = experiment.name === submission.final;
    const costs3_2 = final && missing.includes('params');
    const example = `"reported": {"params": ${analyses[i]?.params ?? 'N'}, "test_accuracy": <your figure in percent>}`;
    return [
      {
        path: experiment.reported ? `/experiments/${i}/reported` : `/experiments/${i}`,
        message: `"${experiment.name}" reports no ${missing.join(' and no ').replace('params', 'parameter count').replace('test_accuracy', 'test accuracy')}: task 4.1 (${points(rubric, '4.1')}) has no claim of it to check${costs3_2 ? `, and task 3.2 (${points(rubric, '3.2')}) needs the final network's count` : ''}. Add ${example}.`,
      },
    ];
  });

/** 3.1 asks for a network with several convolutions. */
const finalHasFewConvs: WarningRule = ({ submission, rubric }) => {
  const task = rubric.tasks.find((t) => t.number === '3.1');
  const wanted = typeof task?.min_conv_layers === 'number' ? task.min_conv_layers : 2;
  const index = submission.experiments.findIndex((e) => e.name === submission.final);
  const final = submission.experiments[index];
  if (!final) return [];
  const convs = countLayers(final.layers, 'Conv2d');
  if (convs >= wanted) return [];
  return [
    {
      path: `/experiments/${index}/layers`,
      message: `the final network "${final.name}" has ${convs} Conv2d layer${convs === 1 ? '' : 's'}: task 3.1 (${points(rubric, '3.1')}) gives full marks from ${wanted}. Add a convolution (Conv2d → ReLU) before the classifier, or name as final an experiment that has more.`,
    },
  ];
};

/** Every rule, in the order their warnings are shown. */
export const WARNING_RULES: readonly WarningRule[] = [
  finalHasFewConvs,
  tooFewExperiments,
  reportedMissing,
  reportedCountDiffers,
  accuracyAsFraction,
];

/**
 * What a valid submission will lose points for as it stands. A rule that throws is reported as
 * a warning naming the failure, never as a crash: the file is still valid and gradable.
 */
export function submissionWarnings(
  input: WarningInput,
  rules: readonly WarningRule[] = WARNING_RULES,
): SubmissionWarning[] {
  return rules.flatMap((rule) => {
    try {
      return rule(input);
    } catch (error) {
      return [
        {
          path: '',
          message: `a check for lost points failed (${error instanceof Error ? error.message : String(error)}); the submission is still valid`,
        },
      ];
    }
  });
}
