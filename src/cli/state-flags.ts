import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DynamoDbStudentsStore,
  FileSystemStudentsStore,
  type StudentsStore,
} from '../students/index.js';
import { UsageError } from './errors.js';
import type { CliIo } from './types.js';

/** The local service's state when --state is not given, relative to the working directory. */
export const DEFAULT_STATE_DIR = '.autograder-state';

/** The stack output naming the students table (cdk/student-service.ts). */
export const STUDENTS_TABLE_OUTPUT = 'StudentsTableName';

export const STATE_OPTIONS = {
  state: { type: 'string' },
  stack: { type: 'string' },
} as const;

/** The state directory --state names (or the default), resolved from the working directory. */
export function stateDir(values: { state?: string }, io: CliIo): string {
  return path.resolve(io.cwd, values.state ?? DEFAULT_STATE_DIR);
}

/** The students store --state or --stack names, and words for where it is. */
export async function openStudentsStore(
  values: { state?: string; stack?: string },
  io: CliIo,
  cloudFormation: () => CloudFormationClient = () => new CloudFormationClient({}),
): Promise<{ store: StudentsStore; where: string }> {
  if (values.state !== undefined && values.stack !== undefined) {
    throw new UsageError('give --state DIR or --stack STACK, not both');
  }
  if (values.stack === undefined) {
    const dir = stateDir(values, io);
    return {
      store: new FileSystemStudentsStore(path.join(dir, 'students')),
      where: shown(io, dir),
    };
  }
  const client = cloudFormation();
  let table: string | undefined;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: values.stack }));
    table = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === STUDENTS_TABLE_OUTPUT)?.OutputValue;
  } catch (error) {
    throw new UsageError(
      `cannot read stack ${values.stack}: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    client.destroy();
  }
  if (!table) {
    throw new UsageError(
      `stack ${values.stack} has no ${STUDENTS_TABLE_OUTPUT} output: deploy this version of the stack first`,
    );
  }
  return { store: new DynamoDbStudentsStore({ table }), where: `table ${table}` };
}

/** A directory as the user would type it: relative below the working directory, else absolute. */
export function shown(io: CliIo, dir: string): string {
  const relative = path.relative(io.cwd, dir);
  return relative === '' || relative.startsWith('..') ? dir : relative;
}
