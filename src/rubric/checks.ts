import {
  type BaselineJudgement,
  baselinePolicyOf,
  type ClaimJudgement,
  formatReproduced,
  judgeBaseline,
  judgeClaim,
  reproductionPolicyOf,
} from '../fairness/index.js';
import type { Experiment, ExperimentAnalysis, Layer } from '../spec/types.js';
import {
  formatCount,
  formatLossCurve,
  formatPercent,
  formatPoints,
  roundScore,
  scoreStatus,
} from './format.js';
import { trialOf } from './trial.js';
import type {
  CheckInput,
  CheckVerdict,
  ExperimentRecord,
  RecheckRecord,
  RubricCheck,
  RubricTask,
  TaskNumber,
} from './types.js';

/** The final experiment with its figures; validation guarantees it exists, so absence is a grader bug. */
function finalExperiment(input: CheckInput): {
  experiment: Experiment;
  record: ExperimentRecord;
  analysis: ExperimentAnalysis | undefined;
} {
  const index = input.submission.experiments.findIndex((e) => e.name === input.submission.final);
  const experiment = input.submission.experiments[index];
  const record = input.experiments[index];
  if (index < 0 || !experiment || !record) {
    throw new Error(`the final experiment "${input.submission.final}" has no measured figures`);
  }
  return { experiment, record, analysis: input.analyses[index] };
}

/** Counts layers of a type, inside Residual bodies and shortcuts too. */
export function countLayers(layers: readonly Layer[], type: Layer['type']): number {
  let count = 0;
  for (const layer of layers) {
    if (layer.type === type) count += 1;
    if (layer.type === 'Residual') {
      count += countLayers(layer.body, type) + countLayers(layer.shortcut ?? [], type);
    }
  }
  return count;
}

function requiredNumber(task: RubricTask, key: keyof RubricTask): number {
  const value = task[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`rubric task ${task.number} has no numeric "${key}"`);
  }
  return value;
}

function verdict(task: RubricTask, score: number, message: string): CheckVerdict {
  const rounded = roundScore(score);
  return {
    score: rounded,
    max_score: task.points,
    status: scoreStatus(rounded, task.points),
    message,
  };
}

/** Why an experiment has no usable training, in words a student can act on; undefined when it trained. */
function trainingProblem(record: ExperimentRecord): string | undefined {
  const finite = record.epochs.length > 0 && record.epochs.every((e) => e.loss !== null);
  switch (record.status) {
    case 'ok':
      return finite ? undefined : 'its training loss was not finite';
    case 'diverged':
      return `its training loss became NaN or infinite${record.message ? ` (${record.message})` : ''}; a lower learning rate or a BatchNorm2d after each Conv2d usually helps`;
    case 'timeout':
      return finite
        ? undefined
        : `it hit the time limit before finishing one epoch${record.message ? ` (${record.message})` : ''}`;
    case 'error':
      return `it could not be trained: ${record.message ?? 'no reason was given'}`;
    case 'not_run':
      return `it was not trained: ${record.message ?? 'grading stopped before it ran'}`;
  }
}

/** 3.1: the final network has enough Conv2d layers, builds, and trains to a finite loss. */
export const checkConvNetTrains: RubricCheck = (input, task) => {
  const minConv = requiredNumber(task, 'min_conv_layers');
  const partial = task.partial_single_conv ?? 0;
  const { experiment, record } = finalExperiment(input);
  const name = `"${experiment.name}"`;
  const convs = countLayers(experiment.layers, 'Conv2d');
  if (convs === 0) {
    return verdict(
      task,
      0,
      `The final network ${name} has no Conv2d layer. This task asks for a convolutional network with at least ${minConv} Conv2d layers (for example Conv2d → ReLU → Conv2d → ReLU → MaxPool2d before the Linear classifier).`,
    );
  }
  const problem = trainingProblem(record);
  if (problem !== undefined) {
    return verdict(
      task,
      0,
      `The final network ${name} has ${convs} Conv2d layer${convs === 1 ? '' : 's'}, but ${problem}, so it did not train to a finite loss.`,
    );
  }
  const curve = `training loss per epoch: ${formatLossCurve(record.epochs)}`;
  const stopped =
    record.status === 'timeout'
      ? ` It hit the time limit after ${record.epochs.length} epoch${record.epochs.length === 1 ? '' : 's'}, which task 3.3 will notice.`
      : '';
  if (convs >= minConv) {
    return verdict(
      task,
      task.points,
      `The final network ${name} has ${convs} Conv2d layers and trains to a finite loss (${curve}).${stopped}`,
    );
  }
  return verdict(
    task,
    partial,
    `The final network ${name} trains (${curve}) but has only ${convs} Conv2d layer${convs === 1 ? '' : 's'}; full marks need at least ${minConv}. Stacking convolutions lets later layers combine the edges found by earlier ones into larger patterns.${stopped}`,
  );
};

