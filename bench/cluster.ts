/**
 * Throughput on the production topology (scripts/cluster/): a Temporal server on
 * PostgreSQL, 2 worker processes, 1 API. Runs/s of a graph of five HTTP steps
 * started through the API and interpreted by runGraph, against a hand-written
 * workflow doing the same five activities, started with the bare client, on the
 * same cluster in the same run (batches interleaved). Each batch is started all
 * at once and timed from the first start to the last result. The CPU the workers,
 * the server, the API and PostgreSQL (by database) used is read from /proc for each batch.
 *
 * BENCH_QUICK=1: one batch of 10 each. BENCH_RUNS sets the batch size (default 200). BENCH_CPU_PROF=<dir>: the
 * workers and APIs run under --cpu-prof into <dir> (written as they stop), for bench/profile-summary.ts.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../db/client';
import { workflowInstances } from '../db/schema';
import { PlatformApi } from '../scripts/chaos/api';
import { freeClusterPorts, startCluster } from '../scripts/cluster/cluster';
import { projectRoot } from '../scripts/python-tools';
import { failureMessage, QUICK } from './environment';
import { CPU_PROF_DIR } from './throughput-contenders';
import {
  cpuMs,
  machineBusyMs,
  postgresCpuDelta,
  postgresProcesses,
  threadCpuDelta,
  threadCpuMs,
} from './throughput-proc';
import type { LedgerScope } from './workflows';

const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 10 : 200));
const ROUNDS = QUICK ? 1 : 2;
const STEPS = 5;

/** CPU seconds (user + system, every thread) a process has used; 0 once it is gone. */
const cpuSeconds = (pid: number | undefined) => (pid ? cpuMs(pid) / 1000 : 0);

function fiveSteps(url: string) {
  const steps = Array.from({ length: STEPS }, (_, i) => ({
    id: `s${i + 1}`,
    type: 'action',
    data: { action: 'http', method: 'POST', url, body: { step: i + 1 } },
  }));
  return {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      ...steps,
      { id: 'e', type: 'end', data: {} },
    ],
    edges: ['t', ...steps.map((s) => s.id)].map((from, i, ids) => ({
      id: `e${i}`,
      source: from,
      target: ids[i + 1] ?? 'e',
    })),
  };
}

