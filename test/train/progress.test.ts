import { describe, expect, it } from 'vitest';
import { createProgressReporter, etaSeconds, formatDuration } from '../../src/train/progress.js';
import type { EpochStats, TrainOutcome, TrainProgress } from '../../src/train/types.js';

function progress(overrides: Partial<TrainProgress> = {}): TrainProgress {
  return {
    experiment: 'tiny',
    epoch: 1,
    epochs: 3,
    seen: 12_800,
    total: 12_800,
    loss: 1.8234,
    imagesPerSecond: 3200,
    imagesPerEpoch: 50_000,
    ...overrides,
  };
}

const epochOne: EpochStats = {
  epoch: 1,
  loss: 1.52,
  accuracy: 45.3,
  seconds: 15.6,
  images: 50_000,
};

const okOutcome: TrainOutcome = {
  name: 'tiny',
  status: 'ok',
  epochs: [epochOne],
  testAccuracy: 49.87,
  testLoss: 1.4,
  params: 4146,
  seconds: 52.1,
  imagesPerSecond: 2890,
};

/** A reporter writing into a string, with a clock the test moves. */
function recorder(isTTY: boolean) {
  let text = '';
  let now = 0;
  const reporter = createProgressReporter({
    isTTY,
    write: (chunk) => {
      text += chunk;
    },
    clock: () => now,
    columns: 100,
  });
  return {
    reporter,
    text: () => text,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('formatDuration and etaSeconds', () => {
  const table = [
    { description: 'seconds', data: 7, valid: '0:07' },
    { description: 'minutes', data: 245, valid: '4:05' },
    { description: 'hours', data: 3723, valid: '1:02:03' },
    { description: 'unknown', data: Number.NaN, valid: '?' },
  ];

  it.each(table)('formats $description', ({ data, valid }) => {
    // Act
    const text = formatDuration(data);

    // Assess
    expect(text).toBe(valid);
  });

  it('estimates the time left over all epochs at the current rate', () => {
    // Prepare: 150,000 images in all, 12,800 done, 3,200 a second.
    const p = progress();

    // Act
    const eta = etaSeconds(p);

    // Assess
    expect(eta).toBeCloseTo((150_000 - 12_800) / 3200, 9);
    expect(etaSeconds(progress({ imagesPerEpoch: undefined }))).toBeUndefined();
  });
});

describe('createProgressReporter on a terminal', () => {
  it('redraws one bar in place with images/s and the ETA, at most every 100 ms', () => {
    // Prepare
    const { reporter, text, advance } = recorder(true);

    // Act
    reporter.update(progress());
    advance(50);
    reporter.update(progress({ seen: 13_000, total: 13_000 }));
    advance(100);
    reporter.update(progress({ seen: 25_000, total: 25_000 }));

    // Assess
    const frames = text().split('\r\x1b[2K').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(
      /^tiny \[#+\.+\] epoch 1\/3 12800\/50000 loss 1\.8234 3200 img\/s ETA 0:43$/,
    );
    expect(frames[1]).toContain('25000/50000');
    expect(text()).not.toContain('\n');
  });

  it('leaves a line per finished epoch and ends the bar with the outcome', () => {
    // Prepare
    const { reporter, text } = recorder(true);

    // Act
    reporter.update(progress());
    reporter.update(progress({ seen: 50_000, total: 50_000, completedEpoch: epochOne }));
    reporter.finish(okOutcome);

    // Assess
    const lines = text().split('\n');
    expect(lines[0]).toMatch(/tiny: epoch 1\/3 loss 1\.5200 train accuracy 45\.30% \(0:16\)$/);
    expect(lines[1]).toBe('tiny: test accuracy 49.87% (1 epoch in 0:52, 2890 img/s)');
  });
});

describe('createProgressReporter in a log', () => {
  it('writes plain lines: at once, then no more than every 10 s, and per epoch', () => {
    // Prepare
    const { reporter, text, advance } = recorder(false);

    // Act
    reporter.update(progress());
    advance(5_000);
    reporter.update(progress({ seen: 20_000, total: 20_000 }));
    advance(6_000);
    reporter.update(progress({ seen: 30_000, total: 30_000 }));
    reporter.update(progress({ seen: 50_000, total: 50_000, completedEpoch: epochOne }));

    // Assess
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('tiny: epoch 1/3 12800/50000 loss 1.8234 3200 img/s ETA 0:43');
    expect(lines[1]).toContain('30000/50000');
    expect(lines[2]).toContain('epoch 1/3 loss 1.5200');
    expect(text()).not.toContain('\r');
    expect(text()).not.toContain('\x1b');
  });

  it('says why an experiment did not end "ok"', () => {
    // Prepare
    const { reporter, text } = recorder(false);

    // Act
    reporter.finish({
      ...okOutcome,
      status: 'diverged',
      message: 'the training loss became NaN',
      testAccuracy: undefined,
    });

    // Assess
    expect(text()).toBe('tiny: diverged: the training loss became NaN (1 epoch in 0:52)\n');
  });
});
