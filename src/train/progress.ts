import type { TrainOutcome, TrainProgress } from './types.js';

export interface ProgressReporterOptions {
  /** A terminal gets one bar per experiment, redrawn in place; anything else gets plain lines. */
  isTTY: boolean;
  write: (text: string) => void;
  /** Terminal width; the bar shrinks to fit. */
  columns?: number;
  /** Milliseconds; injected for tests. */
  clock?: () => number;
  /** Minimum time between plain lines (not on a TTY). Default 10 s. */
  lineIntervalMs?: number;
  /** Minimum time between redraws on a TTY. Default 100 ms. */
  redrawIntervalMs?: number;
}

export interface ProgressReporter {
  /** Pass as trainExperiment's onProgress. */
  update(progress: TrainProgress): void;
  /** Ends the experiment's bar with its outcome. */
  finish(outcome: TrainOutcome): void;
}

const CLEAR_LINE = '\r\x1b[2K';
const BAR_WIDTH = 24;

/** "1:02:03", "4:05" or "0:07". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}

/** Seconds left for the whole experiment at the current rate, or undefined when unknown. */
export function etaSeconds(progress: TrainProgress): number | undefined {
  const { imagesPerEpoch, epochs, total, imagesPerSecond } = progress;
  if (imagesPerEpoch === undefined || !(imagesPerSecond > 0)) return undefined;
  return Math.max(0, imagesPerEpoch * epochs - total) / imagesPerSecond;
}

function describeOutcome(outcome: TrainOutcome): string {
  const rate = `${Math.round(outcome.imagesPerSecond)} img/s`;
  const took = `${outcome.epochs.length} epoch${outcome.epochs.length === 1 ? '' : 's'} in ${formatDuration(outcome.seconds)}`;
  if (outcome.status === 'ok') {
    return `${outcome.name}: test accuracy ${outcome.testAccuracy?.toFixed(2)}% (${took}, ${rate})`;
  }
  return `${outcome.name}: ${outcome.status}: ${outcome.message ?? 'no details'} (${took})`;
}

function describeEpoch(name: string, progress: TrainProgress): string {
  const stats = progress.completedEpoch;
  if (!stats) return '';
  return (
    `${name}: epoch ${stats.epoch}/${progress.epochs} loss ${stats.loss.toFixed(4)} ` +
    `train accuracy ${stats.accuracy.toFixed(2)}% (${formatDuration(stats.seconds)})`
  );
}

/**
 * Training progress for people: on a terminal, a bar with images/s and an ETA redrawn in place,
 * and a line per finished epoch; in a log (CI, Batch), a line every `lineIntervalMs` and per epoch,
 * so logs stay short and free of control characters.
 */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const clock = options.clock ?? Date.now;
  const lineInterval = options.lineIntervalMs ?? 10_000;
  const redrawInterval = options.redrawIntervalMs ?? 100;
  let lastWrite = Number.NEGATIVE_INFINITY;
  let barShown = false;

  const status = (progress: TrainProgress): string => {
    const eta = etaSeconds(progress);
    const perEpoch = progress.imagesPerEpoch;
    const position = perEpoch ? `${progress.seen}/${perEpoch}` : `${progress.seen}`;
    return (
      `epoch ${progress.epoch}/${progress.epochs} ${position} loss ${progress.loss.toFixed(4)} ` +
      `${Math.round(progress.imagesPerSecond)} img/s ETA ${eta === undefined ? '?' : formatDuration(eta)}`
    );
  };

  const bar = (progress: TrainProgress): string => {
    const perEpoch = progress.imagesPerEpoch ?? 0;
    const done = perEpoch > 0 ? Math.min(1, progress.total / (perEpoch * progress.epochs)) : 0;
    const text = status(progress);
    const room = (options.columns ?? 80) - text.length - progress.experiment.length - 5;
    const width = Math.max(0, Math.min(BAR_WIDTH, room));
    const filled = Math.round(done * width);
    const drawn = width > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
    return `${progress.experiment}${drawn} ${text}`;
  };

  return {
    update(progress) {
      const now = clock();
      if (options.isTTY) {
        if (progress.completedEpoch) {
          options.write(`${CLEAR_LINE}${describeEpoch(progress.experiment, progress)}\n`);
          barShown = false;
          lastWrite = Number.NEGATIVE_INFINITY;
          return;
        }
        if (now - lastWrite < redrawInterval) return;
        options.write(`${CLEAR_LINE}${bar(progress)}`);
        barShown = true;
        lastWrite = now;
        return;
      }
      if (progress.completedEpoch) {
        options.write(`${describeEpoch(progress.experiment, progress)}\n`);
        lastWrite = now;
        return;
      }
      if (now - lastWrite < lineInterval) return;
      options.write(`${progress.experiment}: ${status(progress)}\n`);
      lastWrite = now;
    },
    finish(outcome) {
      const prefix = options.isTTY && barShown ? CLEAR_LINE : '';
      options.write(`${prefix}${describeOutcome(outcome)}\n`);
      barShown = false;
      lastWrite = Number.NEGATIVE_INFINITY;
    },
  };
}
