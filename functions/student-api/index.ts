import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { readStudentApiConfig } from '../../src/config.js';
import { jsonLog } from '../../src/pipeline/index.js';
import type { ApiDeps } from '../../src/service/api.js';
// Not the service's index: it also exports the local HTTP server and page build.
import {
  handleApiGatewayEvent,
  type StudentApiClients,
  studentApiDepsFor,
} from '../../src/service/lambda-adapter.js';

export interface StudentApiOptions {
  env?: NodeJS.ProcessEnv;
  clients?: StudentApiClients;
  log?: ApiDeps['log'];
}

/** API Gateway (HTTP API) → the students' API: submit, list, read one. */
export function makeStudentApiHandler(
  options: StudentApiOptions = {},
): (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> {
  // Built on the first request, not at import: configuration errors surface in the invocation.
  let deps: ApiDeps | undefined;
  return async (event) => {
    deps ??= studentApiDepsFor(
      readStudentApiConfig(options.env),
      options.clients,
      options.log ?? jsonLog,
    );
    return handleApiGatewayEvent(event, deps);
  };
}

export const handler = makeStudentApiHandler();
