/**
 * How fast `autograder serve` answers while a job trains: bounded requests on loopback to
 * GET /api/health and GET /api/submissions, first with nothing running (the reference), then
 * while one submission of three 128-channel convolutions trains on 300 generated images (the
 * case that starved HTTP before jobs left its thread). Prints p50 and p99 of each, their ratio to the
 * reference, the POST of a second submission, and the load average.
 *
 *   npx tsx bench/serve-latency.ts [--requests 200] [--rate 20]
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticCifar10, writeCifar10Dir } from '../src/data/index.js';
import { quantile } from '../src/fairness/index.js';
import { startServe } from '../test/helpers/serve-process.js';
import { addStudent } from '../test/helpers/students.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
  },
});
const REQUESTS = Number(values.requests);
const GAP_MS = 1000 / Number(values.rate);

const WIDE = {
  assignment: 'cifar10-conv',
  experiments: [
    {
      name: 'wide',
      layers: [
        { type: 'Conv2d', out_channels: 128, kernel_size: 3, padding: 1 },
        { type: 'ReLU' },
        { type: 'Conv2d', out_channels: 128, kernel_size: 3, padding: 1 },
        { type: 'ReLU' },
        { type: 'Conv2d', out_channels: 64, kernel_size: 3, padding: 1 },
        { type: 'ReLU' },
        { type: 'AdaptiveAvgPool2d', output_size: 1 },
        { type: 'Flatten' },
        { type: 'Linear', in_features: 64, out_features: 10 },
      ],
      training: { optimizer: 'adam', lr: 0.001, batch_size: 64 },
      reported: { params: 225_610, test_accuracy: 30 },
    },
  ],
  final: 'wide',
};

/** One request's time; a reset or refused connection counts, as status 0, with its time. */
async function timed(url: string, init: RequestInit = {}): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  try {
    const answer = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
    await answer.arrayBuffer();
    return { ms: performance.now() - start, status: answer.status };
  } catch {
    return { ms: performance.now() - start, status: 0 };
  }
}

async function burst(url: string, init: RequestInit) {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const { ms, status } = await timed(url, init);
    times.push(ms);
    if (status !== 200) failed += 1;
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  return Object.assign(times, { failed });
}

const line = (label: string, times: number[] & { failed: number }, reference?: number[]) => {
  const p50 = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  const ratio = reference ? `  p99 ${(p99 / quantile(reference, 0.99)).toFixed(1)}× idle` : '';
  console.log(
    `${label.padEnd(36)} n=${String(times.length).padStart(3)} (${times.failed} failed)  p50 ${p50.toFixed(1).padStart(6)} ms  p99 ${p99.toFixed(1).padStart(6)} ms${ratio}  (load ${loadavg()[0]?.toFixed(2)})`,
  );
};

const root = await mkdtemp(path.join(tmpdir(), 'serve-latency-'));
try {
  const data = path.join(root, 'cifar');
  await writeCifar10Dir(data, syntheticCifar10({ train: 300, test: 100, seed: 3 }));
  const state = path.join(root, 'state');
  const token = await addStudent(state);
  const serve = await startServe([
    '--port',
    '0',
    '--state',
    state,
    '--data',
    data,
    '--backend',
    'wasm',
  ]);
  const auth = { authorization: `Bearer ${token}` };
  const submit = () =>
    timed(`${serve.url}/api/submissions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(WIDE),
    });
  try {
    const idleHealth = await burst(`${serve.url}/api/health`, {});
    const idleList = await burst(`${serve.url}/api/submissions`, { headers: auth });
    const first = await submit();
    // Measure from when the job has started training, without asking the API (it may not answer).
    await new Promise((r) => setTimeout(r, 3000));
    const started = performance.now();
    const busyHealth = await burst(`${serve.url}/api/health`, {});
    const second = await submit();
    const busyList = await burst(`${serve.url}/api/submissions`, { headers: auth });
    const window = (performance.now() - started) / 1000;
    const after = (await (
      await fetch(`${serve.url}/api/submissions`, { headers: auth })
    ).json()) as {
      submissions: Array<{ status: string }>;
    };
    console.log(
      `measured over ${window.toFixed(0)} s from 3 s after the first POST; statuses at the end: ${after.submissions.map((x) => x.status).join(', ')}`,
    );
    line('GET /api/health, idle', idleHealth);
    line('GET /api/submissions, idle', idleList);
    line('GET /api/health, while training', busyHealth, idleHealth);
    line('GET /api/submissions, while training', busyList, idleList);
    console.log(
      `POST /api/submissions: first ${first.ms.toFixed(1)} ms (${first.status}), while training ${second.ms.toFixed(1)} ms (${second.status})`,
    );
  } finally {
    await serve.stop();
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
