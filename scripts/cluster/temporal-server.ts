/**
 * The Temporal server of the cluster: its PostgreSQL schemas set up by
 * deploy/temporal/setup-schema.sh, the server started from
 * deploy/temporal/config/graphflow.yaml (all four services in one process),
 * and the namespace made ready: created if missing, the platform's search
 * attributes registered, 30 days' retention.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../python-tools';
import { findTemporalCli, prepareNamespace } from '../temporal';
import { cacheDir, type ClusterTools } from './install';
import type { PostgresServer } from './postgres';
import { type ManagedProcess, portOpen, sleep, startProcess } from './process';

const run = promisify(execFile);

export const TEMPORAL_CONFIG_ROOT = path.join(projectRoot, 'deploy', 'temporal');

/** What deploy/temporal/config/graphflow.yaml and setup-schema.sh read. */
function serverEnvironment(pg: PostgresServer, port: number): Record<string, string> {
  return {
    POSTGRES_HOST: pg.host,
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PASSWORD: pg.password,
    TEMPORAL_PORT: String(port),
    TEMPORAL_BIND_IP: '127.0.0.1',
    TEMPORAL_DYNAMIC_CONFIG: path.join(TEMPORAL_CONFIG_ROOT, 'dynamicconfig', 'graphflow.yaml'),
    TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL ?? 'warn',
  };
}

/** Creates Temporal's databases if need be and applies the schema steps the server's version needs. */
export async function setupSchema(tools: ClusterTools, pg: PostgresServer): Promise<void> {
  await run('sh', [path.join(TEMPORAL_CONFIG_ROOT, 'setup-schema.sh')], {
    env: {
      ...process.env,
      ...serverEnvironment(pg, 0),
      TEMPORAL_SQL_TOOL: tools.sqlTool,
      TEMPORAL_SCHEMA_DIR: tools.schemaDir,
    },
    timeout: 300_000,
  });
}

export interface TemporalServer {
  address: string;
  /** The server process now (a new one after each `restart`). */
  current(): ManagedProcess;
  /** Starts the server again after a kill, on the same databases and ports; resolves once it serves. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Temporal CLI (operator commands): TEMPORAL_CLI, else the one .ci/run caches,
 * else scripts/temporal.ts finds or installs one.
 */
async function temporalCli(): Promise<string> {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const cached = path.join(cacheDir(), 'temporal');
  return existsSync(cached) ? cached : findTemporalCli();
}

async function cli(args: string[]): Promise<string> {
  const { stdout } = await run(await temporalCli(), args, { timeout: 30_000 });
  return stdout;
}

/** Waits until the frontend answers a real call (it accepts connections before its services have joined). */
async function waitServing(address: string, deadline: number, proc: ManagedProcess): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    if (proc.exited()) throw new Error(`the Temporal server exited (${proc.exited()}); see ${proc.logFile}`);
    const [host, port] = address.split(':');
    if (await portOpen(host!, Number(port))) {
      try {
        await cli(['operator', 'cluster', 'health', '--address', address]);
        return;
      } catch (error) {
        last = String((error as Error).message).split('\n')[0] ?? '';
      }
    }
    await sleep(500);
  }
  throw new Error(`the Temporal server did not serve on ${address} in time (${last}); see ${proc.logFile}`);
}

async function ensureNamespace(address: string, namespace: string): Promise<void> {
  try {
    await cli(['operator', 'namespace', 'describe', '--namespace', namespace, '--address', address]);
    return;
  } catch {
    // Missing on a fresh database: created below.
  }
  await cli(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '720h', '--address', address]);
}

export async function startTemporalServer(options: {
  tools: ClusterTools;
  pg: PostgresServer;
  port: number;
  namespace: string;
  logDir: string;
  readyTimeoutMs?: number;
}): Promise<TemporalServer> {
  const { tools, pg, port } = options;
  const address = `127.0.0.1:${port}`;
  const spawnServer = () =>
    startProcess({
      name: 'temporal-server',
      command: tools.server,
      args: ['--root', TEMPORAL_CONFIG_ROOT, '--config', 'config', '--env', 'graphflow', '--allow-no-auth', 'start'],
      env: serverEnvironment(pg, port),
      logFile: path.join(options.logDir, 'temporal-server.log'),
    });
  let proc = spawnServer();
  const readyTimeout = options.readyTimeoutMs ?? 180_000;
  await waitServing(address, Date.now() + readyTimeout, proc);
  const deadline = Date.now() + readyTimeout;
  await ensureNamespace(address, options.namespace);
  // A new namespace reaches every service's cache within seconds: prepareNamespace retries until then.
  // Search attributes registered before (an existing database) are kept; this only adds missing ones.
  await prepareNamespace(await temporalCli(), address, options.namespace, deadline);
  return {
    address,
    current: () => proc,
    async restart() {
      await proc.stop();
      proc = spawnServer();
      await waitServing(address, Date.now() + readyTimeout, proc);
    },
    stop: () => proc.stop(),
  };
}
