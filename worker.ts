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
import { attemptInterceptor } from './activities/attempt-interceptor';
import { loadConfig, secretKeysOf, type Config } from './config';
import type { Database } from './db/client';
import { startEventRuns } from './runs/events';
import { cachedWorkflowBundle } from './scripts/workflow-bundle';

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

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const { config } = deps;
  const temporal = new Client({ connection: deps.connection, namespace: config.temporal.namespace });
  const runDeps = { db: deps.database.db, temporal, config };
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
    ...deps.options,
  });
}

let loggerInstalled = false;
/** Keeps the SDK's own log at warnings (its info lines drown the platform's on a console) and leaves signals to us. */
export function installTemporalRuntime(level: 'warn' | 'error' = 'warn'): void {
  if (loggerInstalled) return;
  loggerInstalled = true;
  try {
    // shutdownSignals: [] — main.ts and `npm run worker` stop the worker themselves, in order.
    Runtime.install({
      shutdownSignals: [],
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
  installTemporalRuntime();
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
  await connection.close();
  await database.close();
}
