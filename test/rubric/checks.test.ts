import { describe, expect, it } from 'vitest';
import {
  type CheckInput,
  type CheckStatus,
  checkBeatsBaseline,
  checkConvNetTrains,
  checkExperimentsReproduce,
  checkReportedParams,
  type RecheckRecord,
  type RubricCheck,
  type TaskNumber,
} from '../../src/rubric/index.js';
import {
  CONVNET_BIASES,
  CONVNET_LAYERS,
  CONVNET_PARAMS,
  checkInput,
  epochs,
  FULL_DATASET,
  NO_CONV_LAYERS,
  NO_CONV_PARAMS,
  REFERENCE_BASELINE,
  RESIDUAL_LAYERS,
  RESIDUAL_PARAMS,
  SINGLE_CONV_LAYERS,
  SINGLE_CONV_PARAMS,
} from '../fixtures/grade/check-inputs.js';
import { FIXED_POLICY_RUBRIC } from '../fixtures/rubric/fixed-policy-rubric.js';

function task(number: TaskNumber) {
  const found = FIXED_POLICY_RUBRIC.tasks.find((t) => t.number === number);
  if (!found) throw new Error(`the default rubric has no task ${number}`);
  return found;
}

interface CheckCase {
  description: string;
  data: CheckInput;
  score: number;
  status: CheckStatus;
  /** Fragments the student's message must contain. */
  says: string[];
}

const convnet = { name: 'convnet', layers: CONVNET_LAYERS, params: CONVNET_PARAMS };

const BUILD_CASES: CheckCase[] = [
  {
    description: 'full: two Conv2d layers trained to a finite loss',
    data: checkInput([convnet]),
    score: 3,
    status: 'passed',
    says: ['2 Conv2d layers', '1.600 → 1.400 → 1.300'],
  },
  {
    description: 'full: Conv2d layers inside a Residual block count',
    data: checkInput([{ name: 'res', layers: RESIDUAL_LAYERS, params: RESIDUAL_PARAMS }]),
    score: 3,
    status: 'passed',
    says: ['2 Conv2d layers'],
  },
  {
    description: 'full: a time limit after one finite epoch still shows it trains',
    data: checkInput([
      { ...convnet, measured: { status: 'timeout', epochs: epochs([1.7]), test_accuracy: null } },
    ]),
    score: 3,
    status: 'passed',
    says: ['time limit after 1 epoch'],
  },
  {
    description: 'partial: a single Conv2d layer',
    data: checkInput([{ name: 'one', layers: SINGLE_CONV_LAYERS, params: SINGLE_CONV_PARAMS }]),
    score: 1,
    status: 'partial',
    says: ['only 1 Conv2d layer', 'at least 2'],
  },
  {
    description: 'zero: no Conv2d layer at all',
    data: checkInput([{ name: 'flat', layers: NO_CONV_LAYERS, params: NO_CONV_PARAMS }]),
    score: 0,
    status: 'failed',
    says: ['no Conv2d layer'],
  },
  {
    description: 'zero: the loss diverged',
    data: checkInput([
      {
        ...convnet,
        measured: {
          status: 'diverged',
          epochs: epochs([2.3, null]),
          message: 'loss NaN at epoch 2',
        },
      },
    ]),
    score: 0,
    status: 'failed',
    says: ['NaN or infinite', 'lower learning rate', 'loss NaN at epoch 2'],
  },
  {
    description: 'zero: the model could not be built',
    data: checkInput([
      { ...convnet, measured: { status: 'error', epochs: [], message: 'out of memory' } },
    ]),
    score: 0,
    status: 'failed',
    says: ['could not be trained: out of memory'],
  },
  {
    description: 'zero: grading stopped before the final experiment ran',
    data: checkInput([
      { ...convnet, measured: { status: 'not_run', epochs: [], message: 'the job was stopped' } },
    ]),
    score: 0,
    status: 'failed',
    says: ['was not trained: the job was stopped'],
  },
  {
    description: 'zero: a time limit before the first epoch ended',
    data: checkInput([{ ...convnet, measured: { status: 'timeout', epochs: [] } }]),
    score: 0,
    status: 'failed',
    says: ['time limit before finishing one epoch'],
  },
  {
    description: 'the final experiment is the one graded, not the first',
    data: checkInput(
      [convnet, { name: 'one', layers: SINGLE_CONV_LAYERS, params: SINGLE_CONV_PARAMS }],
      { final: 'one' },
    ),
    score: 1,
    status: 'partial',
    says: ['"one"'],
  },
];