/** Bias terms of Conv2d and Linear layers, to recognise the commonest counting slip. */
function biasCount(layers: readonly Layer[]): number {
  let count = 0;
  for (const layer of layers) {
    if (layer.type === 'Conv2d' && layer.bias !== false) count += layer.out_channels;
    if (layer.type === 'Linear' && layer.bias !== false) count += layer.out_features;
    if (layer.type === 'Residual') {
      count += biasCount(layer.body) + biasCount(layer.shortcut ?? []);
    }
  }
  return count;
}

/** "layers/0 Conv2d 224, layers/2 Conv2d 1,168, ..." for the layers that hold parameters. */
function parameterBreakdown(analysis: ExperimentAnalysis | undefined): string {
  if (!analysis) return '';
  const rows = analysis.layers.filter((l) => l.params > 0);
  const shown = rows
    .slice(0, 12)
    .map(
      (l) => `${l.path.replace(/^\/experiments\/\d+\//, '')} ${l.type} ${formatCount(l.params)}`,
    );
  if (rows.length > shown.length) shown.push(`and ${rows.length - shown.length} more`);
  return shown.length > 0 ? ` Per layer: ${shown.join(', ')}.` : '';
}

/** 3.2: the parameter count reported for the final network is exact. */
export const checkReportedParams: RubricCheck = (input, task) => {
  const { experiment, record, analysis } = finalExperiment(input);
  const name = `"${experiment.name}"`;
  const reported = record.reported.params;
  if (reported === null) {
    return verdict(
      task,
      0,
      `No parameter count is reported for the final network ${name}: add "reported": {"params": ...} to it. Count every weight and bias (BatchNorm's running statistics are not parameters).`,
    );
  }
  if (reported === record.params) {
    return verdict(
      task,
      task.points,
      `The reported count, ${formatCount(reported)}, is exactly the number of parameters of ${name}.`,
    );
  }
  const missing = record.params - reported;
  const biases = biasCount(experiment.layers);
  const hint =
    biases > 0 && missing === biases
      ? ` The difference, ${formatCount(missing)}, is exactly the number of bias terms: each Conv2d has one bias per output channel and each Linear one per output feature.`
      : '';
  return verdict(
    task,
    0,
    `${name} reports ${formatCount(reported)} parameters, but it has ${formatCount(record.params)}.${hint}${parameterBreakdown(analysis)} A Conv2d has out × (in / groups) × kh × kw weights plus out biases; a Linear has in × out weights plus out biases.`,
  );
};

function baselineNote(input: CheckInput): string {
  const b = input.baseline;
  const origin =
    b.source === 'calibration'
      ? 'trained by the grader the same way, on the same backend and data'
      : "the course's reference figure: no calibration exists for this backend and data";
  const slice =
    input.dataset && trialOf(input.dataset)
      ? ` A trial on ${formatCount(input.dataset.train_images)} training images, so accuracies are lower than on the full data.`
      : '';
  return `The ${b.name} baseline: ${formatCount(b.params)} parameters, ${formatPercent(b.accuracy)} (${origin}).${slice}`;
}

