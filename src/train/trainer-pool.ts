import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Cifar10Dataset, Cifar10Split } from '../data/types.js';
import type { TrainExperimentInput } from './loop.js';
import type { BackendInfo, BackendName, TrainOutcome } from './types.js';

/** Marks the worker threads TrainerPool starts, in their workerData. */
export const EXPERIMENT_WORKER_ROLE = 'autograder-experiment-worker';

/** A split whose bytes live in SharedArrayBuffers: every worker reads the same memory. */
export interface SharedSplit {
  images: { buffer: SharedArrayBuffer; byteOffset: number; length: number };
  labels: { buffer: SharedArrayBuffer; byteOffset: number; length: number };
  count: number;
}

export interface SharedDataset {
  train: SharedSplit;
  test: SharedSplit;
  checksum: string;
  source: string;
}

/** What a worker is asked to train: the loop's input without functions, the data shared. */
export type WorkerTrainRequest = Omit<
  TrainExperimentInput,
  'data' | 'clock' | 'onProgress' | 'signal'
> & { data: SharedDataset };

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: 'train'; id: number; request: WorkerTrainRequest; progress: boolean }
  | { type: 'abort'; id: number };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'init-failed'; message: string }
  | {
      type: 'progress';
      id: number;
      progress: Parameters<NonNullable<TrainExperimentInput['onProgress']>>[0];
    }
  | { type: 'done'; id: number; outcome: TrainOutcome }
  | { type: 'failed'; id: number; message: string; aborted: boolean };

export interface TrainerPoolOptions {
  /** Worker threads, each with its own TensorFlow.js instance training one experiment at a time. */
  workers: number;
  /** The backend each worker makes active: the one the grade records. */
  backend: BackendName;
  /** Threads of each worker's wasm backend. */
  wasmThreads: number;
}

interface Job {
  id: number;
  input: TrainExperimentInput;
  resolve: (outcome: TrainOutcome) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  job: Job | undefined;
}

/**
 * Trains experiments on worker threads, several at once: each worker holds its own TensorFlow.js
 * instance and trains one experiment at a time; the dataset's bytes are shared with every worker
 * (SharedArrayBuffer), not copied. `train` has trainExperiment's contract, so the grader can use
 * it in its place. The clock is each worker's own (timings are not part of the result's promise).
 */
