/**
 * The production topology on one machine: PostgreSQL, a Temporal server that
 * persists to it (SQL visibility), the Web UI, N workers and M APIs, each in a
 * process of its own on loopback. `npm run cluster` (scripts/cluster.ts), the
 * chaos run and the cluster benchmark all start it through `startCluster`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newApiKey } from '../../api/auth';
import { openDatabase } from '../../db/client';
import { freePort } from '../../lib/free-port';
import { workflowsPath } from '../../worker';
import { projectRoot } from '../python-tools';
import { cachedWorkflowBundle } from '../workflow-bundle';
import { type ClusterTools, installClusterTools } from './install';
import { externalPostgres, ownPostgres, type PostgresServer } from './postgres';
import { type ManagedProcess, portOpen, sleep, startProcess } from './process';
import { setupSchema, startTemporalServer, type TemporalServer } from './temporal-server';

/**
 * Workers and APIs run as `npm run worker` and `npm run api` run them: compiled once by esbuild (cached in
 * .data/build/), not transpiled by tsx in every process (whose source maps also made every stack trace in the
 * workflow sandbox dearer: the SDK takes one for each promise a workflow makes).
 */
const compiledRunner = path.join(projectRoot, 'scripts', 'run-compiled.js');

export interface ClusterOptions {
  /** PostgreSQL's data, the logs, the workflow bundle and the admin key live here. */
  dataDir: string;
  workers: number;
  apis: number;
  /** The Temporal frontend's port; the other services take ports after it (deploy/temporal/config/graphflow.yaml). */
  temporalPort: number;
  /** The first API's port; the others follow it. */
  apiPort: number;
  uiPort: number;
  /** Port of the cluster's own PostgreSQL (ignored with `databaseUrl`). */
  postgresPort: number;
  /** A PostgreSQL 12+ server to use instead of one of the cluster's own. */
  databaseUrl?: string;
  ui: boolean;
  namespace?: string;
  /** More environment for the workers and APIs (fake targets' URLs, HTTP_ALLOW_PRIVATE, …). */
  appEnv?: Record<string, string>;
  /** Node's own flags for the workers and APIs, those NODE_OPTIONS refuses (`--cpu-prof`). */
  nodeArgs?: string[];
  /**
   * Another workflows entry for the workers (the cluster benchmark adds its hand-written baseline beside
   * runGraph): bundled once, and run by test/support/worker-process.ts instead of `npm run worker`.
   */
  workflowsEntry?: string;
  log?: (line: string) => void;
}