/** 3.3: fewer parameters than the baseline and a comparable or better reproduced accuracy. */
export const checkBeatsBaseline: RubricCheck = (input, task) => {
  const comparable = requiredNumber(task, 'comparable_within_pp');
  const partialWithin = requiredNumber(task, 'partial_within_pp');
  const partialPoints = task.partial_points ?? 0;
  const policy = baselinePolicyOf(task);
  const { experiment, record } = finalExperiment(input);
  const name = `"${experiment.name}"`;
  const baseline = input.baseline;
  const note = baselineNote(input);
  if (record.params >= baseline.params) {
    return verdict(
      task,
      0,
      `${name} has ${formatCount(record.params)} parameters, not fewer than the baseline's ${formatCount(baseline.params)}. ${note}`,
    );
  }
  if (record.status !== 'ok' || record.test_accuracy === null) {
    const why =
      record.status === 'ok'
        ? 'it was not evaluated'
        : (trainingProblem(record) ??
          `it stopped after ${record.epochs.length} epoch${record.epochs.length === 1 ? '' : 's'}: ${record.message ?? 'it hit the time limit'}`);
    return verdict(
      task,
      0,
      `${name} could not be compared with the baseline: ${why}. It has to train for the full epoch budget and be evaluated on the test images. ${note}`,
    );
  }
  const accuracy = record.test_accuracy;
  const judgement = judgeBaseline(
    baseline.accuracy,
    { seed: firstSeed(input, record), test_accuracy: accuracy },
    recheckRuns(record.recheck),
    { comparable_within_pp: comparable, partial_within_pp: partialWithin },
    policy,
  );
  const figures = `${name} reached ${formatPercent(accuracy)} with ${formatCount(record.params)} parameters.`;
  const recheck = baselineRecheckNote(
    judgement,
    baseline.accuracy,
    comparable,
    partialWithin,
    policy.mean_margin_pp,
  );
  const gap = judgement.gap;
  if (judgement.level === 'full') {
    const standing =
      judgement.firstLevel !== 'full'
        ? 'comparable with the baseline on the mean of the re-check'
        : gap <= 0
          ? 'better than the baseline'
          : `within ${formatPoints(comparable)} of the baseline`;
    return verdict(
      task,
      task.points,
      `${figures} That is ${standing}, with fewer parameters.${recheck} ${note}`,
    );
  }
  if (judgement.level === 'partial') {
    const standing =
      judgement.firstLevel === 'partial'
        ? `${formatPoints(gap)} below the baseline`
        : 'short of the baseline, but within reach on the mean of the re-check';
    return verdict(
      task,
      partialPoints,
      `${figures} That is ${standing}: partial credit (full marks within ${formatPoints(comparable)}).${recheck} More channels in the early Conv2d layers, or a second conv stage, usually close the gap. ${note}`,
    );
  }
  return verdict(
    task,
    0,
    `${figures} That is ${formatPoints(gap)} below the baseline; credit starts within ${formatPoints(partialWithin)}.${recheck} ${note}`,
  );
};

/** The seed of an experiment's first run, for messages that list the seeds judged. */
function firstSeed(input: CheckInput, record: ExperimentRecord): number {
  if (typeof input.seed === 'number') return input.seed;
  const next = record.recheck?.runs?.[0]?.seed;
  return typeof next === 'number' ? next - 1 : 0;
}

/** The re-check runs a record holds, as the judges read them; null when there was none. */
function recheckRuns(
  recheck: RecheckRecord | null | undefined,
): Array<{ seed: number; test_accuracy: number | null }> | null {
  if (!recheck || !Array.isArray(recheck.runs)) return null;
  return recheck.runs.map((r) => ({
    seed: r.seed,
    test_accuracy: r.status === 'ok' ? r.test_accuracy : null,
  }));
}

/** What a 3.3 re-check did, as a sentence starting with a space; empty without one. */
function baselineRecheckNote(
  j: BaselineJudgement,
  baselineAccuracy: number,
  comparable: number,
  partialWithin: number,
  margin: number,
): string {
  switch (j.outcome) {
    case 'first-run':
      return '';
    case 'not-rechecked':
      return ' The first run was close to the next level, but no re-check with more seeds was run, so it decides alone.';
    case 'recheck-failed':
      return ` The first run was close to the next level, but the re-check with seed ${j.failedSeed} did not finish, so the first run decides alone.`;
    case 'rechecked': {
      const figures = j.reproduced;
      const meanGap = j.meanGap;
      if (!figures || meanGap === null) return '';
      const limits = `full marks within ${formatPoints(comparable + margin)}, partial within ${formatPoints(partialWithin + margin)} for a mean`;
      const helped =
        j.level !== j.firstLevel
          ? ' The re-check raised the verdict.'
          : ' The re-check did not change the verdict.';
      return ` One run moves by a few points with the seed, so the grader trained it again: ${formatReproduced(figures)}, ${formatPoints(Math.abs(meanGap))} ${meanGap >= 0 ? 'below' : 'above'} the baseline's ${formatPercent(baselineAccuracy)} (${limits}).${helped}`;
    }
  }
}

