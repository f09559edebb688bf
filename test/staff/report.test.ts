import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEFAULT_RUBRIC } from '../../src/rubric/index.js';
import {
  buildReport,
  csvField,
  directoryJsonSource,
  loadResults,
  renderReportChart,
  reportCsv,
  STACK_OUTPUTS,
  stackJsonSource,
  summarizeScores,
} from '../../src/staff/index.js';
import { FULL_DATASET } from '../fixtures/grade/check-inputs.js';
import { captureIo } from '../helpers/io.js';
import { failedResult, gradedResult, rejectedResult, writeResultAt } from '../helpers/results.js';
import { startTestS3, type TestS3 } from '../helpers/s3rver.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute));
const CHART_BASELINE = { name: 'MLP', params: 308_310, accuracy: 42.17 };

/** What an XML parser would refuse: a repeated attribute in a tag, or unbalanced elements. */
function xmlProblems(svg: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  for (const tag of svg.matchAll(/<(\/?)([a-z]+)([^>]*?)(\/?)>/g)) {
    const [whole, closing, name = '', attrs = '', selfClosing] = tag;
    const names = [...attrs.matchAll(/([a-z-]+)="/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) problems.push(`repeated attribute in ${whole}`);
    if (closing) {
      if (open.pop() !== name) problems.push(`unbalanced </${name}>`);
    } else if (!selfClosing) open.push(name);
  }
  if (open.length > 0) problems.push(`unclosed ${open.join(', ')}`);
  return problems;
}

let root: string;
let results: string;

/**
 * A class: alice regraded (an older result under the shipped rubric, a newer one under rubric 9.0.0), bob graded and
 * then rejected, carol rejected twice, dave's job timed out, erin graded by `grade DIR` (flat
 * NAME.result.json beside her submission), and one file that is not a result.
 */
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'autograder-report-'));
  results = path.join(root, 'results');
  const newRubric = { ...DEFAULT_RUBRIC, version: '9.0.0' };
  await writeResultAt(results, 'alice/net.json', gradedResult({ accuracy: 38 }), at(1));
  await writeResultAt(
    results,
    'alice/net.regrade-20261201T0930Z.json',
    gradedResult({ accuracy: 60, rubric: newRubric, source: 'submissions/alice/net.json' }),
    at(30),
  );
  await writeResultAt(results, 'bob/a.json', gradedResult({ accuracy: 50 }), at(2));
  await writeResultAt(results, 'bob/b.json', rejectedResult('submissions/bob/b.json'), at(5));
  await writeResultAt(results, 'carol/x.json', rejectedResult(), at(3));
  await writeResultAt(results, 'carol/y.json', rejectedResult(), at(4));
  await writeResultAt(results, 'dave/slow.json', failedResult(), at(6));
  await writeResultAt(results, 'erin.result.json', gradedResult({ accuracy: 44 }), at(7));
  await writeResultAt(results, 'erin.json', JSON.stringify({ experiments: [] }), at(7));
  await writeResultAt(results, 'frank/notes.json', '{"hello": 1}', at(8));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function classReport() {
  const loaded = await loadResults(directoryJsonSource(results));
  return buildReport(loaded.results, loaded.unreadable);
}

