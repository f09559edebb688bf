import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RUBRIC } from '../../rubric/index.js';
import {
  buildReport,
  CSV_FORMATS,
  directoryJsonSource,
  isCsvFormat,
  type JsonSource,
  loadResults,
  renderReportChart,
  renderReportText,
  reportCsv,
  StaffCommandError,
  stackJsonSource,
} from '../../staff/index.js';
import { cliStaffConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import { shownPath } from '../paths.js';
import type { CliIo, Command } from '../types.js';

const USAGE =
  'autograder report RESULTS_DIR|--stack STACK [--csv FILE] [--format full|gradescope|canvas] [--include-trials] [--assignment NAME] [--chart FILE.svg]';

const HELP = `Usage: ${USAGE}

One row per student with any result: their latest graded submission's score per task, total,
reproduced accuracy and parameters of the final network, when it was graded and under which
rubric version. A student whose submissions were all rejected scores 0 and the row says so.
Prints the gradebook and the class's distribution (mean, median, a histogram).

  RESULTS_DIR       result files: <student>/<name>.json (the results/ folder of a bucket or of the
                    local pipeline), or NAME.result.json files from "autograder grade DIR"
  --stack STACK     read the deployed stack's results bucket instead (AWS credentials needed)
  --csv FILE        write the gradebook as CSV
  --format F        full (default: every column), gradescope (Name, SID, Email, Total Score for
                    Gradescope's score import) or canvas (Canvas's gradebook import layout)
  --include-trials  also export trial runs (graded on fewer images than CIFAR-10 has, such as
                    --limit-train slices); by default the CSV leaves them out and says whose
  --assignment NAME the Canvas column (default: the rubric's title)
  --chart FILE.svg  an SVG of the score distribution and accuracy against parameters, for a slide

Exit status: 0 report written, 2 usage error or unreadable results.`;

async function openSource(
  values: { stack?: string },
  positionals: string[],
  io: CliIo,
): Promise<JsonSource> {
  if (values.stack !== undefined) {
    if (positionals.length > 0) throw new UsageError('give RESULTS_DIR or --stack, not both');
    const { s3Endpoint } = cliStaffConfig(io);
    const { source } = await stackJsonSource(values.stack, { s3Endpoint });
    return source;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError('expected one results directory (or --stack STACK)');
  }
  const dir = path.resolve(io.cwd, positionals[0]);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`${positionals[0]} is not a directory`);
  // A bucket's or the local pipeline's root: the results are in its results/ folder.
  const nested = path.join(dir, 'results');
  const useNested = (await stat(nested).catch(() => undefined))?.isDirectory() ?? false;
  return directoryJsonSource(useNested ? nested : dir);
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      csv: { type: 'string' },
      format: { type: 'string' },
      'include-trials': { type: 'boolean' },
      assignment: { type: 'string' },
      chart: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const format = values.format ?? 'full';
  if (!isCsvFormat(format)) {
    throw new UsageError(`--format must be one of ${CSV_FORMATS.join(', ')}, got "${format}"`);
  }
  if (values.format !== undefined && values.csv === undefined) {
    throw new UsageError('--format applies to the CSV file: add --csv FILE');
  }
  if (values['include-trials'] && values.csv === undefined) {
    throw new UsageError('--include-trials applies to the CSV file: add --csv FILE');
  }
  if (values.chart !== undefined && !values.chart.endsWith('.svg')) {
    throw new UsageError(`--chart writes SVG: name a .svg file, got "${values.chart}"`);
  }
  let source: JsonSource;
  let report: ReturnType<typeof buildReport>;
  try {
    source = await openSource(values, positionals, io);
    const { results, unreadable } = await loadResults(source);
    report = buildReport(results, unreadable, DEFAULT_RUBRIC);
  } catch (error) {
    if (error instanceof StaffCommandError) throw new UsageError(error.message);
    throw error;
  }
  const location = values.stack === undefined ? shownPath(io, source.location) : source.location;
  io.stdout(renderReportText(report, location));
  if (values.csv !== undefined) {
    const file = path.resolve(io.cwd, values.csv);
    // A trial's score is not a grade: it never reaches a gradebook unless staff ask for it.
    const trials = report.rows.filter((row) => row.trial);
    const exported = values['include-trials']
      ? report
      : { ...report, rows: report.rows.filter((row) => !row.trial) };
    await writeFile(
      file,
      reportCsv(exported, format, { assignment: values.assignment ?? DEFAULT_RUBRIC.title }),
    );
    io.stdout(
      `\nCSV (${format}) written to ${shownPath(io, file)}: ${exported.rows.length} student${exported.rows.length === 1 ? '' : 's'}\n`,
    );
    if (trials.length > 0) {
      const names = trials.map((row) => row.student).join(', ');
      io.stdout(
        values['include-trials']
          ? `Included ${trials.length} trial run${trials.length === 1 ? '' : 's'} (not grades): ${names}\n`
          : `Left out ${trials.length} trial run${trials.length === 1 ? '' : 's'} (graded on fewer images than CIFAR-10 has, not grades): ${names}. Add --include-trials to export them.\n`,
      );
    }
  }
  if (values.chart !== undefined) {
    const file = path.resolve(io.cwd, values.chart);
    const { baseline } = DEFAULT_RUBRIC;
    await writeFile(
      file,
      renderReportChart(report, {
        name: baseline.name,
        params: baseline.params,
        accuracy: baseline.reference_accuracy,
      }),
    );
    io.stdout(`Chart written to ${shownPath(io, file)}\n`);
  }
  return 0;
}

export const command: Command = { usage: USAGE, run };
