import { formatDuration } from '../train/progress.js';
import type { DownloadProgress } from './download.js';

export interface DownloadReporterOptions {
  /** A terminal gets a bar redrawn in place; anything else gets plain lines. */
  isTTY: boolean;
  write: (text: string) => void;
  /** What is downloading, e.g. "CIFAR-10". */
  label: string;
  columns?: number;
  /** Milliseconds; injected for tests. */
  clock?: () => number;
  /** Minimum time between plain lines (not on a TTY). Default 10 s. */
  lineIntervalMs?: number;
  /** Minimum time between redraws on a TTY. Default 100 ms. */
  redrawIntervalMs?: number;
}

export interface DownloadReporter {
  /** Pass as fetchCifar10's onProgress. */
  update(progress: DownloadProgress): void;
  /** Ends the bar (a newline on a terminal); call whether the download succeeded or not. */
  finish(): void;
}

const CLEAR_LINE = '\r\x1b[2K';
const BAR_WIDTH = 24;
const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

/**
 * Download progress for people, in the style of the training reporter: on a terminal a bar with
 * bytes, rate and ETA redrawn in place; in a log a line every `lineIntervalMs`.
 */
export function createDownloadReporter(options: DownloadReporterOptions): DownloadReporter {
  const clock = options.clock ?? Date.now;
  const lineInterval = options.lineIntervalMs ?? 10_000;
  const redrawInterval = options.redrawIntervalMs ?? 100;
  let started: { at: number; bytes: number } | undefined;
  let lastWrite = Number.NEGATIVE_INFINITY;
  let barShown = false;
  let last: DownloadProgress | undefined;

  const status = (progress: DownloadProgress, now: number): string => {
    const origin = started ?? { at: now, bytes: progress.received };
    const seconds = (now - origin.at) / 1000;
    const rate = seconds > 0 ? (progress.received - origin.bytes) / seconds : 0;
    const { total } = progress;
    const size = total
      ? `${mib(progress.received)}/${mib(total)} MiB`
      : `${mib(progress.received)} MiB`;
    const eta =
      total && rate > 0 ? formatDuration(Math.max(0, total - progress.received) / rate) : '?';
    const resumed =
      progress.resumedFrom > 0 ? ` (resumed at ${mib(progress.resumedFrom)} MiB)` : '';
    return `${size} ${mib(rate)} MiB/s ETA ${eta}${resumed}`;
  };

  const draw = (progress: DownloadProgress, now: number): string => {
    const text = status(progress, now);
    const room = (options.columns ?? 80) - text.length - options.label.length - 4;
    const width = Math.max(0, Math.min(BAR_WIDTH, room));
    const done = progress.total ? Math.min(1, progress.received / progress.total) : 0;
    const filled = Math.round(done * width);
    const bar = width > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
    return `${options.label}${bar} ${text}`;
  };

  return {
    update(progress) {
      const now = clock();
      started ??= { at: now, bytes: progress.received };
      last = progress;
      const interval = options.isTTY ? redrawInterval : lineInterval;
      const complete = progress.total !== undefined && progress.received >= progress.total;
      if (!complete && now - lastWrite < interval) return;
      lastWrite = now;
      if (options.isTTY) {
        options.write(`${CLEAR_LINE}${draw(progress, now)}`);
        barShown = true;
      } else {
        options.write(`${options.label}: ${status(progress, now)}\n`);
      }
    },
    finish() {
      if (options.isTTY && barShown) {
        options.write(last ? `${CLEAR_LINE}${draw(last, clock())}\n` : '\n');
      }
      barShown = false;
    },
  };
}
