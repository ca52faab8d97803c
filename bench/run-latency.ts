/**
 * Run latency: a 5-node graph (trigger → set → http → condition → end)
 * started through the API and interpreted by runGraph, against a
 * hand-written workflow doing the same HTTP call and branch, started with the
 * bare client. Both on the same dev server, worker and machine, in the same
 * run; prints p50/p95 of start → result and the ratio.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { ensureBootstrapAdmin } from '../api/auth';
import { createActivities } from '../activities';
import { loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { startDevServer } from '../scripts/temporal';
import { scoringDefinition } from '../test/support/graphs';
import { installTemporalRuntime } from '../worker';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const WARMUP = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function runLatencyBench(): Promise<void> {
  installTemporalRuntime('error');
  const target = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ score: body.includes('high') ? 9 : 2 }));
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/score`;

  const server = await startDevServer({ port: 17233 + Math.floor(Math.random() * 1000), headless: true });
  const taskQueue = `bench-${randomUUID()}`;
  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://' });
  await database.migrate();
  const adminKey = `bench-admin-${randomUUID()}`;
  await ensureBootstrapAdmin(database.db, adminKey);

  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows.ts'),
    activities: createActivities({ db: database.db, messaging: { publicUrl: config.publicUrl, smtpUrl: undefined, smtpFrom: config.smtpFrom, slackToken: undefined, slackApiUrl: undefined }, maxInlineOutputBytes: config.maxInlineOutputBytes }),
  });
  const workerRun = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const app = await buildApp({ config, database, temporal: client, logger: false });
  const auth = { authorization: `Bearer ${adminKey}` };

  const created = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: auth,
    payload: {
      name: 'Bench',
      definition: scoringDefinition(targetUrl),
    },
  });
  const workflowId = created.json().id as string;
  await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/publish`, headers: auth });

  const platform = async (i: number) => {
    const t0 = performance.now();
    const res = await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/runs`, headers: auth, payload: { input: { level: i % 2 ? 'high' : 'low' } } });
    await client.workflow.getHandle(res.json().runId).result();
    return performance.now() - t0;
  };
  const baseline = async (i: number) => {
    const t0 = performance.now();
    await client.workflow.execute('handWritten', { taskQueue, workflowId: `base-${randomUUID()}`, args: [targetUrl, i % 2 ? 'high' : 'low'] });
    return performance.now() - t0;
  };

  for (let i = 0; i < WARMUP; i++) {
    await platform(i);
    await baseline(i);
  }
  const ours: number[] = [];
  const base: number[] = [];
  // Interleaved, so drift in the shared machine's load hits both alike.
  for (let i = 0; i < RUNS; i++) {
    ours.push(await platform(i));
    base.push(await baseline(i));
  }
  ours.sort((a, b) => a - b);
  base.sort((a, b) => a - b);
  const row = (name: string, xs: number[]) => `${name.padEnd(34)} p50 ${percentile(xs, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(xs, 95).toFixed(1).padStart(7)} ms`;
  console.log(`\nrun-latency: ${RUNS} sequential runs each, start → result (${database.kind} PostgreSQL)`);
  console.log(row('graph via API + runGraph', ours));
  console.log(row('hand-written workflow, bare client', base));
  console.log(`ratio (ours / baseline)             p50 ${(percentile(ours, 50) / percentile(base, 50)).toFixed(2)}x      p95 ${(percentile(ours, 95) / percentile(base, 95)).toFixed(2)}x`);

  await app.close();
  worker.shutdown();
  await workerRun;
  await connection.close();
  await nativeConnection.close();
  await database.close();
  await server.stop();
  target.close();
}
