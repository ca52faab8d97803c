/**
 * Run latency at two sizes: a graph of one segment (trigger → set → http → condition → end, 5 nodes run) and of six
 * (20 nodes run), each started through the API and interpreted by runGraph, projection included, against a
 * hand-written workflow making the same HTTP calls and branches, started with the bare client. Every call goes through
 * the intent ledger, as every non-GET call does. Prints each size, the cost per node of the 15 nodes between them, and
 * issue 16's targets (p50 ≤ 1.3×, p95 ≤ 1.5× at both sizes) as met or MISSED.
 *
 * BENCH_QUICK=1: five runs of each after one warm-up. BENCH_RUNS: another count.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { eq } from 'drizzle-orm';
import { workflowInstances } from '../db/schema';
import { failureMessage, percentile, QUICK, report, startBenchEnvironment } from './environment';
import { chainedScoringDefinition, nodesRun } from './run-latency-graphs';
import type { LedgerScope } from './workflows';

const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 5 : 100));
const WARMUP = QUICK ? 1 : 10;
/** Segments of set → http → condition: 5 and 20 nodes run. */
const SIZES = [1, 6];
const TARGET = { p50: 1.3, p95: 1.5 };

/** A scorer on loopback: answers 9 to a body naming `high`, else 2. */
async function startScorer() {
  const target = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ score: body.includes('high') ? 9 : 2 }));
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(target.address() as { port: number }).port}/score`, close: () => target.close() };
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const p95 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    95,
  );

export async function runLatencyBench(): Promise<void> {
  const scorer = await startScorer();
  const env = await startBenchEnvironment();
  const { app, client, auth } = env;

  const publish = async (segments: number) => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: auth,
      payload: {
        name: `Bench ${nodesRun(segments)} nodes`,
        definition: chainedScoringDefinition(scorer.url, segments),
      },
    });
    if (created.statusCode !== 201)
      throw new Error(`creating the graph answered ${created.statusCode}: ${created.body}`);
    const workflowId = created.json().id as string;
    await app.inject({ method: 'POST', url: `/api/workflows/${workflowId}/publish`, headers: auth });
    return workflowId;
  };
  const workflowOf = new Map<number, string>();
  for (const segments of SIZES) workflowOf.set(segments, await publish(segments));

  const level = (i: number) => (i % 2 ? 'high' : 'low');
  const startRun = async (segments: number, i: number) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/workflows/${workflowOf.get(segments)}/runs`,
      headers: auth,
      payload: { input: { level: level(i) } },
    });
    if (res.statusCode >= 300) throw new Error(`starting a run answered ${res.statusCode}: ${res.body}`);
    const runId = res.json().runId as string;
    const result = (await client.workflow
      .getHandle(runId)
      .result()
      .catch((error: unknown) => {
        throw new Error(`run ${runId} of the graph failed: ${failureMessage(error)}`);
      })) as { output?: { route?: string } } | undefined;
    if (result?.output?.route !== level(i)) throw new Error(`run ${runId} answered ${JSON.stringify(result)}`);
    return runId;
  };
  const platform = async (segments: number, i: number) => {
    const t0 = performance.now();
    await startRun(segments, i);
    return performance.now() - t0;
  };

  // The ledger records the baseline's calls too: against a real tenant and run (one of ours), each under a key of its
  // own.
  const probeRunId = await startRun(SIZES[0]!, 0);
  const tenantId = (
    await env.database.db
      .select({ tenantId: workflowInstances.tenantId })
      .from(workflowInstances)
      .where(eq(workflowInstances.id, probeRunId))
      .limit(1)
  )[0]?.tenantId;
  if (!tenantId) throw new Error(`run ${probeRunId} has no workflow_instances row`);
  const baseline = async (segments: number, i: number) => {
    const workflowId = `base-${randomUUID()}`;
    const scope: LedgerScope = { tenantId, runId: probeRunId, idempotencyKey: `${workflowId}:http` };
    const t0 = performance.now();
    const result = await client.workflow
      .execute('handWritten', {
        taskQueue: env.taskQueue,
        workflowId,
        args: [scorer.url, level(i), scope, segments],
        workflowExecutionTimeout: '2 minutes',
      })
      .catch((error: unknown) => {
        throw new Error(`the hand-written baseline failed: ${failureMessage(error)}`);
      });
    if ((result as { route?: string }).route !== level(i)) throw new Error(`the baseline answered ${result}`);
    return performance.now() - t0;
  };
  for (let i = 0; i < WARMUP; i++) {
    for (const segments of SIZES) {
      await platform(segments, i);
      await baseline(segments, i);
    }
  }
  const ours = new Map(SIZES.map((s) => [s, [] as number[]]));
  const base = new Map(SIZES.map((s) => [s, [] as number[]]));
  // Interleaved, sizes and sides alike, so drift in the shared machine's load hits every row alike.
  for (let i = 0; i < RUNS; i++) {
    for (const segments of SIZES) {
      ours.get(segments)!.push(await platform(segments, i));
      base.get(segments)!.push(await baseline(segments, i));
    }
  }
  const db = `${env.database.kind} PostgreSQL`;
  for (const segments of SIZES) {
    const calls = segments === 1 ? 'one HTTP call' : `${segments} HTTP calls`;
    report(
      `run-latency, ${nodesRun(segments)} nodes: ${RUNS} sequential runs each, start → result (${db})` +
        `${QUICK ? ' (quick)' : ''}`,
      [
        [`graph via API + runGraph (${nodesRun(segments)} nodes)`, ours.get(segments)!],
        [`hand-written workflow, ${calls}`, base.get(segments)!],
      ],
    );
  }
  const [small, large] = [SIZES[0]!, SIZES.at(-1)!];
  const extraNodes = nodesRun(large) - nodesRun(small);
  const perNode = (rows: Map<number, number[]>) => (median(rows.get(large)!) - median(rows.get(small)!)) / extraNodes;
  console.log(
    `\nper node (p50 at ${nodesRun(large)} nodes − at ${nodesRun(small)}, over ${extraNodes}): ours ` +
      `${perNode(ours).toFixed(1)} ms, hand-written ${perNode(base).toFixed(1)} ms per step ` +
      `(${(perNode(ours) / perNode(base)).toFixed(2)}x)`,
  );
  for (const segments of SIZES) {
    const ratio50 = median(ours.get(segments)!) / median(base.get(segments)!);
    const ratio95 = p95(ours.get(segments)!) / p95(base.get(segments)!);
    const verdict = (ratio: number, target: number) => `${ratio.toFixed(2)}x ${ratio <= target ? 'met' : 'MISSED'}`;
    console.log(
      `target at ${String(nodesRun(segments)).padStart(2)} nodes: p50 ≤ ${TARGET.p50}x: ${verdict(ratio50, TARGET.p50)}; ` +
        `p95 ≤ ${TARGET.p95}x: ${verdict(ratio95, TARGET.p95)}`,
    );
  }
  await env.close();
  scorer.close();
}
