import { BatchClient } from '@aws-sdk/client-batch';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  queueStatus,
  renderQueueStatus,
  resolveStack,
  StaffCommandError,
} from '../../staff/index.js';
import { UsageError } from '../errors.js';
import { parseCommandArgs } from '../parse-args.js';
import type { CliIo, Command } from '../types.js';

const USAGE = 'autograder status --stack STACK';

const HELP = `Usage: ${USAGE}

The deployed stack's grading jobs: how many are queued (waiting for a GPU instance), running,
failed and finished, the submission that has waited longest, and the latest failures. Reads AWS
Batch with your AWS credentials. Batch lists finished jobs only for some days after they end;
"autograder report --stack" is the course's full record.

Exit status: 0 printed, 2 usage error or the stack cannot be read.`;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: false,
    options: { stack: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0 || values.stack === undefined) {
    throw new UsageError('expected --stack STACK');
  }
  try {
    const stack = await resolveStack(values.stack, new CloudFormationClient({}));
    const status = await queueStatus(new BatchClient({}), stack.jobQueueArn);
    io.stdout(renderQueueStatus(status, stack.name, new Date()));
    return 0;
  } catch (error) {
    if (error instanceof StaffCommandError) throw new UsageError(error.message);
    throw error;
  }
}

export const command: Command = { usage: USAGE, run };
