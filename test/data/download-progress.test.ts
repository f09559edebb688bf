import { describe, expect, it } from 'vitest';
import { createDownloadReporter } from '../../src/data/index.js';

const MIB = 1024 * 1024;

function reporter(isTTY: boolean) {
  let now = 0;
  let written = '';
  const report = createDownloadReporter({
    isTTY,
    label: 'CIFAR-10',
    write: (text) => {
      written += text;
    },
    clock: () => now,
  });
  return {
    report,
    at: (ms: number) => {
      now = ms;
    },
    written: () => written,
  };
}

describe('createDownloadReporter', () => {
  it('redraws a bar with bytes, rate and ETA on a terminal', () => {
    // Prepare
    const { report, at, written } = reporter(true);
    // Act: 40 of 160 MiB in 4 s is 10 MiB/s, so 12 s are left.
    at(0);
    report.update({ received: 0, total: 160 * MIB, resumedFrom: 0 });
    at(4000);
    report.update({ received: 40 * MIB, total: 160 * MIB, resumedFrom: 0 });
    report.finish();
    // Assess
    const frames = written().split('\r\x1b[2K').filter(Boolean);
    expect(frames[1]).toBe(
      'CIFAR-10 [######..................] 40.0/160.0 MiB 10.0 MiB/s ETA 0:12',
    );
    expect(written().endsWith('\n')).toBe(true);
  });

  it('writes plain lines in a log, at most one per interval, and the last one', () => {
    // Prepare
    const { report, at, written } = reporter(false);
    // Act
    at(0);
    report.update({ received: 50 * MIB, total: 100 * MIB, resumedFrom: 50 * MIB });
    at(1000);
    report.update({ received: 60 * MIB, total: 100 * MIB, resumedFrom: 50 * MIB });
    at(2000);
    report.update({ received: 100 * MIB, total: 100 * MIB, resumedFrom: 50 * MIB });
    report.finish();
    // Assess
    expect(written()).toBe(
      'CIFAR-10: 50.0/100.0 MiB 0.0 MiB/s ETA ? (resumed at 50.0 MiB)\n' +
        'CIFAR-10: 100.0/100.0 MiB 25.0 MiB/s ETA 0:00 (resumed at 50.0 MiB)\n',
    );
    expect(written()).not.toContain('\x1b');
  });
});