describe('report over a results directory', () => {
  it('gives every student with a result one row, from their latest graded submission', async () => {
    // Act
    const report = await classReport();
    // Assess
    const rows = Object.fromEntries(report.rows.map((r) => [r.student, r]));
    expect(Object.keys(rows)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(rows.alice).toMatchObject({
      status: 'graded',
      rubricVersion: '9.0.0',
      accuracy: 60,
      params: 42_362,
      results: 2,
      resultKey: 'alice/net.regrade-20261201T0930Z.json',
    });
    expect(rows.alice?.total).toBe(gradedResult({ accuracy: 60 }).score);
    expect(rows.alice?.gradedAt).toEqual(at(30));
    expect(rows.bob).toMatchObject({ status: 'graded', resultKey: 'bob/a.json', accuracy: 50 });
    expect(rows.bob?.note).toContain('newer submission was rejected');
    expect(rows.carol).toMatchObject({ status: 'rejected', total: 0, accuracy: null });
    expect(rows.carol?.note).toBe('all 2 submissions were rejected as invalid: 0 points');
    expect(rows.carol?.tasks.every((t) => t.score === 0)).toBe(true);
    expect(rows.dave).toMatchObject({ status: 'failed', total: 0 });
    expect(rows.dave?.note).toContain('timeout');
    expect(rows.erin).toMatchObject({ status: 'graded', resultKey: 'erin.result.json' });
    expect(report.unreadable).toEqual([
      { key: 'frank/notes.json', reason: expect.stringContaining('not a result file') },
    ]);
  });

  it('keeps each task column in the rubric order with its points', async () => {
    // Act
    const report = await classReport();
    // Assess
    expect(report.tasks.map((t) => t.number)).toEqual(['3.1', '3.2', '3.3', '4.1']);
    const alice = report.rows.find((r) => r.student === 'alice');
    expect(alice?.tasks.map((t) => t.max_score)).toEqual([3, 1, 2, 2]);
    expect(alice?.tasks.reduce((sum, t) => sum + t.score, 0)).toBe(alice?.total);
  });

  it('summarizes the class: mean, median and a per-point histogram', async () => {
    // Prepare
    const report = await classReport();
    const totals = report.rows.map((r) => r.total).sort((a, b) => a - b);
    // Act
    const summary = summarizeScores(report);
    // Assess
    expect(summary.count).toBe(5);
    expect(summary.mean).toBeCloseTo(totals.reduce((a, b) => a + b, 0) / 5, 10);
    expect(summary.median).toBe(totals[2]);
    expect(summary.bins).toHaveLength(9);
    expect(summary.bins.reduce((a, b) => a + b, 0)).toBe(5);
    expect(summary.bins[0]).toBe(2);
    expect(summary.byStatus).toEqual({ graded: 3, rejected: 1, failed: 1, pending: 0 });
  });
});

describe('report CSV', () => {
  it('writes the Canvas gradebook import layout with a Points Possible row', async () => {
    // Prepare
    const report = await classReport();
    // Act
    const csv = reportCsv(report, 'canvas', { assignment: 'CIFAR-10 ConvNet' });
    // Assess
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Student,ID,SIS User ID,SIS Login ID,Section,CIFAR-10 ConvNet');
    expect(lines[1]).toBe('Points Possible,,,,,8');
    expect(lines).toContain('carol,,,carol,,0');
    expect(lines).toHaveLength(2 + 5);
  });

  it('writes Gradescope score-import columns, putting email-like names in Email', async () => {
    // Prepare
    const report = await classReport();
    const withEmail = {
      ...report,
      rows: report.rows.map((r) =>
        r.student === 'erin' ? { ...r, student: 'erin@example.edu' } : r,
      ),
    };
    // Act
    const csv = reportCsv(withEmail, 'gradescope', { assignment: 'x' });
    // Assess
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Name,SID,Email,Total Score');
    expect(lines).toContain('carol,carol,,0');
    expect(lines.find((l) => l.startsWith('erin@'))).toMatch(
      /^erin@example\.edu,,erin@example\.edu,\d/,
    );
  });

  it('writes every column in the full format, with the rubric version and note per row', async () => {
    // Prepare
    const report = await classReport();
    // Act
    const csv = reportCsv(report, 'full', { assignment: 'x' });
    // Assess
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    expect(header).toBe(
      'student,task 3.1 (3),task 3.2 (1),task 3.3 (2),task 4.1 (2),total,max_total,accuracy_percent,params,graded_at,rubric_version,status,note,submission,result_file',
    );
    expect(rows.find((r) => r.startsWith('alice,'))).toContain(
      ',60,42362,2026-12-01T09:30:00.000Z,9.0.0,graded,',
    );
    expect(rows.find((r) => r.startsWith('carol,'))).toContain(
      'rejected,all 2 submissions were rejected as invalid: 0 points',
    );
  });

  it('quotes fields with commas and quotes, and defuses spreadsheet formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(null)).toBe('');
    expect(csvField(1.5)).toBe('1.5');
  });
});