export class TrainerPool {
  /** Started on demand, up to `workers`: a one-experiment grade starts one. */
  private readonly slots: Slot[] = [];
  private readonly maxWorkers: number;
  private readonly queue: Job[] = [];
  private readonly shared = new WeakMap<Cifar10Dataset, SharedDataset>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: TrainerPoolOptions) {
    this.maxWorkers = Math.max(1, Math.floor(options.workers));
  }

  /** The most experiments it trains at once. */
  get size(): number {
    return this.maxWorkers;
  }

  /** Trains one experiment on the next free worker. */
  train = (input: TrainExperimentInput): Promise<TrainOutcome> => {
    if (this.closed) return Promise.reject(new Error('the trainer pool is closed'));
    input.signal?.throwIfAborted();
    return new Promise<TrainOutcome>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, resolve, reject });
      this.dispatch();
    });
  };

  /** Stops the workers; experiments still queued are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the trainer pool was closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = startWorker({
      backend: this.options.backend,
      wasmThreads: this.options.wasmThreads,
    });
    const slot: Slot = { worker, job: undefined, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-failed') reject(new Error(message.message));
        else this.onMessage(slot, message);
      };
      worker.on('message', onMessage);
      worker.on('error', (error) => {
        reject(error);
        this.onWorkerLost(slot, error);
      });
      worker.on('exit', (code) => {
        const error = new Error(`the training worker exited with code ${code}`);
        reject(error);
        this.onWorkerLost(slot, error);
      });
    });
    // A worker that cannot start fails the jobs given to it, not the process.
    slot.ready.catch(() => {});
    return slot;
  }

  private dispatch(): void {
    const idle = this.slots.filter((slot) => !slot.job).length;
    const wanted = Math.min(this.queue.length - idle, this.maxWorkers - this.slots.length);
    for (let i = 0; i < wanted; i += 1) this.slots.push(this.spawn());
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      void this.start(slot, job);
    }
  }

  private async start(slot: Slot, job: Job): Promise<void> {
    try {
      await slot.ready;
    } catch (error) {
      this.settle(slot, job, () => job.reject(error));
      return;
    }
    const { data, clock: _clock, onProgress, signal, ...rest } = job.input;
    if (signal?.aborted) {
      this.settle(slot, job, () => job.reject(signal.reason));
      return;
    }
    signal?.addEventListener('abort', () => post(slot.worker, { type: 'abort', id: job.id }), {
      once: true,
    });
    post(slot.worker, {
      type: 'train',
      id: job.id,
      request: { ...rest, data: this.share(data) },
      progress: onProgress !== undefined,
    });
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    const job = slot.job;
    if (!job || !('id' in message) || message.id !== job.id) return;
    switch (message.type) {
      case 'progress':
        job.input.onProgress?.(message.progress);
        return;
      case 'done':
        this.settle(slot, job, () => job.resolve(message.outcome));
        return;
      case 'failed':
        this.settle(slot, job, () =>
          job.reject(
            message.aborted && job.input.signal?.aborted
              ? job.input.signal.reason
              : new Error(message.message),
          ),
        );
        return;
    }
  }

  /** A worker died (out of memory, a crash): its experiment fails; later ones get a fresh worker. */
  private onWorkerLost(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    const job = slot.job;
    slot.job = undefined;
    if (this.closed) {
      job?.reject(error);
      return;
    }
    // Removed; dispatch starts a fresh worker when one is needed.
    this.slots.splice(index, 1);
    job?.reject(error);
    this.dispatch();
  }

  private settle(slot: Slot, job: Job, answer: () => void): void {
    if (slot.job === job) slot.job = undefined;
    answer();
    this.dispatch();
  }

  /** The dataset in shared memory: as it is when the loader allocated it so, else copied once. */
  private share(data: Cifar10Dataset): SharedDataset {
    let shared = this.shared.get(data);
    if (!shared) {
      shared = {
        train: shareSplit(data.train),
        test: shareSplit(data.test),
        checksum: data.checksum,
        source: data.source,
      };
      this.shared.set(data, shared);
    }
    return shared;
  }
}

function shareSplit(split: Cifar10Split): SharedSplit {
  return { images: shareBytes(split.images), labels: shareBytes(split.labels), count: split.count };
}

function shareBytes(bytes: Uint8Array): SharedSplit['images'] {
  if (bytes.buffer instanceof SharedArrayBuffer) {
    return { buffer: bytes.buffer, byteOffset: bytes.byteOffset, length: bytes.length };
  }
  const buffer = new SharedArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return { buffer, byteOffset: 0, length: bytes.length };
}

/** The dataset a worker trains on: views of the shared memory. */
export function datasetFromShared(shared: SharedDataset): Cifar10Dataset {
  const split = (s: SharedSplit): Cifar10Split => ({
    images: new Uint8Array(s.images.buffer, s.images.byteOffset, s.images.length),
    labels: new Uint8Array(s.labels.buffer, s.labels.byteOffset, s.labels.length),
    count: s.count,
  });
  return {
    train: split(shared.train),
    test: split(shared.test),
    checksum: shared.checksum,
    source: shared.source,
  };
}

function post(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

/**
 * Starts experiment-worker: the compiled .js beside this file, or, when running from the
 * TypeScript sources (tests, tsx), the .ts through tsx's loader, which the worker needs too.
 */
function startWorker(options: { backend: BackendName; wasmThreads: number }): Worker {
  const workerData = { role: EXPERIMENT_WORKER_ROLE, ...options };
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./experiment-worker.js', here), { workerData });
  }
  const entry = new URL('./experiment-worker.ts', here).href;
  // tsx's ESM API; require.resolve gives its CommonJS twin, in the same folder.
  const api = path.join(path.dirname(createRequire(here).resolve('tsx/esm/api')), 'index.mjs');
  const source = `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`;
  return new Worker(source, { eval: true, workerData });
}