export async function clusterBench(): Promise<void> {
  const target = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/step`;
  const dataDir = path.join(projectRoot, '.data', 'bench-cluster');
  rmSync(dataDir, { recursive: true, force: true });
  const cluster = await startCluster({
    dataDir,
    workers: 2,
    apis: 1,
    ui: false,
    ...(await freeClusterPorts()),
    workflowsEntry: path.join(path.dirname(fileURLToPath(import.meta.url)), 'cluster-workflows.ts'),
    appEnv: {
      HTTP_ALLOW_PRIVATE: 'true',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'error',
    },
    ...(CPU_PROF_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF_DIR)}`] } : {}),
    log: (line) => console.error(`[bench cluster] ${line}`),
  });
  const connection = await Connection.connect({ address: cluster.temporal.address });
  const client = new Client({ connection });
  const database = await openDatabase({ databaseUrl: cluster.postgres.appUrl, poolSize: 2 });
  try {
    const api = new PlatformApi(() => cluster.apis.map((a) => a.url), cluster.adminKey);
    const workflowId = await api.publish('Bench cluster', fiveSteps(targetUrl));
    const result = (runId: string) =>
      client.workflow
        .getHandle(runId)
        .result()
        .catch((error: unknown) => {
          throw new Error(`run ${runId} failed: ${failureMessage(error)}`);
        });
    // The baseline's calls go through the ledger too, against a real tenant and run.
    const probe = await api.startRun(workflowId);
    await result(probe);
    const tenantId = (
      await database.db
        .select({ tenantId: workflowInstances.tenantId })
        .from(workflowInstances)
        .where(eq(workflowInstances.id, probe))
        .limit(1)
    )[0]!.tenantId;
    const taskQueue = 'workflows';

    // How long the API took to answer every start, beside the batch's whole time: where the time goes.
    const startSeconds: number[] = [];
    // One run of each side, whose history the summary describes.
    const lastRun = { graph: probe, baseline: '' };
    const graphBatch = async () => {
      const t0 = performance.now();
      const ids = await Promise.all(Array.from({ length: RUNS }, () => api.startRun(workflowId)));
      lastRun.graph = ids.at(-1)!;
      startSeconds.push((performance.now() - t0) / 1000);
      await Promise.all(ids.map(result));
    };
    const baselineBatch = async () => {
      await Promise.all(
        Array.from({ length: RUNS }, async () => {
          const id = `bench-five-${randomUUID()}`;
          lastRun.baseline = id;
          const scope: LedgerScope = { tenantId, runId: probe, idempotencyKey: id };
          await client.workflow
            .execute('handWrittenFive', {
              taskQueue,
              workflowId: id,
              args: [targetUrl, scope],
              workflowExecutionTimeout: '5 minutes',
            })
            .catch((error: unknown) => {
              throw new Error(`the hand-written baseline failed: ${failureMessage(error)}`);
            });
        }),
      );
    };
    const measure = async (batch: () => Promise<void>) => {
      const pids = [...cluster.workers.map((w) => w.child.pid), cluster.temporal.current().child.pid];
      const cpu0 = pids.map(cpuSeconds);
      const apiPids = cluster.apis.map((a) => a.process.child.pid);
      const api0 = apiPids.map(cpuSeconds);
      const pg0 = postgresProcesses();
      const workerPids = cluster.workers.map((w) => w.child.pid!);
      const threads0 = workerPids.map(threadCpuMs);
      const machine0 = machineBusyMs();
      const t0 = performance.now();
      await batch();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]!);
      const postgres = Object.fromEntries(
        [...postgresCpuDelta(pg0, postgresProcesses())].map(([db, ms]) => [db, ms / 1000]),
      );
      const workerThreads: Record<string, number> = {};
      workerPids.forEach((pid, i) => {
        for (const [name, ms] of threadCpuDelta(threads0[i]!, threadCpuMs(pid)))
          workerThreads[name] = (workerThreads[name] ?? 0) + ms / 1000;
      });
      return {
        workerThreads,
        apiCpu: apiPids.map((pid, i) => cpuSeconds(pid) - api0[i]!).reduce((a, b) => a + b, 0),
        postgres,
        seconds,
        workerCpu: cpu.slice(0, -1).reduce((a, b) => a + b, 0),
        serverCpu: cpu.at(-1)!,
        machineCpu: (machineBusyMs() - machine0) / 1000,
      };
    };
    // Warm both paths (bundles loaded, connections open) before measuring.
    await measure(graphBatch);
    await measure(baselineBatch);
    const rows = {
      graph: [] as Array<Awaited<ReturnType<typeof measure>>>,
      baseline: [] as Array<Awaited<ReturnType<typeof measure>>>,
    };
    for (let round = 0; round < ROUNDS; round++) {
      rows.graph.push(await measure(graphBatch));
      rows.baseline.push(await measure(baselineBatch));
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const line = (name: string, r: typeof rows.graph) => {
      const seconds = sum(r.map((x) => x.seconds));
      const runs = RUNS * r.length;
      const runsPerSecond = runs / seconds;
      const cores = (key: 'workerCpu' | 'serverCpu' | 'machineCpu') => sum(r.map((x) => x[key])) / seconds;
      const perRun = (key: 'workerCpu' | 'serverCpu' | 'machineCpu') =>
        `${((sum(r.map((x) => x[key])) / runs) * 1000).toFixed(0)} ms`;
      console.log(
        `${name.padEnd(40)} ${runsPerSecond.toFixed(1).padStart(7)} runs/s   workers ${cores('workerCpu').toFixed(2)} cores   server ${cores('serverCpu').toFixed(2)} cores   machine ${cores('machineCpu').toFixed(2)} cores   (${runs} runs in ${seconds.toFixed(1)} s)`,
      );
      console.log(
        `${''.padEnd(40)} CPU a run: workers ${perRun('workerCpu')}, server ${perRun('serverCpu')}, the whole machine ${perRun('machineCpu')} (PostgreSQL, the API and this bench included)`,
      );
      const msPerRun = (seconds: number[]) => `${((sum(seconds) / runs) * 1000).toFixed(0)} ms`;
      const databases = [...new Set(r.flatMap((x) => Object.keys(x.postgres)))].sort();
      const byDatabase = databases.map((db) => `${db} ${msPerRun(r.map((x) => x.postgres[db] ?? 0))}`);
      const threadNames = [...new Set(r.flatMap((x) => Object.keys(x.workerThreads)))];
      const byThread = threadNames
        .map((name) => [name, sum(r.map((x) => x.workerThreads[name] ?? 0))] as const)
        .sort((a, b) => b[1] - a[1])
        .filter(([, seconds]) => seconds / runs >= 0.0005)
        .map(([name, seconds]) => `${name} ${msPerRun([seconds])}`);
      console.log(`${''.padEnd(40)} the workers by thread: ${byThread.join(', ')}`);
      console.log(
        `${''.padEnd(40)} of the rest: the API ${msPerRun(r.map((x) => x.apiCpu))}; PostgreSQL by database (at least) ${byDatabase.join(', ')}`,
      );
      return runsPerSecond;
    };
    console.log(
      `\ncluster: ${STEPS} HTTP steps a run, batches of ${RUNS} started at once, 2 workers, Temporal on PostgreSQL${QUICK ? ' (quick)' : ''}`,
    );
    const ours = line('graph via API + runGraph', rows.graph);
    const base = line('hand-written workflow, bare client', rows.baseline);
    console.log(`${'ratio (ours / baseline)'.padEnd(40)} ${(ours / base).toFixed(2).padStart(7)}x`);
    // Both sides keep every core busy when the cluster is healthy. On a slow host, graph batches have left the machine
    // half idle, with workflow tasks queued for seconds while the workers idled (2026-11-26, on old and new code
    // alike; gone once the host was fast again): such a figure measures the stall, not CPU a run.
    const stalled = [
      ...rows.graph.map((r) => ['graph', r] as const),
      ...rows.baseline.map((r) => ['baseline', r] as const),
    ]
      .map(([side, r]) => ({ side, cores: r.machineCpu / r.seconds }))
      // Batches of the quick mode are too small to keep two cores busy.
      .filter(({ cores }) => !QUICK && cores < 0.75 * availableParallelism());
    for (const { side, cores } of stalled)
      console.log(
        `  WARNING: a ${side} batch kept the machine only ${cores.toFixed(2)} cores busy of ${availableParallelism()}: the cluster stalled, so the ratio above does not compare CPU a run; run the bench again`,
      );
    // What Temporal stores and dispatches for a run: its events, of which workflow tasks, and their bytes.
    for (const [side, runId] of Object.entries(lastRun)) {
      const events = (await client.workflow.getHandle(runId).fetchHistory()).events ?? [];
      const tasks = events.filter((event) => event.workflowTaskCompletedEventAttributes).length;
      const bytes = events.reduce((total, event) => total + JSON.stringify(event).length, 0);
      console.log(
        `${`  history of a ${side} run`.padEnd(40)} ${String(events.length).padStart(7)} events, ${tasks} workflow tasks, ${bytes.toLocaleString('en')} bytes as JSON`,
      );
    }
    const measured = startSeconds.slice(1);
    console.log(
      `${'  of which the API answering the starts'.padEnd(40)} ${(measured.reduce((a, b) => a + b, 0) / measured.length).toFixed(1).padStart(7)} s a batch`,
    );
  } finally {
    await database.close().catch(() => {});
    await connection.close().catch(() => {});
    await cluster.stop();
    target.close();
  }
}