export interface Cluster {
  options: ClusterOptions;
  tools: ClusterTools;
  postgres: PostgresServer;
  temporal: TemporalServer;
  ui: ManagedProcess | undefined;
  uiUrl: string | undefined;
  workers: ManagedProcess[];
  apis: Array<{ url: string; process: ManagedProcess }>;
  adminKey: string;
  logDir: string;
  /**
   * Starts one more worker (the index names its log file); resolves once it polls. With `bundlePath`, it runs
   * that workflow bundle (another build) through test/support/worker-process.ts.
   */
  startWorker(index: number, options?: { env?: Record<string, string>; bundlePath?: string }): Promise<ManagedProcess>;
  /** Starts (or starts again) the API of this index on its port; resolves once it answers. */
  startApi(index: number): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

/** Temporal keeps each service's membership port (frontend + 100 … + 103) in a smallint column: 32767 at most. */
export const MAX_TEMPORAL_PORT = 32_767 - 103;

/** Free loopback ports for everything (chaos, benchmarks): a Temporal base whose seven derived ports are all free. */
export async function freeClusterPorts(): Promise<
  Pick<ClusterOptions, 'temporalPort' | 'apiPort' | 'uiPort' | 'postgresPort'>
> {
  const offsets = [0, 1, 2, 3, 10, 100, 101, 102, 103];
  for (let tries = 0; tries < 50; tries++) {
    const base = 10_000 + Math.floor(Math.random() * (MAX_TEMPORAL_PORT - 10_000));
    const open = await Promise.all(offsets.map((o) => portOpen('127.0.0.1', base + o)));
    if (open.every((o) => !o))
      return {
        temporalPort: base,
        apiPort: await freePort(),
        uiPort: await freePort(),
        postgresPort: await freePort(),
      };
  }
  throw new Error('no free range of ports for the Temporal server on 127.0.0.1');
}

function adminKeyIn(dataDir: string): string {
  if (process.env.ADMIN_API_KEY) return process.env.ADMIN_API_KEY;
  const file = path.join(dataDir, 'admin-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = newApiKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? ((line: string) => console.error(`[cluster] ${line}`));
  if (options.temporalPort > MAX_TEMPORAL_PORT)
    throw new Error(
      `The Temporal port must be at most ${MAX_TEMPORAL_PORT}: the server stores its membership ports (port + 100 … + 103) as PostgreSQL smallints.`,
    );
  const namespace = options.namespace ?? 'default';
  const dataDir = path.resolve(options.dataDir);
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse())
      await stop().catch((error: unknown) => log(`while stopping: ${String((error as Error).message)}`));
  };
  try {
    log('installing or finding the Temporal server (a build of minutes the first time) …');
    const [tools, bundle] = await Promise.all([
      installClusterTools({ withUi: options.ui }),
      cachedWorkflowBundle(options.workflowsEntry ?? workflowsPath, dataDir),
    ]);

    const postgres = options.databaseUrl
      ? externalPostgres(options.databaseUrl)
      : await ownPostgres(path.join(dataDir, 'postgres'), options.postgresPort);
    if (postgres.owned) stoppers.push(() => postgres.stop('fast'));
    log(`PostgreSQL on ${postgres.host}:${postgres.port}; setting up Temporal's schemas …`);
    await setupSchema(tools, postgres);
    // Migrated once here, so N workers and M APIs do not all queue on the migration lock at start.
    const migrator = await openDatabase({ databaseUrl: postgres.appUrl, poolSize: 1 });
    await migrator.migrate();
    await migrator.close();

    const temporal = await startTemporalServer({ tools, pg: postgres, port: options.temporalPort, namespace, logDir });
    stoppers.push(() => temporal.stop());
    log(`Temporal frontend on ${temporal.address}`);

    let ui: ManagedProcess | undefined;
    let uiUrl: string | undefined;
    if (options.ui && tools.uiServer) {
      ui = startProcess({
        name: 'temporal-ui',
        command: tools.uiServer,
        args: [
          '--root',
          path.join(projectRoot, 'deploy', 'temporal-ui'),
          '--config',
          'config',
          '--env',
          'graphflow',
          'start',
        ],
        env: {
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_UI_IP: '127.0.0.1',
          TEMPORAL_UI_PORT: String(options.uiPort),
          TEMPORAL_DEFAULT_NAMESPACE: namespace,
        },
        logFile: path.join(logDir, 'temporal-ui.log'),
      });
      const started = ui;
      stoppers.push(() => started.stop());
      uiUrl = `http://127.0.0.1:${options.uiPort}`;
    }

    const adminKey = adminKeyIn(dataDir);
    const apiUrl = (index: number) => `http://127.0.0.1:${options.apiPort + index}`;
    const appEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
      DATABASE_URL: postgres.appUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      DATA_DIR: dataDir,
      ADMIN_API_KEY: adminKey,
      PUBLIC_URL: apiUrl(0),
      LOG_LEVEL: 'warn',
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
      ...options.appEnv,
      ...extra,
    });
    const workers: ManagedProcess[] = [];
    const apis: Cluster['apis'] = [];

    const startWorker = async (index: number, only: { env?: Record<string, string>; bundlePath?: string } = {}) => {
      const custom = options.workflowsEntry !== undefined || only.bundlePath !== undefined;
      const worker = startProcess({
        name: `worker-${index}`,
        command: process.execPath,
        args: [
          ...(options.nodeArgs ?? []),
          // As `npm run worker`: the workflow thread without the SDK's promise hook (workflow-thread.cjs).
          '--require',
          path.join(projectRoot, 'workflow-thread.cjs'),
          compiledRunner,
          path.join(projectRoot, ...(custom ? ['test', 'support', 'worker-process.ts'] : ['worker.ts'])),
        ],
        env: appEnv({ ...(custom ? { WORKFLOW_BUNDLE_PATH: only.bundlePath ?? bundle.codePath } : {}), ...only.env }),
        logFile: path.join(logDir, `worker-${index}.log`),
      });
      workers.push(worker);
      await worker.printed(custom ? 'ready' : 'worker polling task queue');
      return worker;
    };
    const startApi = async (index: number) => {
      const api = startProcess({
        name: `api-${index}`,
        command: process.execPath,
        args: [...(options.nodeArgs ?? []), compiledRunner, path.join(projectRoot, 'api', 'server.ts')],
        env: appEnv({ HOST: '127.0.0.1', PORT: String(options.apiPort + index) }),
        logFile: path.join(logDir, `api-${index}.log`),
      });
      const slot = apis.findIndex((a) => a.url === apiUrl(index));
      if (slot >= 0) apis[slot] = { url: apiUrl(index), process: api };
      else apis.push({ url: apiUrl(index), process: api });
      const deadline = Date.now() + 120_000;
      while (!(await answers(`${apiUrl(index)}/healthz`))) {
        if (api.exited()) throw new Error(`api-${index} exited (${api.exited()}); see ${api.logFile}`);
        if (Date.now() > deadline)
          throw new Error(`api-${index} did not answer on ${apiUrl(index)} within 120 s; see ${api.logFile}`);
        await sleep(250);
      }
      return api;
    };
    stoppers.push(async () => {
      await Promise.all([...workers, ...apis.map((a) => a.process)].map((p) => p.stop()));
    });

    log(`starting ${options.workers} worker(s) and ${options.apis} API(s) …`);
    await Promise.all([
      ...Array.from({ length: options.workers }, (_, i) => startWorker(i)),
      ...Array.from({ length: options.apis }, (_, i) => startApi(i)),
    ]);
    return {
      options,
      tools,
      postgres,
      temporal,
      ui,
      uiUrl,
      workers,
      apis,
      adminKey,
      logDir,
      startWorker,
      startApi,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
