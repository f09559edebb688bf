import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PageAssets, SECURITY_HEADERS } from '../page/build.js';
import { type ApiDeps, handleApiRequest } from './api.js';
import type { ApiRequest, RequestBody } from './types.js';

export interface StudentServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StudentServerOptions {
  api: ApiDeps;
  page: PageAssets;
  /** 0 picks a free port. */
  port: number;
}

/** Loopback only: the local service is for the machine it runs on. */
export const LOOPBACK_HOST = '127.0.0.1';

/** The page at / and the API at /api/, on 127.0.0.1. */
export async function startStudentServer(options: StudentServerOptions): Promise<StudentServer> {
  const server = createServer((req, res) => {
    void answer(req, res, options);
  });
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, LOOPBACK_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  options: StudentServerOptions,
): Promise<void> {
  const path = req.url ?? '/';
  try {
    if (path === '/api' || path.startsWith('/api/')) {
      const response = await handleApiRequest(toApiRequest(req), options.api);
      send(res, response.status, response.headers, `${JSON.stringify(response.body)}\n`);
      return;
    }
    const name = path.split('?')[0] === '/' ? 'index.html' : (path.split('?')[0] ?? '').slice(1);
    const asset = options.page.get(name);
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
      send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'Not found\n');
      return;
    }
    send(
      res,
      200,
      { 'content-type': asset.contentType, 'cache-control': 'no-cache' },
      req.method === 'HEAD' ? '' : asset.body,
    );
  } catch (error) {
    options.api.log?.({ event: 'http-error', path, error: String(error) });
    if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, 'Server error\n');
  }
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array,
): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

function toApiRequest(req: IncomingMessage): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const declared = Number(req.headers['content-length']);
  return {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers,
    body: streamBody(req, Number.isFinite(declared) ? declared : undefined),
  };
}

/** Reads the request stream up to a cap; past it, stops and answers "too-large". */
function streamBody(req: IncomingMessage, declaredLength: number | undefined): RequestBody {
  return {
    declaredLength,
    read: (maxBytes) =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.off('data', onData);
            // The rest is drained unread, so the 413 reaches the client.
            req.resume();
            resolve('too-large');
            return;
          }
          chunks.push(chunk);
        };
        req.on('data', onData);
        req.once('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
        req.once('error', reject);
      }),
  };
}
