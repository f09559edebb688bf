/**
 * A training worker of TrainerPool: its own TensorFlow.js instance, one experiment at a time,
 * on the dataset the pool shares. Does nothing unless started as a worker thread.
 */

import { isMainThread, type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from './backend.js';
import { trainExperiment } from './loop.js';
import {
  datasetFromShared,
  EXPERIMENT_WORKER_ROLE,
  type FromWorker,
  type ToWorker,
} from './trainer-pool.js';
import type { BackendName } from './types.js';

async function serve(port: MessagePort, options: { backend: BackendName; wasmThreads: number }) {
  const send = (message: FromWorker): void => port.postMessage(message);
  try {
    const backend = await selectBackend(options.backend, { wasmThreads: options.wasmThreads });
    send({ type: 'ready', backend });
  } catch (error) {
    send({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const running = new Map<number, AbortController>();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'abort') {
      running.get(message.id)?.abort(new Error('aborted by the grader'));
      return;
    }
    const { id, request, progress } = message;
    const controller = new AbortController();
    running.set(id, controller);
    trainExperiment({
      ...request,
      data: datasetFromShared(request.data),
      signal: controller.signal,
      ...(progress ? { onProgress: (p) => send({ type: 'progress', id, progress: p }) } : {}),
    })
      .then((outcome) => send({ type: 'done', id, outcome }))
      .catch((error: unknown) =>
        send({
          type: 'failed',
          id,
          message: error instanceof Error ? error.message : String(error),
          aborted: controller.signal.aborted,
        }),
      )
      .finally(() => running.delete(id));
  });
}

// Only a thread TrainerPool started (test runners run files on worker threads of their own).
const data = workerData as { role?: string; backend: BackendName; wasmThreads: number } | null;
if (!isMainThread && parentPort && data?.role === EXPERIMENT_WORKER_ROLE) {
  void serve(parentPort, data);
}
