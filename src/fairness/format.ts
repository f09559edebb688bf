/** A rate as a percentage for messages and docs: 0.0083 → "0.83%"; tiny ones → "< 0.01%". */
export function formatRate(rate: number): string {
  if (rate > 0 && rate < 0.0001) return '< 0.01%';
  return `${(rate * 100).toFixed(2)}%`;
}

/** Seeds as a student reads them: a run of consecutive ones as "42–44", others listed. */
export function formatSeeds(seeds: readonly number[]): string {
  if (seeds.length === 0) return '';
  const first = seeds[0] as number;
  const consecutive = seeds.every((s, i) => s === first + i);
  if (consecutive && seeds.length > 1) return `${first}–${first + seeds.length - 1}`;
  return seeds.join(', ');
}

/**
 * The mean of several runs with their spread: "49.10% ± 1.80 over 3 runs (seeds 42–44)", and
 * the runs left out as collapsed: "…(seeds 42, 44, 45; seed 43 collapsed to 31.20%, 12.10 pp
 * below the runs' median, and is left out)".
 */
export function formatReproduced(figures: {
  mean: number;
  sd: number;
  seeds: readonly number[];
  leftOut?: ReadonlyArray<{ seed: number; test_accuracy: number; below_median: number }>;
}): string {
  const n = figures.seeds.length;
  const leftOut = (figures.leftOut ?? []).map(
    (r) =>
      `seed ${r.seed} collapsed to ${r.test_accuracy.toFixed(2)}%, ${r.below_median.toFixed(2)} pp below the runs' median, and is left out`,
  );
  const note = leftOut.length > 0 ? `; ${leftOut.join('; ')}` : '';
  return `${figures.mean.toFixed(2)}% ± ${figures.sd.toFixed(2)} over ${n} run${n === 1 ? '' : 's'} (seed${n === 1 ? '' : 's'} ${formatSeeds(figures.seeds)}${note})`;
}
