import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { create } from 'tar';
import {
  type SyntheticCifar10Options,
  syntheticCifar10,
  writeCifar10Dir,
} from '../../src/data/index.js';

/** A CIFAR-10-format archive packed like the official one (a cifar-10-batches-bin/ folder). */
export interface TestArchive {
  bytes: Buffer;
  md5: string;
  /** The dataset checksum loading the extracted files must report. */
  checksum: string;
}

export async function buildTestArchive(
  workDir: string,
  options: SyntheticCifar10Options = { train: 300, test: 60, seed: 5 },
): Promise<TestArchive> {
  const dataset = syntheticCifar10(options);
  await writeCifar10Dir(path.join(workDir, 'cifar-10-batches-bin'), dataset);
  const file = path.join(workDir, 'cifar-10-binary.tar.gz');
  await create({ gzip: true, file, cwd: workDir }, ['cifar-10-batches-bin']);
  const bytes = await readFile(file);
  return { bytes, md5: createHash('md5').update(bytes).digest('hex'), checksum: dataset.checksum };
}

export interface ServedRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface ArchiveServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  requests: ServedRequest[];
  close(): Promise<void>;
}

/**
 * Serves an archive on loopback the ways a real server (or a bad network) can:
 *   /archive.tar.gz    whole, with Range support and an ETag
 *   /redirect          302 to /archive.tar.gz
 *   /missing           404
 *   /truncated         announces the full length, sends 40%, closes the connection
 *   /flaky.tar.gz      like /truncated the first time, then like /archive.tar.gz
 *   /flaky-no-range.tar.gz  like /flaky.tar.gz, but the retry ignores Range (sends it all)
 */
export async function startArchiveServer(archive: Buffer): Promise<ArchiveServer> {
  const requests: ServedRequest[] = [];
  const etag = `"${createHash('md5').update(archive).digest('hex')}"`;
  const flakyServed = new Set<string>();
  const cut = Math.floor(archive.length * 0.4);

  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    requests.push({ path: url, headers: request.headers });
    const sendCut = () => {
      response.writeHead(200, { 'content-length': archive.length, etag });
      response.write(archive.subarray(0, cut), () => {
        // Let the bytes leave before the connection drops, as a network failure mid-way would.
        setTimeout(() => response.socket?.destroy(), 20);
      });
    };
    const sendWhole = (ranges: boolean) => {
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
      const ifRange = request.headers['if-range'];
      if (ranges && range && (ifRange === undefined || ifRange === etag)) {
        const start = Number(range[1]);
        if (start >= archive.length) {
          response.writeHead(416, { 'content-range': `bytes */${archive.length}` });
          response.end();
          return;
        }
        response.writeHead(206, {
          'content-length': archive.length - start,
          'content-range': `bytes ${start}-${archive.length - 1}/${archive.length}`,
          etag,
        });
        response.end(archive.subarray(start));
        return;
      }
      response.writeHead(200, { 'content-length': archive.length, etag, 'accept-ranges': 'bytes' });
      response.end(archive);
    };
    switch (url) {
      case '/archive.tar.gz':
        return sendWhole(true);
      case '/redirect':
        response.writeHead(302, { location: '/archive.tar.gz' });
        return response.end();
      case '/truncated':
        return sendCut();
      case '/flaky.tar.gz':
      case '/flaky-no-range.tar.gz':
        if (!flakyServed.has(url)) {
          flakyServed.add(url);
          return sendCut();
        }
        return sendWhole(url === '/flaky.tar.gz');
      default:
        response.writeHead(404, { 'content-type': 'text/plain' });
        return response.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
