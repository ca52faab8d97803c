/**
 * Run latency: a 5-node graph (trigger → set → http → condition → end)
 * started through the API and interpreted by runGraph, against a hand-written
 * workflow doing the same HTTP call and branch, started with the bare client.
 * Both calls go through the intent ledger, as every non-GET call does.
 *
 * BENCH_QUICK=1: five runs each after one warm-up.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { eq } from 'drizzle-orm';
import { workflowInstances } from '../db/schema';
import { scoringDefinition } from '../test/support/graphs';
import { failureMessage, QUICK, report, startBenchEnvironment } from './environment';
import type { LedgerScope } from './workflows';

const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 5 : 100));
const WARMUP = QUICK ? 1 : 10;

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

  const created = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: auth,
    payload: { name: 'Bench', definition: scoringDefinition(targetUrl) },
  });
  const workflowId = created.json().id as string;
  await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/publish`, headers: auth });

  const startRun = async (i: number) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/workflows/${workflowId}/runs`,
      headers: auth,
      payload: { input: { level: i % 2 ? 'high' : 'low' } },
    });
    if (res.statusCode >= 300) throw new Error(`starting a run answered ${res.statusCode}: ${res.body}`);
    const runId = res.json().runId as string;
    await client.workflow
      .getHandle(runId)
      .result()
      .catch((error: unknown) => {
        throw new Error(`run ${runId} of the graph failed: ${failureMessage(error)}`);
      });
    return runId;
  };
  const platform = async (i: number) => {
    const t0 = performance.now();
    await startRun(i);
    return performance.now() - t0;
  };

  // The ledger records the baseline's calls too: against a real tenant and run (one of ours), each under a key of its
  // own.
  const probeRunId = await startRun(0);
  const tenantId = (
    await env.database.db
      .select({ tenantId: workflowInstances.tenantId })
      .from(workflowInstances)
      .where(eq(workflowInstances.id, probeRunId))
      .limit(1)
  )[0]?.tenantId;
  if (!tenantId) throw new Error(`run ${probeRunId} has no workflow_instances row`);
  const baseline = async (i: number) => {
    const workflowId = `base-${randomUUID()}`;
    const scope: LedgerScope = { tenantId, runId: probeRunId, idempotencyKey: `${workflowId}:http` };
    const t0 = performance.now();
    await client.workflow
      .execute('handWritten', {
        taskQueue: env.taskQueue,
        workflowId,
        args: [targetUrl, i % 2 ? 'high' : 'low', scope],
        workflowExecutionTimeout: '2 minutes',
      })
      .catch((error: unknown) => {
        throw new Error(`the hand-written baseline failed: ${failureMessage(error)}`);
      });
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
  report(
    `run-latency: ${RUNS} sequential runs each, start → result (${env.database.kind} PostgreSQL)${QUICK ? ' (quick)' : ''}`,
    [
      ['graph via API + runGraph', ours],
      ['hand-written workflow, bare client', base],
    ],
  );
  await env.close();
  target.close();
}
