/**
 * Normal-distribution arithmetic for the fairness policies: pure, no dependencies.
 * Φ is Hart's double-precision algorithm (as published by West, 2005), accurate to about 1e-15;
 * Φ⁻¹ is Acklam's rational approximation polished by one Halley step against that Φ.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** The standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** Φ(x), the standard normal cumulative distribution function. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  let tail: number;
  if (a > 37) {
    tail = 0;
  } else {
    const e = Math.exp(-0.5 * a * a);
    if (a < 7.07106781186547) {
      let n = 3.52624965998911e-2 * a + 0.700383064443688;
      n = n * a + 6.37396220353165;
      n = n * a + 33.912866078383;
      n = n * a + 112.079291497871;
      n = n * a + 221.213596169931;
      n = n * a + 220.206867912376;
      let d = 8.83883476483184e-2 * a + 1.75566716318264;
      d = d * a + 16.064177579207;
      d = d * a + 86.7807322029461;
      d = d * a + 296.564248779674;
      d = d * a + 637.333633378831;
      d = d * a + 793.826512519948;
      d = d * a + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let d = a + 0.65;
      d = a + 4 / d;
      d = a + 3 / d;
      d = a + 2 / d;
      d = a + 1 / d;
      tail = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
] as const;
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
] as const;
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
] as const;
const D = [
  7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416,
] as const;
const P_LOW = 0.02425;

/** Φ⁻¹(p) for 0 < p < 1; ±Infinity at 0 and 1. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability must lie in [0, 1], not ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  // One Halley step brings Acklam's 1e-9 relative error to double precision.
  const e = normalCdf(x) - p;
  const u = e * SQRT_2PI * Math.exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

/** P(|N(mean, sd²)| ≤ limit): the chance a normal figure lands within ±limit of zero. */
export function probabilityWithin(limit: number, mean: number, sd: number): number {
  if (sd <= 0) return Math.abs(mean) <= limit ? 1 : 0;
  return normalCdf((limit - mean) / sd) - normalCdf((-limit - mean) / sd);
}

/**
 * The p-quantile of the chi-square distribution with df degrees of freedom, by the
 * Wilson–Hilferty cube-root approximation (a few percent off below 5 df, close above 10).
 */
export function chiSquareQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, not ${df}`);
  const z = normalQuantile(p);
  const c = 2 / (9 * df);
  return df * Math.max(0, 1 - c + z * Math.sqrt(c)) ** 3;
}

/**
 * A one-sided upper confidence bound on a normal standard deviation from a sample (or pooled)
 * standard deviation with df degrees of freedom: sd·√(df / χ²_{1−confidence}(df)).
 */
export function sdUpperBound(sd: number, df: number, confidence = 0.95): number {
  return sd * Math.sqrt(df / chiSquareQuantile(1 - confidence, df));
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the mean of no values is undefined');
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('the median of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics (R's type 7). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('the quantile of no values is undefined');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return (
    (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low)
  );
}

/**
 * The standard deviation estimated from the median absolute deviation (× 1.4826, which makes it
 * the sd for normal data): one run that collapsed with its seed does not inflate it.
 */
export function robustSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const centre = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - centre)));
}

/** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** P(X ≤ x) for X ~ Binomial(n, p), summed in log space so large n stays finite. */
export function binomialCdf(x: number, n: number, p: number): number {
  if (x >= n || p <= 0) return 1;
  if (x < 0 || p >= 1) return 0;
  let logTerm = n * Math.log1p(-p); // P(X = 0)
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= x; i += 1) {
    logTerm += Math.log((n - i + 1) / i) + Math.log(p) - Math.log1p(-p);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/**
 * One-sided upper confidence bound on a rate from x events in n trials (Clopper–Pearson): the p
 * at which seeing x or fewer would happen only 1 − confidence of the time. Found by bisection.
 */
export function rateUpperBound(x: number, n: number, confidence = 0.95): number {
  if (n <= 0) throw new RangeError(`a rate needs at least one trial, not ${n}`);
  if (x >= n) return 1;
  let low = x / n;
  let high = 1;
  for (let i = 0; i < 60; i += 1) {
    const middle = (low + high) / 2;
    if (binomialCdf(x, n, middle) > 1 - confidence) low = middle;
    else high = middle;
  }
  return high;
}

/** Composite Simpson's rule over [a, b] with an even number of intervals. */
export function simpson(f: (x: number) => number, a: number, b: number, intervals: number): number {
  if (b <= a) return 0;
  const n = Math.max(2, intervals + (intervals % 2));
  const h = (b - a) / n;
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i += 1) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}