describe('report chart', () => {
  it('draws one bar per occupied score and one dot per trained final network', async () => {
    // Prepare
    const report = await classReport();
    // Act
    const svg = renderReportChart(report, CHART_BASELINE);
    // Assess
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const occupied = summarizeScores(report).bins.filter((n) => n > 0).length;
    expect(svg.match(/<rect x=/g)).toHaveLength(occupied);
    const trained = report.rows.filter((r) => r.accuracy !== null).length;
    expect(svg.match(/<circle /g)).toHaveLength(trained);
    expect(svg).toContain('alice: 42,362 params, 60.00%');
    expect(svg).toContain('MLP: 308,310 params, 42.17%');
    expect(xmlProblems(svg)).toEqual([]);
  });

  it('escapes student names in the SVG', () => {
    // Prepare
    const report = buildReport([
      {
        key: 'x/a.json',
        student: '<b>&"x"',
        gradedAt: at(1),
        result: gradedResult(),
      },
    ]);
    // Act
    const svg = renderReportChart(report, CHART_BASELINE);
    // Assess
    expect(svg).toContain('&lt;b&gt;&amp;&quot;x&quot;');
    expect(svg).not.toContain('<b>');
  });
});

describe('autograder report (CLI)', () => {
  it('prints the gradebook and distribution, and writes the CSV and chart asked for', async () => {
    // Prepare
    const io = captureIo({ cwd: root });
    // Act
    const code = await main(
      ['report', '.', '--csv', 'grades.csv', '--format', 'canvas', '--chart', 'scores.svg'],
      io,
    );
    // Assess
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toContain('Gradebook from results: 5 students (3 graded, 1 rejected, 1 failed)');
    expect(out).toMatch(/carol\s+0\s+0\s+0\s+0\s+0 \/ 8/);
    expect(out).toContain('all 2 submissions were rejected as invalid');
    expect(out).toMatch(/Mean \d\.\d\d, median/);
    expect(out).toContain(`Scores come from 2 rubric versions (${DEFAULT_RUBRIC.version}, 9.0.0)`);
    expect(out).toContain('frank/notes.json: not a result file');
    expect(out).toContain('CSV (canvas) written to grades.csv');
    const csv = await readFile(path.join(root, 'grades.csv'), 'utf8');
    expect(csv.startsWith('Student,ID,SIS User ID,SIS Login ID,Section,')).toBe(true);
    expect(await readFile(path.join(root, 'scores.svg'), 'utf8')).toContain('<circle');
  });

  it('keeps trial runs out of the CSV, saying whose, and out-ranks them with a full-data grade', async () => {
    // Prepare: gina graded on the full data, then a newer trial; hank only ever ran a trial.
    const dir = await mkdtemp(path.join(tmpdir(), 'autograder-report-trials-'));
    const slice = {
      ...FULL_DATASET,
      train_images: 2000,
      test_images: 1000,
      slice: { limit_train: 2000, limit_test: 1000 },
    };
    await writeResultAt(dir, 'gina/full.json', gradedResult({ accuracy: 60 }), at(1));
    await writeResultAt(
      dir,
      'gina/trial.json',
      gradedResult({ accuracy: 30, dataset: slice }),
      at(2),
    );
    await writeResultAt(
      dir,
      'hank/trial.json',
      gradedResult({ accuracy: 31, dataset: slice }),
      at(3),
    );
    const io = captureIo({ cwd: dir });
    const withTrials = captureIo({ cwd: dir });
    // Act
    const code = await main(['report', '.', '--csv', 'grades.csv', '--format', 'canvas'], io);
    const csv = await readFile(path.join(dir, 'grades.csv'), 'utf8');
    const withCode = await main(
      ['report', '.', '--csv', 'all.csv', '--format', 'canvas', '--include-trials'],
      withTrials,
    );
    const all = await readFile(path.join(dir, 'all.csv'), 'utf8');
    const { results: stored } = await loadResults(directoryJsonSource(dir));
    await rm(dir, { recursive: true, force: true });
    // Assess
    expect(code).toBe(0);
    expect(csv).toContain('gina');
    expect(csv).not.toContain('hank');
    expect(io.out()).toContain('written to grades.csv: 1 student');
    expect(io.out()).toContain(
      'Left out 1 trial run (graded on fewer images than CIFAR-10 has, not grades): hank. Add --include-trials',
    );
    expect(io.out()).toMatch(/hank.*a trial run on fewer images than CIFAR-10 has: not a grade/);
    expect(withCode).toBe(0);
    expect(all).toContain('hank');
    expect(withTrials.out()).toContain('Included 1 trial run (not grades): hank');
    const rows = buildReport(stored).rows;
    expect(rows.find((r) => r.student === 'gina')).toMatchObject({
      accuracy: 60,
      trial: false,
      note: 'a newer trial run is not a grade; this is the latest grade on the full data',
    });
    expect(rows.find((r) => r.student === 'hank')).toMatchObject({ accuracy: 31, trial: true });
  });

  it('refuses a missing directory and an unknown format as usage errors', async () => {
    // Prepare
    const missing = captureIo({ cwd: root });
    const badFormat = captureIo({ cwd: root });
    // Act
    const missingCode = await main(['report', 'nope'], missing);
    const formatCode = await main(
      ['report', '.', '--csv', 'x.csv', '--format', 'excel'],
      badFormat,
    );
    // Assess
    expect(missingCode).toBe(2);
    expect(missing.err()).toContain('nope is not a directory');
    expect(formatCode).toBe(2);
    expect(badFormat.err()).toContain('--format must be one of full, canvas, gradescope');
  });
});

