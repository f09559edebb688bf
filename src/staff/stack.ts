import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { StaffCommandError } from './errors.js';
import { CPU_ROUTE_OUTPUTS, STACK_OUTPUTS } from './stack-outputs.js';

export { CPU_ROUTE_OUTPUTS, STACK_OUTPUTS };

/** What staff commands need to know about a deployed stack. */
export interface DeployedStack {
  name: string;
  submissionsBucket: string;
  uploadPrefix: string;
  resultsBucket: string;
  resultsPrefix: string;
  jobQueueArn: string;
  jobDefinitionArn: string;
  /** The submission records' DynamoDB table (only regrade needs it, and says so if absent). */
  stateTable?: string;
  /** The CPU route, where the stack has one: light jobs go there, as intake sends them. */
  cpuRoute?: { jobQueueArn: string; jobDefinitionArn: string; maxTrainingMacs: number };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Reads the stack's outputs with the caller's AWS credentials (CloudFormation DescribeStacks). */
export async function resolveStack(
  name: string,
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<DeployedStack> {
  let outputs: Output[];
  try {
    const response = await client.send(new DescribeStacksCommand({ StackName: name }));
    const stack = response.Stacks?.[0];
    if (!stack) throw new StaffCommandError(`stack ${name} was not found`);
    outputs = stack.Outputs ?? [];
  } catch (error) {
    if (error instanceof StaffCommandError) throw error;
    throw new StaffCommandError(
      `cannot read stack ${name} (is it deployed in this account and region, and are AWS credentials set?): ${describe(error)}`,
      { cause: error },
    );
  }
  const value = (key: string): string => {
    const found = outputs.find((o) => o.OutputKey === key)?.OutputValue;
    if (!found) {
      throw new StaffCommandError(
        `stack ${name} has no output ${key}: is it the autograder's stack, deployed from this version?`,
      );
    }
    return found;
  };
  const optional = (key: string) => outputs.find((o) => o.OutputKey === key)?.OutputValue;
  const stateTable = optional(STACK_OUTPUTS.stateTable);
  const [cpuQueue, cpuDefinition, cpuMax] = CPU_ROUTE_OUTPUTS.map(optional);
  const maxTrainingMacs = Number(cpuMax);
  const cpuRoute =
    cpuQueue && cpuDefinition && cpuMax && Number.isFinite(maxTrainingMacs) && maxTrainingMacs > 0
      ? { jobQueueArn: cpuQueue, jobDefinitionArn: cpuDefinition, maxTrainingMacs }
      : undefined;
  return {
    name,
    submissionsBucket: value(STACK_OUTPUTS.submissionsBucket),
    uploadPrefix: value(STACK_OUTPUTS.uploadPrefix),
    resultsBucket: value(STACK_OUTPUTS.resultsBucket),
    resultsPrefix: value(STACK_OUTPUTS.resultsPrefix),
    jobQueueArn: value(STACK_OUTPUTS.jobQueueArn),
    jobDefinitionArn: value(STACK_OUTPUTS.jobDefinitionArn),
    ...(stateTable ? { stateTable } : {}),
    ...(cpuRoute ? { cpuRoute } : {}),
  };
}
