import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeJob {
  jobId: string;
  jobName: string;
  status: 'SUBMITTED' | 'PENDING' | 'RUNNABLE' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  createdAt: number;
  stoppedAt?: number;
  statusReason?: string;
}

/**
 * CloudFormation's DescribeStacks (query protocol) and Batch's ListJobs and SubmitJob (REST JSON) on
 * loopback:
 * what `status`, `report` and `regrade` ask AWS before they read buckets and tables, which the
 * journeys serve with s3rver and dynalite. Point the SDK at it with AWS_ENDPOINT_URL_<SERVICE>.
 */
export interface FakeAws {
  endpoint: string;
  requests: string[];
  close(): Promise<void>;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function bodyOf(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

export async function startFakeAws(stack: {
  name: string;
  outputs: Record<string, string>;
  jobs: FakeJob[];
}): Promise<FakeAws> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      if (request.url === '/v1/listjobs') {
        const asked = JSON.parse(body || '{}') as { jobStatus?: string };
        requests.push(`batch:ListJobs:${asked.jobStatus ?? ''}`);
        const jobSummaryList = stack.jobs
          .filter((job) => job.status === asked.jobStatus)
          .map(({ statusReason, ...job }) => ({
            ...job,
            ...(statusReason ? { statusReason } : {}),
          }));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ jobSummaryList }));
        return;
      }
      if (request.url === '/v1/submitjob') {
        const asked = JSON.parse(body || '{}') as { jobName?: string };
        requests.push(`batch:SubmitJob:${asked.jobName ?? ''}`);
        const jobId = `job-${stack.jobs.length + 1}`;
        stack.jobs.push({
          jobId,
          jobName: asked.jobName ?? jobId,
          status: 'SUBMITTED',
          createdAt: Date.now(),
        });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ jobId, jobName: asked.jobName, jobArn: `arn:aws:batch:::job/${jobId}` }),
        );
        return;
      }
      if (request.url?.startsWith('/v1/')) {
        requests.push(`batch:${request.url}`);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
        return;
      }
      const form = new URLSearchParams(body);
      requests.push(`cloudformation:${form.get('Action') ?? '?'}`);
      if (form.get('Action') !== 'DescribeStacks' || form.get('StackName') !== stack.name) {
        response.writeHead(400, { 'content-type': 'text/xml' });
        response.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(form.get('StackName') ?? '')} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
        );
        return;
      }
      const outputs = Object.entries(stack.outputs)
        .map(
          ([key, value]) =>
            `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`,
        )
        .join('');
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xml(stack.name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${xml(stack.name)}/1</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-12-01T00:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
