/**
 * Run latency: a 5-node graph (trigger → set → http → condition → end)
 * started through the API and interpreted by runGraph, against a hand-written
 * workflow doing the same HTTP call and branch, started with the bare client.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { scoringDefinition } from '../test/support/graphs';
import { report, startBenchEnvironment } from './environment';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const WARMUP = 10;

export async function runLatencyBench(): Promise<void> {
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
  const env = await startBenchEnvironment();
  const { app, client, auth } = env;

  const created = await app.inject({ method: 'POST', url: '/api/workflows', headers: auth, payload: { name: 'Bench', definition: scoringDefinition(targetUrl) } });
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
    await client.workflow.execute('handWritten', { taskQueue: env.taskQueue, workflowId: `base-${randomUUID()}`, args: [targetUrl, i % 2 ? 'high' : 'low'] });
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
  report(`run-latency: ${RUNS} sequential runs each, start → result (${env.database.kind} PostgreSQL)`, [
    ['graph via API + runGraph', ours],
    ['hand-written workflow, bare client', base],
  ]);
  await env.close();
  target.close();
}