const COUNT_CASES: CheckCase[] = [
  {
    description: 'full: the reported count is exact',
    data: checkInput([{ ...convnet, reported: { params: CONVNET_PARAMS } }]),
    score: 1,
    status: 'passed',
    says: ['42,362'],
  },
  // The rubric gives 3.2 one all-or-nothing point: "equals the true one" has no partial path.
  {
    description: 'zero: biases left out, and the message says so',
    data: checkInput([{ ...convnet, reported: { params: CONVNET_PARAMS - CONVNET_BIASES } }]),
    score: 0,
    status: 'failed',
    says: ['reports 42,328', 'has 42,362', 'exactly the number of bias terms', 'layers/6 Linear'],
  },
  {
    description: 'zero: off by one, with the per-layer breakdown',
    data: checkInput([{ ...convnet, reported: { params: CONVNET_PARAMS + 1 } }]),
    score: 0,
    status: 'failed',
    says: ['reports 42,363', 'Per layer: layers/0 Conv2d'],
  },
  {
    description: 'zero: nothing reported',
    data: checkInput([convnet]),
    score: 0,
    status: 'failed',
    says: ['No parameter count is reported', '"reported"'],
  },
];

/** A re-check record with runs at seeds 43, 44, …; null accuracy means the run failed. */
function recheck(accuracies: Array<number | null>): RecheckRecord {
  return {
    reason: 'borderline',
    tasks: ['4.1'],
    runs: accuracies.map((a, i) => ({
      seed: 43 + i,
      status: a === null ? 'error' : 'ok',
      test_accuracy: a,
      message: a === null ? 'out of memory' : null,
      seconds: 3,
    })),
    mean: null,
    sd: null,
  };
}

const calibrated = {
  ...REFERENCE_BASELINE,
  accuracy: 40,
  source: 'calibration' as const,
  calibration_key: 'k',
};

const BASELINE_CASES: CheckCase[] = [
  {
    description: 'full: better than the reference baseline, which the message names as such',
    data: checkInput([{ ...convnet, measured: { test_accuracy: 59.9 } }]),
    score: 2,
    status: 'passed',
    says: ['59.90%', 'better than the baseline', "course's reference figure"],
  },
  {
    description: 'full: comparable (within the tolerance below a calibrated baseline)',
    data: checkInput([{ ...convnet, measured: { test_accuracy: 38.5 } }], { baseline: calibrated }),
    score: 2,
    status: 'passed',
    says: ['within 2.00 pp', 'trained by the grader the same way'],
  },
  {
    description: 'partial: 3 pp below',
    data: checkInput([{ ...convnet, measured: { test_accuracy: 39.17 } }]),
    score: 1,
    status: 'partial',
    says: ['3.00 pp below', 'partial credit'],
  },
  {
    description: 'full: short on the first run, comparable on the mean of the re-check',
    data: checkInput([
      {
        ...convnet,
        measured: { test_accuracy: 39.67, recheck: recheck([41.5, 41]) },
      },
    ]),
    score: 2,
    status: 'passed',
    says: [
      'comparable with the baseline on the mean',
      '40.72% ± 0.95 over 3 runs (seeds 42–44)',
      'raised the verdict',
    ],
  },
  {
    description: 'partial: a re-check that confirms the first run changes nothing',
    data: checkInput([
      { ...convnet, measured: { test_accuracy: 39.17, recheck: recheck([39, 39.5]) } },
    ]),
    score: 1,
    status: 'partial',
    says: ['3.00 pp below', '39.22% ± 0.25 over 3 runs', 'did not change the verdict'],
  },
  {
    description: 'partial: a re-check run that failed leaves the first run to decide',
    data: checkInput([
      { ...convnet, measured: { test_accuracy: 39.17, recheck: recheck([45, null]) } },
    ]),
    score: 1,
    status: 'partial',
    says: ['the re-check with seed 44 did not finish, so the first run decides alone'],
  },
  {
    description: 'zero: 6 pp below',
    data: checkInput([{ ...convnet, measured: { test_accuracy: 36.17 } }]),
    score: 0,
    status: 'failed',
    says: ['6.00 pp below', 'credit starts within 5.00 pp'],
  },
  {
    description: 'zero: not fewer parameters than the baseline',
    data: checkInput([{ ...convnet, params: 308_310, measured: { test_accuracy: 70 } }]),
    score: 0,
    status: 'failed',
    says: ['not fewer than the baseline'],
  },
  {
    description: 'zero: timed out, so the epoch budget was not met',
    data: checkInput([
      {
        ...convnet,
        measured: {
          status: 'timeout',
          epochs: epochs([1.6]),
          test_accuracy: null,
          message: 'stopped after 1800 s',
        },
      },
    ]),
    score: 0,
    status: 'failed',
    says: ['stopped after 1 epoch', 'stopped after 1800 s', 'full epoch budget'],
  },
  {
    description: 'a trial on a slice is called out, since accuracies drop with less data',
    data: checkInput([{ ...convnet, measured: { test_accuracy: 50 } }], {
      dataset: {
        ...FULL_DATASET,
        train_images: 2000,
        slice: { limit_train: 2000, limit_test: null },
      },
    }),
    score: 2,
    status: 'passed',
    says: ['A trial on 2,000 training images'],
  },
];