describe('report from the deployed stack (loopback S3)', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  let s3: TestS3;

  beforeAll(async () => {
    s3 = await startTestS3(['results-bucket']);
  });
  afterAll(async () => {
    await s3.close();
  });
  beforeEach(() => {
    cloudFormation.reset();
  });
  afterEach(() => {
    cloudFormation.reset();
  });

  it("reads the results bucket the stack's outputs name", async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Course' }).resolves({
      Stacks: [
        {
          StackName: 'Course',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: STACK_OUTPUTS.submissionsBucket, OutputValue: 'submissions-bucket' },
            { OutputKey: STACK_OUTPUTS.uploadPrefix, OutputValue: 'submissions/' },
            { OutputKey: STACK_OUTPUTS.resultsBucket, OutputValue: 'results-bucket' },
            { OutputKey: STACK_OUTPUTS.resultsPrefix, OutputValue: 'results/' },
            { OutputKey: STACK_OUTPUTS.jobQueueArn, OutputValue: 'arn:aws:batch:q' },
            { OutputKey: STACK_OUTPUTS.jobDefinitionArn, OutputValue: 'arn:aws:batch:d' },
          ],
        },
      ],
    });
    const put = (key: string, body: unknown) =>
      s3.client.send(
        new PutObjectCommand({ Bucket: 'results-bucket', Key: key, Body: JSON.stringify(body) }),
      );
    await put('results/alice/net.json', gradedResult({ accuracy: 60 }));
    await put('results/carol/x.json', rejectedResult());
    await put('claims/other.json', { not: 'a result' });
    // Act
    const { source, stack } = await stackJsonSource('Course', {
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
      s3: s3.client,
    });
    const loaded = await loadResults(source);
    const report = buildReport(loaded.results, loaded.unreadable);
    // Assess
    expect(stack.resultsBucket).toBe('results-bucket');
    expect(source.location).toBe('s3://results-bucket/results/');
    expect(report.rows.map((r) => [r.student, r.status, r.accuracy])).toEqual([
      ['alice', 'graded', 60],
      ['carol', 'rejected', null],
    ]);
    expect(report.unreadable).toEqual([]);
  });

  it('says which output is missing when the stack is not the autograder', async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Other',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [],
        },
      ],
    });
    // Act
    const attempt = stackJsonSource('Other', {
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
      s3: s3.client,
    });
    // Assess
    await expect(attempt).rejects.toThrow('stack Other has no output SubmissionsBucketName');
  });
});
