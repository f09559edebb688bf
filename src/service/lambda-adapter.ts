import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { StudentApiConfig } from '../config.js';
import { createDynamoDbStateStore } from '../state/index.js';
import { createS3Client, S3ObjectStore } from '../storage/index.js';
import { DynamoDbStudentsStore, TokenAuthenticator } from '../students/index.js';
import { type ApiDeps, handleApiRequest } from './api.js';
import { RecordDesk } from './record-desk.js';
import type { ApiRequest } from './types.js';

export interface StudentApiClients {
  dynamodb?: DynamoDBClient;
  s3?: S3Client;
}

/** The API's collaborators on AWS: DynamoDB for students and records, S3 for files. */
export function studentApiDepsFor(
  config: StudentApiConfig,
  clients: StudentApiClients = {},
  log?: ApiDeps['log'],
): ApiDeps {
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({});
  const s3 = clients.s3 ?? createS3Client();
  const students = new DynamoDbStudentsStore({ table: config.studentsTable, client: dynamodb });
  return {
    authenticator: new TokenAuthenticator(students),
    quotas: students,
    desk: new RecordDesk({
      records: createDynamoDbStateStore({ tableName: config.stateTable, client: dynamodb }),
      submissions: new S3ObjectStore({ bucket: config.submissionsBucket, client: s3 }),
      submissionsBucket: config.submissionsBucket,
      // S3's event on the new object starts intake, as for a file staff upload.
      results: new S3ObjectStore({ bucket: config.resultsBucket, client: s3 }),
    }),
    ...(config.quota !== undefined ? { quota: config.quota } : {}),
    ...(log ? { log } : {}),
  };
}

/** An API Gateway HTTP API (payload 2.0) event as the API's request. */
export function apiRequestOf(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const body =
    event.body === undefined
      ? new Uint8Array()
      : new Uint8Array(Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'));
  return {
    method: event.requestContext.http.method,
    // rawPath keeps the percent-encoding, so an encoded slash is seen as such.
    path: event.rawPath,
    headers,
    body: {
      declaredLength: body.byteLength,
      // API Gateway has the whole body already (up to its own 10 MB cap); the rubric's cap applies here.
      read: async (maxBytes) => (body.byteLength > maxBytes ? 'too-large' : body),
    },
  };
}

export async function handleApiGatewayEvent(
  event: APIGatewayProxyEventV2,
  deps: ApiDeps,
): Promise<APIGatewayProxyStructuredResultV2> {
  const response = await handleApiRequest(apiRequestOf(event), deps);
  return {
    statusCode: response.status,
    headers: response.headers,
    body: JSON.stringify(response.body),
  };
}
