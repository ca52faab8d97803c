/**
 * The duration histogram stored period reports keep (reports/period-metrics.ts): fixed log-scale buckets, so
 * histograms of different days add up exactly and a percentile over many days can still be told.
 *
 * Bucket k holds the durations v (ms) with 1.1^k ≤ v + 1 < 1.1^(k+1): 10% wide, about 270 buckets from 0 ms to a
 * year. A percentile is estimated as percentile_cont would interpolate it, with each order statistic read as its
 * bucket's geometric middle (1.1^(k+½) − 1). The estimate is then within 4.9% of (the exact figure + 1 ms): each
 * middle is within a factor √1.1 of every (v + 1) in its bucket, and an interpolation between two such readings keeps
 * the bound.
 */
import { sql, type SQL } from 'drizzle-orm';

const BASE = 1.1;
/** The relative error bound of an estimated percentile, on (figure + 1 ms): √1.1 − 1. */
export const ESTIMATE_ERROR = Math.sqrt(BASE) - 1;

/** Bucket → how many durations fell in it (JSON keys are text). */
export type Histogram = Record<string, number>;

/** The bucket of a duration in ms, in SQL; a negative duration (clock skew) counts as 0. */
export const bucketOf = (durationMs: SQL): SQL<number> =>
  sql<number>`floor(ln(greatest(${durationMs}, 0) + 1) / ln(${sql.raw(String(BASE))}))::int`.mapWith(Number);

export function addInto(target: Histogram, source: Histogram): Histogram {
  for (const [bucket, n] of Object.entries(source)) target[bucket] = (target[bucket] ?? 0) + n;
  return target;
}

export const countOf = (histogram: Histogram): number => Object.values(histogram).reduce((sum, n) => sum + n, 0);

/** The estimated percentile (0 < p < 1) in ms, rounded; null for an empty histogram. */
export function estimatePercentile(histogram: Histogram, p: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([bucket, n]) => [Number(bucket), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return null;
  const position = p * (total - 1);
  const valueAt = (rank: number): number => {
    let seen = 0;
    for (const [bucket, n] of buckets) {
      seen += n;
      if (rank < seen) return BASE ** (bucket + 0.5) - 1;
    }
    return BASE ** (buckets[buckets.length - 1]![0] + 0.5) - 1;
  };
  const low = valueAt(Math.floor(position));
  const high = valueAt(Math.ceil(position));
  return Math.round(low + (position - Math.floor(position)) * (high - low));
}
