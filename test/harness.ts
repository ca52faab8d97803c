/**
 * One test file's world: a database (DATABASE_URL's, or an in-memory embedded
 * one), a fresh tenant with an admin key, a worker on a task queue of its own
 * (using the shared bundle), and the API built on top. Everything is real.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import { buildApp } from '../api/app';
import { hashKey, newApiKey } from '../api/auth';
import { loadConfig, type Config } from '../config';
import { type Database, openDatabase } from '../db/client';
import { apiKeys, tenants, users } from '../db/schema';
import { createWorker, installTemporalRuntime } from '../worker';

export interface TenantFixture {
  tenantId: string;
  adminKey: string;
  adminUserId: string;
}

export interface Harness {
  app: FastifyInstance;
  database: Database;
  temporal: Client;
  config: Config;
  worker: Worker;
  tenant: TenantFixture;
  /** Stops the worker (as a crash or a deploy would) and starts a fresh one on the same task queue. */
  restartWorker(): Promise<void>;
  /** Makes another tenant with its own admin key. */
  newTenant(name?: string): Promise<TenantFixture>;
  /** A user with these roles in a tenant, and a key for it. */
  newUser(tenant: TenantFixture, roles: string[]): Promise<{ userId: string; key: string }>;
  api(key: string, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** false: no worker in this process (the test runs one elsewhere, e.g. in a child process it can kill). */
  inProcessWorker?: boolean;
  /** The API logs here, at LOG_LEVEL, with its production settings (otherwise the API does not log). */
  logStream?: { write(line: string): void };
}

export async function createHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  installTemporalRuntime('error');
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    HTTP_ALLOW_PRIVATE: 'true',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://', poolSize: 5 });
  // DATABASE_URL's database was migrated once by the global setup.
  if (database.kind === 'embedded') await database.migrate();

  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address! });
  const makeWorker = () =>
    createWorker({
      config,
      database,
      connection: nativeConnection,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
  const inProcess = options.inProcessWorker ?? true;
  let worker = inProcess ? await makeWorker() : undefined;
  let workerRun = worker?.run() ?? Promise.resolve();
  const connection = await Connection.connect({ address: config.temporal.address! });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({
    config,
    database,
    temporal,
    ...(options.logStream
      ? { logStream: options.logStream }
      : { logger: process.env.TEST_LOG ? { level: 'error' } : false }),
  });

  const newTenant = async (name = `tenant-${randomUUID().slice(0, 8)}`): Promise<TenantFixture> => {
    const tenant = (await database.db.insert(tenants).values({ name }).returning())[0]!;
    const admin = (
      await database.db
        .insert(users)
        .values({ tenantId: tenant.id, email: 'admin@example.com', name: 'Admin', roles: ['admin'] })
        .returning()
    )[0]!;
    const adminKey = newApiKey();
    await database.db
      .insert(apiKeys)
      .values({ tenantId: tenant.id, userId: admin.id, keyHash: hashKey(adminKey), prefix: adminKey.slice(0, 8) });
    return { tenantId: tenant.id, adminKey, adminUserId: admin.id };
  };
  const newUser = async (tenant: TenantFixture, roles: string[]) => {
    const user = (
      await database.db
        .insert(users)
        .values({ tenantId: tenant.tenantId, email: `${randomUUID()}@example.com`, name: 'User', roles })
        .returning()
    )[0]!;
    const key = newApiKey();
    await database.db
      .insert(apiKeys)
      .values({ tenantId: tenant.tenantId, userId: user.id, keyHash: hashKey(key), prefix: key.slice(0, 8) });
    return { userId: user.id, key };
  };

  return {
    app,
    database,
    temporal,
    config,
    get worker() {
      if (!worker) throw new Error('this harness runs no worker in process');
      return worker;
    },
    async restartWorker() {
      if (!worker) throw new Error('this harness runs no worker in process');
      worker.shutdown();
      await workerRun;
      worker = await makeWorker();
      workerRun = worker.run();
    },
    tenant: await newTenant(),
    newTenant,
    newUser,
    api: (key, options) =>
      app.inject({ ...options, headers: { authorization: `Bearer ${key}`, ...(options.headers ?? {}) } }),
    async close() {
      await app.close();
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      await connection.close();
      await nativeConnection.close();
      await database.close();
    },
  };
}

/** Waits for a run's workflow to close (whatever its outcome); the projection is written before it closes. */
export async function settled(harness: Harness, runId: string): Promise<void> {
  await harness.temporal.workflow
    .getHandle(runId)
    .result()
    .catch(() => undefined);
}

/**
 * Waits until `probe` returns something truthy (a step appearing, an approval being requested); the test's own timeout
 * bounds it.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, intervalMs = 50): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Creates a workflow with `definition`, publishes it and starts a run with `input` as the tenant's admin: its run id.
 */
export async function publishAndRun(
  harness: Harness,
  name: string,
  definition: object,
  input: unknown,
): Promise<string> {
  const key = harness.tenant.adminKey;
  const created = await harness.api(key, { method: 'POST', url: '/api/workflows', payload: { name, definition } });
  const id = created.json().id as string;
  const published = await harness.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
  if (published.statusCode !== 201) throw new Error(`publish answered ${published.statusCode}: ${published.body}`);
  return (await harness.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input } })).json()
    .runId as string;
}

/** Every Temporal execution of a run id (one more each time it continued as new), oldest first. */
export async function generationsOf(
  harness: Harness,
  runId: string,
): Promise<Array<{ runId: string; historyLength: number }>> {
  const executions: Array<{ runId: string; historyLength: number }> = [];
  for await (const execution of harness.temporal.workflow.list({ query: `WorkflowId = "${runId}"` })) {
    executions.push({ runId: execution.runId, historyLength: execution.historyLength });
  }
  return executions.reverse();
}
