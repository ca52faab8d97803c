/**
 * The worker: runs `runGraph` and the activities on the task queue.
 * `npm run worker` runs it alone against shared services; main.ts runs it
 * beside the API.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities } from './activities';
import { ensurePeriodReportSchedule } from './reports/schedule';
import { attemptInterceptor } from './activities/attempt-interceptor';
import { ConfigError, loadConfig, secretKeysOf, type Config } from './config';
import type { Database } from './db/client';
import { startEventRuns } from './runs/events';
import { cachedWorkflowBundle } from './scripts/workflow-bundle';
import {
  freeLoopbackAddress,
  startWorkerMetrics,
  workerMetricsSettings,
  type WorkerMetricsServer,
  type WorkerMetricsSettings,
} from './worker-metrics';

export const workflowsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows', 'index.ts');

export interface WorkerDeps {
  config: Config;
  database: Database;
  connection: NativeConnection;
  /** A prebuilt bundle (tests share one); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Another workflows entry (benchmarks add their baselines beside runGraph). */
  workflowsPath?: string;
  /** Worker options over the defaults (a test's worker process shortens the sticky-queue timeout). */
  options?: Partial<WorkerOptions>;
}

/**
 * WORKER_MAX_CACHED_RUNS: how many runs the worker keeps in memory between their tasks (the SDK's sticky cache).
 * The SDK's default grows with the heap limit (about 2,300 runs on a 4 GB heap). A cached run costs about 0.42 MB
 * since zod left the workflow bundle (3.7 MB before): a worker holding 1,000 waiting runs, all cached, is 563 MB
 * (`npm run bench waiting-runs` with WORKER_MAX_CACHED_RUNS=1000). A run evicted from the cache is replayed from its
 * history on its next task: that replay is most of what a busy worker spends when the runs in flight outnumber the
 * cache (at 50, the cluster bench's 150 runs in flight cost the workers 131 ms of CPU a run; at 400, 96 ms).
 * 250 keeps a batch of a few hundred runs in flight cached and a worker near 250 MB holding 1,000 waiting runs.
 */
export const DEFAULT_MAX_CACHED_RUNS = 250;
export function maxCachedRuns(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.WORKER_MAX_CACHED_RUNS;
  if (given === undefined || given === '') return DEFAULT_MAX_CACHED_RUNS;
  const n = Number(given);
  if (!Number.isInteger(n) || (n !== 0 && n < 2) || n > 100_000)
    throw new ConfigError(
      `Invalid configuration:\n  WORKER_MAX_CACHED_RUNS: must be 0 (no cache) or a whole number from 2 to 100000, not "${given}"`,
    );
  return n;
}

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const { config } = deps;
  const temporal = new Client({ connection: deps.connection, namespace: config.temporal.namespace });
  const runDeps = { db: deps.database.db, temporal, config };
  // Not fatal: the worker's runs matter more than tonight's period reports (the next worker start tries again).
  await ensurePeriodReportSchedule(temporal, config.temporal.taskQueue).catch((error: unknown) =>
    console.warn(`[worker] the period reports schedule could not be created: ${(error as Error).message}`),
  );
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: deps.workflowsPath ?? workflowsPath }),
    activities: createActivities({
      db: deps.database.db,
      messaging: {
        publicUrl: config.publicUrl,
        httpAllowPrivate: config.httpAllowPrivate,
        smtpUrl: config.smtpUrl,
        smtpFrom: config.smtpFrom,
        slackToken: config.slack.token,
        slackApiUrl: config.slack.apiUrl,
      },
      maxInlineOutputBytes: config.maxInlineOutputBytes,
      httpAllowPrivate: config.httpAllowPrivate,
      secretKeys: secretKeysOf(config),
      emitEvent: (tenantId, name, payload, key) =>
        startEventRuns(runDeps, { tenantId, userId: null }, name, payload, key),
    }),
    // Names the attempt on each activity failure: a failed step shows how many attempts it really took.
    interceptors: { activity: [attemptInterceptor] },
    maxCachedWorkflows: maxCachedRuns(),
    ...deps.options,
  });
}

let loggerInstalled = false;
/**
 * Keeps the SDK's own log at warnings (its info lines drown the platform's on a console) and leaves signals to us.
 * With `metricsAddress`, the SDK core exports its metrics in Prometheus text there (worker-metrics.ts serves them).
 */
export function installTemporalRuntime(level: 'warn' | 'error' = 'warn', metricsAddress?: string): void {
  if (loggerInstalled) return;
  loggerInstalled = true;
  try {
    // shutdownSignals: [] — main.ts and `npm run worker` stop the worker themselves, in order.
    Runtime.install({
      shutdownSignals: [],
      ...(metricsAddress
        ? {
            telemetryOptions: {
              metrics: {
                // Prometheus's own conventions: counters end in _total, durations are in seconds.
                prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true },
              },
            },
          }
        : {}),
      logger: new (class {
        log() {}
        trace() {}
        debug() {}
        info() {}
        warn(message: string, meta?: unknown) {
          if (level === 'warn') console.warn(`[worker] ${message}`, meta ?? '');
        }
        error(message: string, meta?: unknown) {
          console.error(`[worker] ${message}`, meta ?? '');
        }
      })(),
    });
  } catch {
    // Already installed by someone else: keep theirs.
  }
}

/**
 * Installs the SDK runtime and, when WORKER_METRICS_PORT is set, has its core export metrics on a loopback port of its
 * own that worker-metrics.ts reads and serves (with the process's series, behind METRICS_TOKEN).
 */
export async function installRuntimeWithMetrics(
  settings: WorkerMetricsSettings | undefined,
): Promise<WorkerMetricsServer | undefined> {
  if (!settings) {
    installTemporalRuntime();
    return undefined;
  }
  const coreAddress = await freeLoopbackAddress();
  installTemporalRuntime('warn', coreAddress);
  return startWorkerMetrics(settings, coreAddress);
}

// `npm run worker`
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { openDatabase } = await import('./db/client');
  const config = loadConfig();
  if (!config.temporal.address || !config.databaseUrl) {
    console.error(
      'npm run worker runs against shared services: set TEMPORAL_ADDRESS and DATABASE_URL (or use `npm start`, which runs everything in one process).',
    );
    process.exit(2);
  }
  const metrics = await installRuntimeWithMetrics(workerMetricsSettings());
  if (metrics) console.log(`worker metrics at ${metrics.url}`);
  const database = await openDatabase({ databaseUrl: config.databaseUrl });
  await database.migrate();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // A read-only image has nowhere to keep the bundle: then it is made in this process, as before.
  const bundle = await cachedWorkflowBundle(workflowsPath, config.dataDir).catch((error: unknown) => {
    console.warn(
      `The workflow bundle could not be cached in ${config.dataDir} (${String((error as Error).message).split('\n')[0]}); bundling in this process.`,
    );
    return undefined;
  });
  const worker = await createWorker({
    config,
    database,
    connection,
    ...(bundle ? { workflowBundle: { codePath: bundle.codePath } } : {}),
  });
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`worker polling task queue "${config.temporal.taskQueue}" at ${config.temporal.address}`);
  await worker.run();
  await metrics?.close();
  await connection.close();
  await database.close();
}
