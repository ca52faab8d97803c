/**
 * `npm run worker` with WORKER_METRICS_PORT: a real worker process (worker.ts, as users start it) serves Prometheus
 * text on loopback, parsed by a strict text parser: the Temporal SDK core's series count the runs and activities it
 * executed and failed, prom-client's process series follow, and METRICS_TOKEN keeps strangers out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ConfigError, projectRoot } from '../../config';
import { workflowSourcesHash } from '../../scripts/workflow-bundle';
import { DEFAULT_MAX_CACHED_RUNS, maxCachedRuns, workflowsPath } from '../../worker';
import { workerMetricsSettings } from '../../worker-metrics';
import { freePort } from '../global-setup';
import { createHarness, type Harness } from '../harness';
import { sharedDatabase } from '../support/processes';
import { parsePrometheusText } from '../support/prometheus-text';

const METRICS_TOKEN = `worker-metrics-${randomUUID()}`;

let database: Awaited<ReturnType<typeof sharedDatabase>>;
let h: Harness;
let worker: ChildProcess | undefined;
let dataDir: string;
let metricsUrl: string;

/** Starts worker.ts itself, with the tests' bundle where its cache looks for it, and waits until it polls. */
async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'worker.ts')], {
    cwd: projectRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('worker polling') && resolve());
    child.once('exit', (code) => reject(new Error(`worker.ts exited with ${code}:\n${out}`)));
  });
  return child;
}

beforeAll(async () => {
  database = await sharedDatabase();
  h = await createHarness({ DATABASE_URL: database.url }, { inProcessWorker: false });
  dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-worker-metrics-'));
  // The bundle the tests built, under the name worker.ts's cache gives this version of the sources: no bundling here.
  copyFileSync(
    inject('workflowBundlePath'),
    path.join(dataDir, `workflow-bundle-${workflowSourcesHash(workflowsPath)}.js`),
  );
  const port = await freePort();
  worker = await startWorkerProcess({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
    WORKER_METRICS_PORT: String(port),
    METRICS_TOKEN,
  });
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
}, 120_000);
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await h?.close();
  await database?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function runToEnd(definition: unknown): Promise<string> {
  const key = h.tenant.adminKey;
  const created = await h.api(key, {
    method: 'POST',
    url: '/api/workflows',
    payload: { name: randomUUID(), definition },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  expect((await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(201);
  const started = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } });
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().runId as string;
  await h.temporal.workflow
    .getHandle(runId)
    .result()
    .catch(() => {});
  return runId;
}

const scrape = (authorization?: string, method = 'GET', url = metricsUrl) =>
  fetch(url, { method, headers: authorization ? { authorization } : {} });

describe('the worker metrics endpoint', () => {
  it('counts the runs and activities the worker executed and failed, beside its process series', async () => {
    const closedPort = await freePort();
    // A run that completes, and one whose http call finds nothing listening and is not retried: a failed activity.
    await runToEnd({
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'e', type: 'end', data: { output: { ok: true } } },
      ],
      edges: [{ id: 'e1', source: 't', target: 'e' }],
    });
    await runToEnd({
      configuration: { retry: { maximumAttempts: 1 } },
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'call', type: 'action', data: { action: 'http', url: `http://127.0.0.1:${closedPort}/nothing` } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'call' },
        { id: 'e2', source: 'call', target: 'e' },
      ],
    });

    const res = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const metrics = parsePrometheusText(text);
    const total = (name: string) => metrics.samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
    expect(total('temporal_workflow_completed_total')).toBeGreaterThanOrEqual(1);
    expect(total('temporal_workflow_failed_total')).toBeGreaterThanOrEqual(1);
    expect(total('temporal_activity_execution_failed_total')).toBeGreaterThanOrEqual(1);
    expect(total('temporal_activity_execution_latency_count')).toBeGreaterThanOrEqual(1);
    expect(total('temporal_workflow_task_execution_latency_count')).toBeGreaterThanOrEqual(2);
    expect(metrics.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metrics.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    // The series name the worker's own task queue.
    expect(
      metrics.samples.some(
        (s) => s.name.startsWith('temporal_') && s.labels.task_queue === h.config.temporal.taskQueue,
      ),
    ).toBe(true);
  });

  it('refuses a scrape without the token, or with a wrong one, with 401 and no series', async () => {
    for (const authorization of [undefined, `Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const res = await scrape(authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const body = await res.text();
      expect(body).not.toContain('temporal_');
      expect(body).not.toContain('process_');
    }
  });

  it('answers 404 for any other path and 405 for a write', async () => {
    const auth = `Bearer ${METRICS_TOKEN}`;
    expect((await scrape(auth, 'GET', metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    expect((await scrape(auth, 'GET', `${metricsUrl}/../../etc/passwd`)).status).toBe(404);
    const post = await scrape(auth, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('WORKER_METRICS_PORT', () => {
  it('is off when unset, and listens on loopback unless WORKER_METRICS_HOST says otherwise', () => {
    expect(workerMetricsSettings({})).toBeUndefined();
    expect(workerMetricsSettings({ WORKER_METRICS_PORT: '' })).toBeUndefined();
    expect(workerMetricsSettings({ WORKER_METRICS_PORT: '9464' })).toEqual({
      port: 9464,
      host: '127.0.0.1',
      token: undefined,
    });
    expect(workerMetricsSettings({ WORKER_METRICS_PORT: '9464', WORKER_METRICS_HOST: '::1' })?.host).toBe('::1');
  });

  it('refuses a port that is not one, naming the variable', () => {
    for (const port of ['0', '65536', 'abc', '12.5'])
      expect(() => workerMetricsSettings({ WORKER_METRICS_PORT: port })).toThrow(/WORKER_METRICS_PORT/);
    expect(() => workerMetricsSettings({ WORKER_METRICS_PORT: 'x' })).toThrow(ConfigError);
  });
});

describe('WORKER_MAX_CACHED_RUNS', () => {
  it('bounds the worker cache by default, and refuses a size the SDK would not take', () => {
    expect(maxCachedRuns({})).toBe(DEFAULT_MAX_CACHED_RUNS);
    expect(maxCachedRuns({ WORKER_MAX_CACHED_RUNS: '0' })).toBe(0);
    expect(maxCachedRuns({ WORKER_MAX_CACHED_RUNS: '400' })).toBe(400);
    for (const size of ['1', '-5', 'many', '2.5', '100001'])
      expect(() => maxCachedRuns({ WORKER_MAX_CACHED_RUNS: size })).toThrow(/WORKER_MAX_CACHED_RUNS/);
  });
});
