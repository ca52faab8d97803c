/**
 * The worker's Prometheus endpoint (WORKER_METRICS_PORT): what the Temporal SDK's core counts (workflow and activity
 * tasks, runs completed and failed, latencies, slots, the sticky cache), which its runtime exports in Prometheus text
 * on a loopback port of its own, followed by this process's default metrics from prom-client (memory, CPU, event
 * loop). One small node:http server answers both, behind METRICS_TOKEN when that is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import client, { Registry } from 'prom-client';
import { z } from 'zod';
import { ConfigError } from './config';

export interface WorkerMetricsSettings {
  port: number;
  host: string;
  /** METRICS_TOKEN: a scrape must send `Authorization: Bearer <token>` when set. */
  token: string | undefined;
}

const EnvSchema = z.object({
  WORKER_METRICS_PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(65535).optional(),
  ),
  WORKER_METRICS_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('127.0.0.1')),
  METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
});

/** The endpoint's settings from the environment; undefined (no endpoint) when WORKER_METRICS_PORT is unset. */
export function workerMetricsSettings(env: NodeJS.ProcessEnv = process.env): WorkerMetricsSettings | undefined {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(
      `Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  const e = parsed.data;
  if (e.WORKER_METRICS_PORT === undefined) return undefined;
  return { port: e.WORKER_METRICS_PORT, host: e.WORKER_METRICS_HOST, token: e.METRICS_TOKEN };
}

/** A free loopback port for the SDK core's own exporter, which must be given an address before it binds. */
export function freeLoopbackAddress(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}

/** Default process metrics, registered once per process however many endpoints it serves. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
/** Compared as digests, so neither the token's length nor its first differing character shows in the timing. */
const sameToken = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/** The SDK core's text, or nothing when its exporter does not answer in time (a scrape still gets the rest). */
async function coreText(coreAddress: string): Promise<string> {
  try {
    const res = await fetch(`http://${coreAddress}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

export interface WorkerMetricsServer {
  /** `http://host:port/metrics` */
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics on the settings' address, with the core exporter's text read from `coreAddress`. */
export async function startWorkerMetrics(
  settings: WorkerMetricsSettings,
  coreAddress: string,
): Promise<WorkerMetricsServer> {
  const registry = processMetrics();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://worker');
    if (url.pathname !== '/metrics') return problem(res, 404, 'Not Found', 'Only /metrics is served here.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return problem(res, 405, 'Method Not Allowed', 'GET /metrics.');
    }
    if (settings.token) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!given || !sameToken(given, settings.token)) {
        res.setHeader('www-authenticate', 'Bearer');
        return problem(res, 401, 'Unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>.');
      }
    }
    const [core, own] = await Promise.all([coreText(coreAddress), registry.metrics()]);
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(req.method === 'HEAD' ? undefined : `${core.trimEnd()}${core ? '\n' : ''}${own}`);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', 'The metrics could not be read.');
      else res.destroy();
    });
  });
  // A scraper that opens a connection and says nothing must not hold it forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${host}:${settings.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the worker's shutdown.
        server.closeAllConnections();
      }),
  };
}
