/**
 * Runs over time (`GET /api/reports/series`): how many runs were created in each hour or day of a range, by status,
 * counted in SQL (date_trunc in UTC over the indexed created_at range) and filled with empty buckets, so a chart
 * draws the quiet hours as zero rather than joining the busy ones.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { RUN_STATUSES, workflowInstances, type RunStatus } from '../../db/schema';
import { runsOf } from './reports';

export const BUCKETS = ['hour', 'day'] as const;
export type Bucket = (typeof BUCKETS)[number];
export const BUCKET_MS: Record<Bucket, number> = { hour: 3600_000, day: 24 * 3600_000 };
/** More points than a chart can show apart: the caller is asked for a coarser bucket or a shorter range. */
export const MAX_BUCKETS = 2000;

export interface SeriesScope {
  tenantId: string;
  from: Date;
  to: Date;
  bucket: Bucket;
  workflowId?: string | undefined;
  clientId?: string | undefined;
}

export interface SeriesPoint {
  /** The bucket's first moment (UTC); it holds runs created in [start, start + bucket). */
  start: string;
  total: number;
  byStatus: Record<RunStatus, number>;
}

/** The first moment of the bucket holding `at`, in UTC. */
export const bucketStart = (at: Date, bucket: Bucket): number =>
  Math.floor(at.getTime() / BUCKET_MS[bucket]) * BUCKET_MS[bucket];

/** How many buckets the range spans. */
export const bucketCount = (from: Date, to: Date, bucket: Bucket): number =>
  Math.floor((to.getTime() - 1 - bucketStart(from, bucket)) / BUCKET_MS[bucket]) + 1;

export async function runSeries(db: Db, scope: SeriesScope): Promise<SeriesPoint[]> {
  const i = workflowInstances;
  // A literal unit: date_trunc's first argument chooses the plan, and only these two are allowed in.
  const unit = sql.raw(`'${scope.bucket === 'hour' ? 'hour' : 'day'}'`);
  const truncated = sql`date_trunc(${unit}, ${i.createdAt} at time zone 'UTC')`;
  // The epoch of a timestamp without time zone counts it as UTC: no driver guesses a zone.
  const start = sql<number>`(extract(epoch from ${truncated}) * 1000)::float8`.mapWith(Number);
  const rows = await db
    .select({
      start,
      ...Object.fromEntries(
        RUN_STATUSES.map((status) => [status, sql<number>`(count(*) filter (where ${i.status} = ${status}))::int`]),
      ),
    })
    .from(i)
    .where(runsOf(scope.tenantId, scope.from, scope.to, scope.workflowId, scope.clientId))
    .groupBy(truncated);
  const counted = new Map<number, Record<string, unknown>>();
  for (const row of rows) counted.set(Math.round(row.start), row);
  const points: SeriesPoint[] = [];
  const first = bucketStart(scope.from, scope.bucket);
  for (let n = 0; n < bucketCount(scope.from, scope.to, scope.bucket); n++) {
    const at = first + n * BUCKET_MS[scope.bucket];
    const row = counted.get(at);
    const byStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, Number(row?.[s] ?? 0)])) as Record<
      RunStatus,
      number
    >;
    points.push({
      start: new Date(at).toISOString(),
      total: Object.values(byStatus).reduce((a, b) => a + b, 0),
      byStatus,
    });
  }
  return points;
}