const small = { name: 'small', layers: SINGLE_CONV_LAYERS, params: SINGLE_CONV_PARAMS };
const honestConvnet = {
  ...convnet,
  reported: { params: CONVNET_PARAMS, test_accuracy: 56 },
  measured: { test_accuracy: 55 },
};
const honestSmall = {
  ...small,
  reported: { params: SINGLE_CONV_PARAMS, test_accuracy: 47 },
  measured: { test_accuracy: 48.5 },
};

const REPORT_CASES: CheckCase[] = [
  {
    description: 'full: two experiments whose claims all hold up',
    data: checkInput([honestConvnet, honestSmall]),
    score: 2,
    status: 'passed',
    says: ['all 4 claims hold up'],
  },
  {
    description: 'partial: one accuracy claim is out of tolerance, and named',
    data: checkInput([honestConvnet, { ...honestSmall, measured: { test_accuracy: 40 } }]),
    score: 1.5,
    status: 'partial',
    says: ['3 of 4 claims', '"small" reports 47.00%; the grader reproduced 40.00% (7.00 pp apart)'],
  },
  {
    description: 'partial: a wrong count and an experiment that could not be evaluated',
    data: checkInput([
      { ...honestConvnet, reported: { params: 42_000, test_accuracy: 56 } },
      {
        ...honestSmall,
        measured: { status: 'error', test_accuracy: null, epochs: [], message: 'boom' },
      },
    ]),
    score: 1,
    status: 'partial',
    says: [
      'reports 42,000 parameters; it has 42,362',
      'could not be checked: it could not be trained: boom',
    ],
  },
  {
    description:
      'full: a borderline claim holds on the mean of the re-check, and the message says so',
    data: checkInput([
      honestConvnet,
      { ...honestSmall, measured: { test_accuracy: 43.5, recheck: recheck([45.6, 46.1]) } },
    ]),
    score: 2,
    status: 'passed',
    says: [
      'all 4 claims hold up',
      'Held up on re-check: "small" reports 47.00%; the first run gave 43.50%, and the grader reproduced 45.07% ± 1.38 over 3 runs (seeds 42–44), 1.93 pp from the claim (within 3.00 pp)',
    ],
  },
  {
    description:
      'partial: a borderline claim fails on re-check, with the reproduced figure and its spread',
    data: checkInput([
      honestConvnet,
      { ...honestSmall, measured: { test_accuracy: 43.5, recheck: recheck([42.9, 43.8]) } },
    ]),
    score: 1.5,
    status: 'partial',
    says: [
      '3 of 4 claims',
      'the grader reproduced 43.40% ± 0.46 over 3 runs (seeds 42–44), 3.60 pp from the claim (more than the 3.00 pp allowed for a mean)',
    ],
  },
  {
    description: 'partial: a borderline claim whose re-check run failed is judged on the first run',
    data: checkInput([
      honestConvnet,
      { ...honestSmall, measured: { test_accuracy: 43.5, recheck: recheck([46, null]) } },
    ]),
    score: 1.5,
    status: 'partial',
    says: ['(3.50 pp apart); the re-check with seed 44 did not finish, so that one run decides'],
  },
  {
    description: 'partial: a borderline claim with no re-check recorded is judged on the first run',
    data: checkInput([honestConvnet, { ...honestSmall, measured: { test_accuracy: 43.5 } }]),
    score: 1.5,
    status: 'partial',
    says: ['no re-check with more seeds was run'],
  },
  {
    description: 'zero: only one experiment reported',
    data: checkInput([honestConvnet]),
    score: 0,
    status: 'failed',
    says: ['At least 2 experiments', '1 does'],
  },
  {
    description: 'zero: two experiments, but one reports no accuracy',
    data: checkInput([honestConvnet, { ...small, reported: { params: SINGLE_CONV_PARAMS } }]),
    score: 0,
    status: 'failed',
    says: ['"small" lacks test_accuracy'],
  },
  {
    description: 'zero: every claim fails',
    data: checkInput([
      { ...convnet, reported: { params: 1, test_accuracy: 99 } },
      { ...small, reported: { params: 2, test_accuracy: 98 } },
    ]),
    score: 0,
    status: 'failed',
    says: ['0 of 4 claims'],
  },
];

