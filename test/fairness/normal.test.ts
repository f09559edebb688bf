import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  chiSquareQuantile,
  mean,
  normalCdf,
  normalQuantile,
  quantile,
  rateUpperBound,
  sampleSd,
  sdUpperBound,
  simpson,
} from '../../src/fairness/index.js';

describe('normal-noise arithmetic', () => {
  it.each([
    [-3, 0.0013498980316301],
    [-1.96, 0.0249978951482204],
    [0, 0.5],
    [1, 0.8413447460685429],
    [2.326347874040841, 0.99],
  ])('Φ(%f) matches the tabulated value', (x, expected) => {
    // Prepare / Act
    const value = normalCdf(x);
    // Assess
    expect(value).toBeCloseTo(expected, 12);
  });

  it('Φ⁻¹ inverts Φ across the range, tails included', () => {
    // Prepare
    const probabilities = [1e-9, 1e-4, 0.01, 0.02425, 0.3, 0.5, 0.9, 0.99, 1 - 1e-6];
    // Act
    const roundTrips = probabilities.map((p) => normalCdf(normalQuantile(p)));
    // Assess
    roundTrips.forEach((back, i) => {
      expect(back / (probabilities[i] as number)).toBeCloseTo(1, 8);
    });
  });

  it('the Wilson–Hilferty chi-square quantile is within 1% of the table from 10 df up', () => {
    // Prepare: 5% quantiles from statistical tables.
    const table: Array<[number, number]> = [
      [10, 3.9403],
      [16, 7.9616],
      [30, 18.4927],
    ];
    // Act / Assess
    for (const [df, expected] of table) {
      expect(Math.abs(chiSquareQuantile(0.05, df) / expected - 1)).toBeLessThan(0.01);
    }
  });

  it('the upper bound on a standard deviation is above the estimate and tightens with df', () => {
    // Prepare / Act
    const few = sdUpperBound(1.5, 4);
    const many = sdUpperBound(1.5, 40);
    // Assess
    expect(few).toBeGreaterThan(many);
    expect(many).toBeGreaterThan(1.5);
  });

  it('mean, sample sd and Simpson integration agree with hand arithmetic', () => {
    // Prepare
    const values = [48.2, 49.1, 50.3];
    // Act
    const m = mean(values);
    const sd = sampleSd(values);
    const area = simpson((x) => x * x, 0, 3, 10);
    // Assess
    expect(m).toBeCloseTo(49.2, 10);
    expect(sd).toBeCloseTo(Math.sqrt((1 + 0.01 + 1.21) / 2), 10);
    expect(area).toBeCloseTo(9, 10);
  });

  it('the binomial CDF sums the exact probabilities', () => {
    // Prepare / Act / Assess: 3 fair coins, at most one head: (1 + 3) / 8.
    expect(binomialCdf(1, 3, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialCdf(0, 10, 0.1)).toBeCloseTo(0.9 ** 10, 12);
    expect(binomialCdf(5, 5, 0.3)).toBe(1);
  });

  it('the upper bound on a rate is the Clopper–Pearson one', () => {
    // Prepare / Act
    const none = rateUpperBound(0, 60);
    const one = rateUpperBound(1, 60);
    // Assess: with no events it has the closed form 1 − 0.05^(1/n); with one, seeing at most one
    // event at the bound has probability 5%.
    expect(none).toBeCloseTo(1 - 0.05 ** (1 / 60), 9);
    expect(binomialCdf(1, 60, one)).toBeCloseTo(0.05, 9);
    expect(one).toBeGreaterThan(none);
    expect(rateUpperBound(60, 60)).toBe(1);
  });
});

describe('quantile', () => {
  it.each([
    // R: quantile(c(1, 2, 3, 4), c(0, 0.5, 0.99, 1), type = 7) gives 1, 2.5, 3.97, 4.
    { values: [4, 1, 3, 2], q: 0, expected: 1 },
    { values: [4, 1, 3, 2], q: 0.5, expected: 2.5 },
    { values: [4, 1, 3, 2], q: 0.99, expected: 3.97 },
    { values: [4, 1, 3, 2], q: 1, expected: 4 },
    { values: [7], q: 0.99, expected: 7 },
  ])('gives the $q-quantile of $values as R type 7 does: $expected', ({ values, q, expected }) => {
    // Act
    const value = quantile(values, q);
    // Assess
    expect(value).toBeCloseTo(expected, 12);
  });

  it('refuses no values', () => {
    // Assess
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });
});
