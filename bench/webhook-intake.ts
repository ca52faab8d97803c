/**
 * Webhook intake: signed deliveries at a fixed rate for a while, evenly spaced from a child process,
 * each with its own delivery id, against the API's /hooks route; beside a
 * loop of bare `client.workflow.start` calls at the same rate for as long.
 * Prints accepted/s, intake latency p50/p99 and the CPU this process spent per
 * request for both, and the ratio. The deliveries come from a child process
 * (bench/webhook-load.ts), so signing and sending them is not the API's time.
 *
 * Intake only, and the same on both sides: the baseline starts the very workflow a delivery starts (runGraph, the
 * same pinned definition), and both start it on a task queue no worker polls. Executing the runs is run-latency's
 * business; here it would only load the one process both sides share (the in-process worker, the embedded
 * database), so whichever side ran second would pay for the first side's backlog.
 *
 * BENCH_RATE (default 100/s), BENCH_SECONDS (30); BENCH_QUICK=1: 20/s for 3 s.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildApp } from '../api/app';
import { projectRoot } from '../config';
import { isRefusal, resolvePin } from '../runs/pin';
import { runStartOptions } from '../runs/start-options';
import { QUICK, startBenchEnvironment } from './environment';
import { type LoadResult, signedDelivery } from './webhook-load';

const RATE = Number(process.env.BENCH_RATE ?? (QUICK ? 20 : 100));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 30));
const SECRET = 'bench-webhook-secret';
const WARMUP = QUICK ? 10 : 50;

/** Runs the load in a child process and answers its figures (bench/webhook-load.ts). */
function offerLoad(url: string): Promise<LoadResult> {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const script = path.join(projectRoot, 'bench', 'webhook-load.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, script, url, String(RATE), String(SECONDS), SECRET], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult)
        : reject(new Error(`the load generator exited ${code}`)),
    );
  });
}

/** CPU milliseconds this process used since `from`. */
const cpuMsSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

export async function webhookIntakeBench(): Promise<void> {
  // The bench floods /hooks from one address on purpose.
  const env = await startBenchEnvironment({
    RATE_LIMIT_PER_MINUTE: '0',
    SECRETS_KEY: randomBytes(32).toString('base64'),
  });
  const { client, auth } = env;
  const intakeQueue = `${env.taskQueue}-intake-unpolled`;
  const app = await buildApp({
    config: { ...env.config, temporal: { ...env.config.temporal, taskQueue: intakeQueue } },
    database: env.database,
    temporal: client,
    logger: false,
  });
  await app.inject({
    method: 'PUT',
    url: '/api/variables/BENCH_HOOK_SECRET',
    headers: auth,
    payload: { type: 'secret', value: SECRET },
  });
  const path = `bench-${Date.now()}`;
  const definition = {
    nodes: [
      { id: 'hook', type: 'trigger', data: { trigger: { type: 'webhook', path, secretRef: 'BENCH_HOOK_SECRET' } } },
      { id: 'e', type: 'end', data: {} },
    ],
    edges: [{ id: 'e1', source: 'hook', target: 'e' }],
  };
  const workflowId = (
    await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: auth,
      payload: { name: 'Intake bench', definition },
    })
  ).json().id;
  await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/publish`, headers: auth });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  const hookUrl = new URL(
    (await app.inject({ method: 'GET', url: '/api/webhooks', headers: auth })).json().items[0].url as string,
  ).pathname;

  const tenantId = hookUrl.split('/')[2]!;
  // The baseline starts the same workflow a delivery does, straight through Temporal.
  const pin = await resolvePin(env.database.db, tenantId, workflowId, undefined);
  if (isRefusal(pin)) throw new Error(`the bench workflow starts no runs: ${pin.reason}`);
  const startOptions = (runId: string) =>
    runStartOptions(intakeQueue, runId, {
      tenantId,
      definition: pin.definition,
      input: {},
      trigger: { type: 'webhook', nodeId: 'hook', body: {}, headers: {}, query: {} },
      triggeredBy: null,
      priority: 'normal',
      historyLimit: env.config.runHistoryLimit,
      variables: {},
    });
  // Both sides warm up alike (compiled code paths, connections, the webhook's cached target) before either is measured.
  for (let i = 0; i < WARMUP; i++) {
    const delivery = signedDelivery(SECRET);
    await app.inject({ method: 'POST', url: hookUrl, payload: delivery.body, headers: delivery.headers });
    await client.workflow.start('runGraph', startOptions(`warm-${randomUUID()}`));
  }

  // The API's process serves the deliveries alone: the load comes from a child, and its CPU is not counted here.
  const ourCpu = process.cpuUsage();
  const result = await offerLoad(`http://127.0.0.1:${address.port}${hookUrl}`);
  const ourCpuMs = cpuMsSince(ourCpu);
  const { accepted } = result;

  const latencies: number[] = [];
  let started = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const inFlight = new Set<Promise<void>>();
  const bareCpu = process.cpuUsage();
  for (let i = 0; Date.now() < deadline; i++) {
    const due = deadline - SECONDS * 1000 + (i * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const t0 = performance.now();
    const p = client.workflow.start('runGraph', startOptions(`bare-${randomUUID()}`)).then(() => {
      latencies.push(performance.now() - t0);
      started++;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  const bareCpuMs = cpuMsSince(bareCpu);

  console.log(
    `\nwebhook-intake: ${RATE}/s offered for ${SECONDS} s (${env.database.kind} PostgreSQL)${QUICK ? ' (quick)' : ''}`,
  );
  console.log(
    `${'signed webhooks via API'.padEnd(40)} accepted ${(accepted / SECONDS).toFixed(1)}/s (${accepted} of ${result.sent}, non-2xx ${result.non2xx}, errors ${result.errors})   p50 ${result.p50} ms   p99 ${result.p99} ms   CPU ${(ourCpuMs / Math.max(1, accepted)).toFixed(1)} ms a delivery`,
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  console.log(
    `${'bare client.workflow.start'.padEnd(40)} accepted ${(started / SECONDS).toFixed(1)}/s (${started})   p50 ${pct(50).toFixed(1)} ms   p99 ${pct(99).toFixed(1)} ms   CPU ${(bareCpuMs / Math.max(1, started)).toFixed(1)} ms a start`,
  );
  console.log(
    `${'ratio (ours / baseline)'.padEnd(40)} p50 ${(result.p50 / pct(50)).toFixed(2)}x   p99 ${(result.p99 / pct(99)).toFixed(2)}x   throughput ${(accepted / Math.max(1, started)).toFixed(2)}x`,
  );
  await app.close();
  await env.close();
  // A side that took nothing in measured nothing: the bench is broken, not slow.
  if (accepted === 0)
    throw new Error(`no webhook was accepted (${result.non2xx} non-2xx of ${result.sent}, ${result.errors} errors)`);
  if (started === 0) throw new Error('the baseline started no workflow');
}
