/**
 * The series `GET /metrics` answers, in two kinds, because several API processes (and the workers, which finish
 * runs) share one database:
 *
 * - Per process (sum them across instances): `graphflow_http_request_duration_seconds` and
 *   `graphflow_webhook_deliveries_total`, observed as this process answers; plus prom-client's default process
 *   metrics.
 * - Platform-wide, read from the database at each scrape (every process reports the same figure, so take `max`,
 *   never `sum`): `graphflow_runs_started_total`, `graphflow_runs_finished_total{status}` and
 *   `graphflow_approval_decision_seconds`. A per-process counter of these would lie: runs started by schedules and
 *   events, runs finished by workers and approvals decided through another process never pass this one.
 *
 * No series carries a tenant: the figures are the platform's, for its operator.
 */
import { sql } from 'drizzle-orm';
import client, { Counter, Histogram, Registry, type Metric } from 'prom-client';
import type { Db } from '../../db/client';
import { workflowApprovals, workflowInstances } from '../../db/schema';

/** Seconds, from a request answered in milliseconds to an approval that waited a month. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DECISION_BUCKETS = [60, 300, 900, 3600, 4 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400];
const FINISHED = ['completed', 'failed', 'cancelled'] as const;
/** A scrape that waits longer on the database than this reports the database series as missing instead. */
const DATABASE_TIMEOUT_MS = 2000;

/** Default process metrics are the process's: one registry for all apps a process builds (tests build many). */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What a webhook delivery came to, by the status the hook answered (api/routes/hooks.ts). */
export function deliveryResult(statusCode: number): string {
  if (statusCode === 202) return 'started';
  if (statusCode === 200) return 'duplicate';
  if (statusCode === 401) return 'rejected';
  if (statusCode === 404) return 'unknown_hook';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 500) return 'error';
  return 'invalid';
}

export interface AppMetrics {
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  webhookDeliveries: Counter<'result'>;
  /** The text Prometheus reads: this app's series, the database's, and the process's. */
  render(): Promise<{ text: string; contentType: string }>;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface DatabaseFigures {
  runsByStatus: Map<string, number>;
  decisionBuckets: number[];
  decisionCount: number;
  decisionSum: number;
}

async function readDatabaseFigures(db: Db): Promise<DatabaseFigures> {
  const i = workflowInstances;
  const a = workflowApprovals;
  const waitSeconds = sql`extract(epoch from (${a.respondedAt} - ${a.requestedAt}))`;
  const [runs, decisions] = await Promise.all([
    db
      .select({ status: i.status, runs: sql<number>`count(*)::int`.mapWith(Number) })
      .from(i)
      .groupBy(i.status),
    db
      .select({
        count: sql<number>`count(*)::int`.mapWith(Number),
        sum: sql<number>`coalesce(sum(${waitSeconds}), 0)::float8`.mapWith(Number),
        buckets: sql<number[]>`array[${sql.join(
          DECISION_BUCKETS.map((le) => sql`(count(*) filter (where ${waitSeconds} <= ${le}))::int`),
          sql`, `,
        )}]`,
      })
      .from(a)
      // A decision is an outcome chosen by someone: not an approval still open, expired or cancelled with its run.
      .where(sql`${a.status} not in ('pending', 'expired', 'cancelled') and ${a.respondedAt} is not null`),
  ]);
  const row = decisions[0];
  return {
    runsByStatus: new Map(runs.map((r) => [r.status, r.runs])),
    decisionBuckets: (row?.buckets ?? DECISION_BUCKETS.map(() => 0)).map(Number),
    decisionCount: row?.count ?? 0,
    decisionSum: row?.sum ?? 0,
  };
}

/** The database's series, written as prom-client writes its own (a hand-made metric, since the values are read). */
function databaseMetric(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: (figures: DatabaseFigures) => Array<{ value: number; labels?: Record<string, string>; metricName?: string }>,
  figures: () => Promise<DatabaseFigures | undefined>,
): Metric {
  return {
    name,
    help,
    type,
    aggregator: 'max',
    async get() {
      const read = await figures();
      return { name, help, type, aggregator: 'max', values: read ? values(read) : [] };
    },
    reset() {},
  } as unknown as Metric;
}

export function createAppMetrics(db: Db, onDatabaseError: (error: unknown) => void): AppMetrics {
  const registry = new Registry();
  const httpDuration = new Histogram({
    name: 'graphflow_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status (this process).',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'graphflow_webhook_deliveries_total',
    help: 'Webhook deliveries received by this process, by result: started, duplicate, rejected (signature), unknown_hook, invalid, rate_limited, error.',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  // One read of the database per scrape, shared by the series that need it.
  let pending: Promise<DatabaseFigures | undefined> | undefined;
  const figures = () =>
    (pending ??= within(readDatabaseFigures(db), DATABASE_TIMEOUT_MS).catch((error: unknown) => {
      onDatabaseError(error);
      return undefined;
    }));

  registry.registerMetric(
    databaseMetric(
      'graphflow_runs_started_total',
      'Runs started on the platform, every tenant and every process (read from the database: take max, not sum).',
      'counter',
      (f) => [{ value: [...f.runsByStatus.values()].reduce((sum, n) => sum + n, 0) }],
      figures,
    ),
  );
  registry.registerMetric(
    databaseMetric(
      'graphflow_runs_finished_total',
      'Runs finished on the platform, by status (read from the database: take max, not sum).',
      'counter',
      (f) => FINISHED.map((status) => ({ value: f.runsByStatus.get(status) ?? 0, labels: { status } })),
      figures,
    ),
  );
  registry.registerMetric(
    databaseMetric(
      'graphflow_approval_decision_seconds',
      'Time from an approval request to its decision, of every decided approval (read from the database: take max, not sum).',
      'histogram',
      (f) => [
        ...DECISION_BUCKETS.map((le, n) => ({
          metricName: 'graphflow_approval_decision_seconds_bucket',
          labels: { le: String(le) },
          value: f.decisionBuckets[n] ?? 0,
        })),
        { metricName: 'graphflow_approval_decision_seconds_bucket', labels: { le: '+Inf' }, value: f.decisionCount },
        { metricName: 'graphflow_approval_decision_seconds_sum', value: f.decisionSum },
        { metricName: 'graphflow_approval_decision_seconds_count', value: f.decisionCount },
      ],
      figures,
    ),
  );

  return {
    httpDuration,
    webhookDeliveries,
    async render() {
      pending = undefined;
      try {
        const text = await Registry.merge([registry, processMetrics()]).metrics();
        return { text, contentType: registry.contentType };
      } finally {
        pending = undefined;
      }
    },
  };
}
