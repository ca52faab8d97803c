/**
 * One world for the benchmarks: a Temporal dev server of their own (in memory,
 * on a free port), the database (DATABASE_URL's, else embedded in memory), a
 * worker whose bundle holds runGraph and the hand-written baselines, and the
 * API. Baselines and our path run on the same servers in the same process.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app';
import { ensureBootstrapAdmin } from '../api/auth';
import { type Config, loadConfig } from '../config';
import { type Database, openDatabase } from '../db/client';
import { startDevServer } from '../scripts/temporal';
import { freePort } from '../test/global-setup';
import { createWorker, installTemporalRuntime } from '../worker';

/** `npm run bench -- --quick` (or BENCH_QUICK=1): tiny sizes, to prove every bench still runs, not to measure. */
export const QUICK = process.env.BENCH_QUICK === '1';

/** A failure and its causes on one line (a workflow's failure wraps the activity's, which wraps the real reason). */
export function failureMessage(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 6; e = e.cause) parts.push(e.message);
  return parts.filter(Boolean).join(': ') || String(error);
}

export interface BenchEnvironment {
  config: Config;
  database: Database;
  client: Client;
  app: FastifyInstance;
  auth: { authorization: string };
  taskQueue: string;
  close(): Promise<void>;
}

export async function startBenchEnvironment(env: Record<string, string> = {}): Promise<BenchEnvironment> {
  installTemporalRuntime('error');
  const server = await startDevServer({ port: await freePort(), headless: true });
  const taskQueue = `bench-${randomUUID()}`;
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'error',
    HTTP_ALLOW_PRIVATE: 'true',
    ...env,
  });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://' });
  await database.migrate();
  const adminKey = `bench-admin-${randomUUID()}`;
  await ensureBootstrapAdmin(database.db, adminKey);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    config,
    database,
    connection: nativeConnection,
    workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows.ts'),
  });
  const workerRun = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const app = await buildApp({ config, database, temporal: client, logger: false });
  return {
    config,
    database,
    client,
    app,
    auth: { authorization: `Bearer ${adminKey}` },
    taskQueue,
    async close() {
      await app.close();
      worker.shutdown();
      await workerRun;
      await connection.close();
      await nativeConnection.close();
      await database.close();
      await server.stop();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Prints p50/p95/p99 of each row; the last row is the baseline, and every other row gets its ratio to it. */
export function report(title: string, rows: Array<[string, number[]]>, unit = 'ms'): void {
  console.log(`\n${title}`);
  const sorted = rows.map(([name, xs]) => [name, [...xs].sort((a, b) => a - b)] as const);
  for (const [name, xs] of sorted) {
    console.log(
      `${name.padEnd(40)} p50 ${percentile(xs, 50).toFixed(1).padStart(8)} ${unit}   p95 ${percentile(xs, 95).toFixed(1).padStart(8)} ${unit}   p99 ${percentile(xs, 99).toFixed(1).padStart(8)} ${unit}   n=${xs.length}`,
    );
  }
  const base = sorted.at(-1)![1];
  for (const [name, xs] of sorted.slice(0, -1)) {
    const label = sorted.length === 2 ? 'ratio (ours / baseline)' : `ratio: ${name}`;
    console.log(
      `${label.slice(0, 40).padEnd(40)} p50 ${(percentile(xs, 50) / percentile(base, 50)).toFixed(2).padStart(7)}x   p95 ${(percentile(xs, 95) / percentile(base, 95)).toFixed(2).padStart(7)}x`,
    );
  }
}
