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
  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error', HTTP_ALLOW_PRIVATE: 'true', ...env });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://' });
  await database.migrate();
  const adminKey = `bench-admin-${randomUUID()}`;
  await ensureBootstrapAdmin(database.db, adminKey);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ config, database, connection: nativeConnection, workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows.ts') });
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

export function report(title: string, rows: Array<[string, number[]]>, unit = 'ms'): void {
  console.log(`\n${title}`);
  for (const [name, xs] of rows) {
    const sorted = [...xs].sort((a, b) => a - b);
    console.log(`${name.padEnd(40)} p50 ${percentile(sorted, 50).toFixed(1).padStart(8)} ${unit}   p95 ${percentile(sorted, 95).toFixed(1).padStart(8)} ${unit}   p99 ${percentile(sorted, 99).toFixed(1).padStart(8)} ${unit}   n=${xs.length}`);
  }
  if (rows.length === 2) {
    const [a, b] = rows.map(([, xs]) => [...xs].sort((x, y) => x - y)) as [number[], number[]];
    console.log(`${'ratio (ours / baseline)'.padEnd(40)} p50 ${(percentile(a, 50) / percentile(b, 50)).toFixed(2).padStart(7)}x   p95 ${(percentile(a, 95) / percentile(b, 95)).toFixed(2).padStart(7)}x`);
  }
}
