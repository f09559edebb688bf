import type { OptimizerName } from '../spec/types.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The engine a run used, recorded in every result. */
export interface BackendInfo {
  name: BackendName;
  /** The tfjs version of the backend package. */
  version: string;
  /** Which package or build provided it, e.g. "@tensorflow/tfjs-node-gpu", "wasm simd". */
  detail: string;
  /**
   * The device that trains, as the engine reports it: the GPU's model name (e.g. "Tesla T4"),
   * "GPU" when TensorFlow uses one whose name the driver does not tell, or "cpu".
   */
  device: string;
  /** CPU threads the engine computes with (for TensorFlow, its default pool: one per logical CPU). */
  threads: number;
}

/** Settings an experiment trains with, after the rubric's defaults are applied. */
export interface ResolvedTraining {
  optimizer: OptimizerName;
  lr: number;
  batch_size: number;
  momentum: number;
  weight_decay: number;
  epochs: number;
}

export interface EpochStats {
  epoch: number;
  /** Mean training cross-entropy over the epoch. */
  loss: number;
  /** Training accuracy over the epoch, percent. */
  accuracy: number;
  seconds: number;
  images: number;
}

/**
 * ok: trained the full budget and evaluated.
 * diverged: loss became NaN or Inf; training stopped.
 * timeout: the experiment's time limit stopped it.
 * error: it could not be built or trained (the message says why).
 */
export type ExperimentStatus = 'ok' | 'diverged' | 'timeout' | 'error';

export interface TrainOutcome {
  name: string;
  status: ExperimentStatus;
  /** Why it did not end "ok", in words a student can act on. */
  message?: string;
  epochs: EpochStats[];
  /** Percent on the evaluated test images; absent unless evaluation ran. */
  testAccuracy?: number;
  testLoss?: number;
  /** Trainable parameters of the built tfjs model. */
  params: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface TrainProgress {
  experiment: string;
  epoch: number;
  epochs: number;
  /** Images seen so far in this epoch, and in all. */
  seen: number;
  total: number;
  loss: number;
  imagesPerSecond: number;
  /** Images in one epoch, so a reporter can draw a bar and an ETA. */
  imagesPerEpoch?: number;
  /** Set on the report that ends an epoch. */
  completedEpoch?: EpochStats;
}