/** 4.1: enough experiments, each reporting params and accuracy, and every claim holds up. */
export const checkExperimentsReproduce: RubricCheck = (input, task) => {
  const minExperiments = requiredNumber(task, 'min_experiments');
  const policy = reproductionPolicyOf(task);
  const reporting = input.experiments.filter(
    (r) => r.reported.params !== null && r.reported.test_accuracy !== null,
  );
  if (reporting.length < minExperiments) {
    const incomplete = input.experiments
      .filter((r) => !reporting.includes(r))
      .map(
        (r) =>
          `"${r.name}" lacks ${[r.reported.params === null ? 'params' : '', r.reported.test_accuracy === null ? 'test_accuracy' : ''].filter(Boolean).join(' and ')}`,
      );
    return verdict(
      task,
      0,
      `At least ${minExperiments} experiments must each report "params" and "test_accuracy"; ${reporting.length === 1 ? '1 does' : `${reporting.length} do`}.${incomplete.length > 0 ? ` ${incomplete.join('; ')}.` : ''}`,
    );
  }
  const failures: string[] = [];
  const rescued: string[] = [];
  let claims = 0;
  for (const r of input.experiments) {
    const name = `"${r.name}"`;
    claims += 2;
    if (r.reported.params === null) {
      failures.push(`${name} reports no parameter count`);
    } else if (r.reported.params !== r.params) {
      failures.push(
        `${name} reports ${formatCount(r.reported.params)} parameters; it has ${formatCount(r.params)}`,
      );
    }
    const claimed = r.reported.test_accuracy;
    if (claimed === null) {
      failures.push(`${name} reports no test accuracy`);
    } else if (r.test_accuracy === null) {
      failures.push(
        `${name} reports ${formatPercent(claimed)}, which could not be checked: ${trainingProblem(r) ?? r.message ?? 'it was not evaluated'}`,
      );
    } else {
      const judgement = judgeClaim(
        claimed,
        { seed: firstSeed(input, r), test_accuracy: r.test_accuracy },
        recheckRuns(r.recheck),
        policy,
      );
      const said = claimSentence(name, claimed, r.test_accuracy, judgement, policy.mean_within_pp);
      if (!judgement.holds) failures.push(said);
      else if (judgement.outcome === 'rechecked') rescued.push(said);
    }
  }
  const held = claims - failures.length;
  const band =
    policy.recheck_within_pp > policy.pass_within_pp
      ? ` A claim up to ${formatPoints(policy.recheck_within_pp)} off is trained again with ${policy.recheck_runs} more seed${policy.recheck_runs === 1 ? '' : 's'} and holds if it is within ${formatPoints(policy.mean_within_pp)} of the mean, since one run moves by a few points with the seed alone.${policy.collapse_below_median_pp !== undefined ? ` A run more than ${formatPoints(policy.collapse_below_median_pp)} below the median of the runs collapsed with its seed and is left out of the mean.` : ''}`
      : '';
  const under =
    policy.under_claim_within_pp > policy.pass_within_pp
      ? ` A reported accuracy below the grader's holds down to ${formatPoints(policy.under_claim_within_pp)} below it: a run can collapse with its seed.`
      : '';
  const rule = `Counts must be exact and accuracies within ${formatPoints(policy.pass_within_pp)} of the grader's reproduction.${band}${under}`;
  const slice = trialOf(input.dataset ?? null)
    ? ' A trial on fewer images than CIFAR-10 has: accuracies reported from full training will not match it, so no claim was re-checked.'
    : '';
  const rechecked = rescued.length > 0 ? ` Held up on re-check: ${rescued.join('; ')}.` : '';
  if (failures.length === 0) {
    return verdict(
      task,
      task.points,
      `${input.experiments.length} experiments reported, and all ${claims} claims hold up.${rechecked} ${rule}`,
    );
  }
  return verdict(
    task,
    (task.points * held) / claims,
    `${held} of ${claims} claims hold up (credit in proportion). Did not hold up: ${failures.join('; ')}.${rechecked} ${rule}${slice}`,
  );
};

/** One accuracy claim's verdict in words, naming the reproduced figure and its uncertainty. */
function claimSentence(
  name: string,
  claimed: number,
  first: number,
  j: ClaimJudgement,
  meanWithin: number,
): string {
  const reports = `${name} reports ${formatPercent(claimed)}`;
  const single = `${reports}; the grader reproduced ${formatPercent(first)} (${formatPoints(j.gap)} apart)`;
  switch (j.outcome) {
    case 'within':
    case 'beyond':
      return single;
    case 'not-rechecked':
      return `${single}; no re-check with more seeds was run, so that one run decides`;
    case 'recheck-failed':
      return `${single}; the re-check with seed ${j.failedSeed} did not finish, so that one run decides`;
    case 'rechecked': {
      if (!j.reproduced || j.meanGap === null) return single;
      const within = j.holds
        ? `within ${formatPoints(meanWithin)}`
        : `more than the ${formatPoints(meanWithin)} allowed for a mean`;
      return `${reports}; the first run gave ${formatPercent(first)}, and the grader reproduced ${formatReproduced(j.reproduced)}, ${formatPoints(j.meanGap)} from the claim (${within})`;
    }
  }
}

/** The checks by task number; the rubric file says which run and what they are worth. */
export const RUBRIC_CHECKS: Readonly<Record<TaskNumber, RubricCheck>> = {
  '3.1': checkConvNetTrains,
  '3.2': checkReportedParams,
  '3.3': checkBeatsBaseline,
  '4.1': checkExperimentsReproduce,
};
