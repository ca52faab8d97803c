/**
 * What both modes of the throughput bench share: the loopback scorer, the published graph and the baseline as
 * contenders, and the sequence of measurements (warm-up, sequential probe, the two loads, memory at the end).
 */
import { createServer } from 'node:http';
import type { Client } from '@temporalio/client';
import { scoringDefinition } from '../test/support/graphs';
import { apiCaller } from '../test/support/npm-start';
import { QUICK } from './environment';
import { BASELINE_WORKFLOW } from './throughput-baseline';
import { type Contender, latencyProbe, loadPhase, type PhaseFigures, type ProcessGroup } from './throughput-measure';
import type { Side } from './throughput-report';

export const RATE = Number(process.env.BENCH_RATE ?? (QUICK ? 10 : 50));
export const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 5 : 60));
const PROBES = Number(process.env.BENCH_PROBES ?? (QUICK ? 3 : 30));
const WARMUP = QUICK ? 1 : 5;
const DRAIN_TIMEOUT_MS = QUICK ? 60_000 : 300_000;
export const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
export const BASELINE_QUEUE = 'throughput-baseline';

export interface Scorer {
  url: string;
  calls: () => number;
  close(): void;
}

/** The loopback service the HTTP node and the baseline's activity POST to: a score from the level. */
export async function startScorer(): Promise<Scorer> {
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ score: body.includes('high') ? 9 : 2 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/score`,
    calls: () => calls,
    close: () => server.close(),
  };
}

/** Creates and publishes the 5-node graph through the API; answers a starter of runs through the API. */
export async function publishedGraph(apiBase: string, scorerUrl: string): Promise<(i: number) => Promise<string>> {
  const call = apiCaller(apiBase, ADMIN_KEY);
  const created = await call('POST', '/api/workflows', {
    name: 'Throughput',
    definition: scoringDefinition(scorerUrl),
  });
  if (created.status !== 201) throw new Error(`creating the workflow answered ${created.status}`);
  const workflowId = created.json.id as string;
  const published = await call('POST', `/api/workflows/${workflowId}/publish`);
  if (published.status >= 300) throw new Error(`publishing answered ${published.status}`);
  return async (i) => {
    const res = await call('POST', `/api/workflows/${workflowId}/runs`, { input: { level: i % 2 ? 'high' : 'low' } });
    if (res.status !== 202) throw new Error(`starting a run answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json.runId as string;
  };
}

/** The baseline: the hand-written workflow, started with the bare client. */
export function baselineContender(client: Client, scorerUrl: string, charged: ProcessGroup[]): Contender {
  return {
    label: 'hand-written',
    workflowType: BASELINE_WORKFLOW,
    charged,
    async start(i) {
      const workflowId = `baseline-${i}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      await client.workflow.start(BASELINE_WORKFLOW, {
        taskQueue: BASELINE_QUEUE,
        workflowId,
        args: [scorerUrl, i % 2 ? 'high' : 'low'],
      });
      return workflowId;
    },
  };
}

export interface Measured {
  ours: Side;
  base: Side;
}

/**
 * Warm-up, the sequential probe, then the two loads (the baseline's first, so ours is what a profile of
 * `npm start` ends with); memory is read at the end.
 */
export async function measureBoth(
  client: Client,
  ours: Contender,
  base: Contender,
  groups: ProcessGroup[],
  sizes: { rate: number; seconds: number; diskBytes?: () => Promise<number> },
  memoryOf: { ours: ProcessGroup[]; base: ProcessGroup[] },
): Promise<Measured> {
  await latencyProbe(client, [ours, base], WARMUP, 0);
  const [oursLatency = [], baseLatency = []] = await latencyProbe(client, [ours, base], PROBES, WARMUP);
  const options = { drainTimeoutMs: DRAIN_TIMEOUT_MS, diskBytes: sizes.diskBytes, everyGroup: groups };
  const basePhase: PhaseFigures = await loadPhase(client, base, sizes.rate, sizes.seconds, options);
  const loadStarted = performance.now();
  const oursPhase: PhaseFigures = await loadPhase(client, ours, sizes.rate, sizes.seconds, options);
  if (CPU_PROF_DIR)
    console.log(
      `\nprofile: our load is the last ${((performance.now() - loadStarted) / 1000).toFixed(0)} s of the profile ` +
        `in ${CPU_PROF_DIR}`,
    );
  const memory = (gs: ProcessGroup[]) => gs.map((g): [string, { rss: number; peak: number }] => [g.name, g.memory()]);
  return {
    ours: { phase: oursPhase, latencies: oursLatency, memory: memory(memoryOf.ours) },
    base: { phase: basePhase, latencies: baseLatency, memory: memory(memoryOf.base) },
  };
}