const SUITES: Array<[TaskNumber, RubricCheck, CheckCase[]]> = [
  ['3.1', checkConvNetTrains, BUILD_CASES],
  ['3.2', checkReportedParams, COUNT_CASES],
  ['3.3', checkBeatsBaseline, BASELINE_CASES],
  ['4.1', checkExperimentsReproduce, REPORT_CASES],
];

describe.each(SUITES)('check %s', (number, check, cases) => {
  it.each(cases)('$description', ({ data, score, status, says }) => {
    // Prepare
    const settings = task(number);
    // Act
    const verdict = check(data, settings);
    // Assess
    expect(verdict).toMatchObject({ score, status, max_score: settings.points });
    for (const fragment of says) expect(verdict.message).toContain(fragment);
  });
});

describe('checks read their thresholds from the rubric', () => {
  it('3.3 follows a stricter tolerance in the task settings', () => {
    // Prepare
    const data = checkInput([{ ...convnet, measured: { test_accuracy: 41.17 } }]);
    const strict = { ...task('3.3'), comparable_within_pp: 0.5 };
    // Act
    const lenient = checkBeatsBaseline(data, task('3.3'));
    const tight = checkBeatsBaseline(data, strict);
    // Assess
    expect(lenient.score).toBe(2);
    expect(tight).toMatchObject({ score: 1, status: 'partial' });
  });

  it('4.1 throws, naming the setting, when the rubric lacks its reproduction policy', () => {
    // Prepare
    const { reproduction: _, ...withoutPolicy } = task('4.1');
    // Act
    const run = () => checkExperimentsReproduce(checkInput([convnet]), withoutPolicy);
    // Assess
    expect(run).toThrow('rubric task 4.1 has no non-negative number "reproduction.pass_within_pp"');
  });

  it('3.1 throws, naming the setting, when the rubric lacks min_conv_layers', () => {
    // Prepare
    const { min_conv_layers: _, ...withoutSetting } = task('3.1');
    // Act
    const run = () => checkConvNetTrains(checkInput([convnet]), withoutSetting);
    // Assess
    expect(run).toThrow('rubric task 3.1 has no numeric "min_conv_layers"');
  });
});
