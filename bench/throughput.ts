/**
 * Throughput (issue 19): the 5-node graph (trigger → set → HTTP POST to a loopback scorer → condition → end)
 * offered at a fixed open-loop rate through POST /api/workflows/:id/runs, against a hand-written Temporal workflow
 * doing the same work, started with a bare client at the same rate on the same dev server in the same run.
 *
 * Mode 1: `npm start` as users run it (embedded PGlite, its own DATA_DIR and ports, the dev server it supervises).
 * Mode 2: DATABASE_URL's PostgreSQL, `npm run api` and `npm run worker` as processes of their own, one dev server.
 * The baseline's worker is a process of its own (bench/throughput-baseline-worker.ts) on a task queue of its own.
 *
 * BENCH_QUICK=1: 10/s for 5 s, a short probe, mode 2 skipped. BENCH_RATE, BENCH_SECONDS, BENCH_MODE2_RATE,
 * BENCH_PROBES override the sizes. BENCH_CPU_PROF=<dir>: `npm start` runs under --cpu-prof into <dir>, the
 * baseline's load comes first so ours is the end of the profile, and mode 2 is skipped (bench/profile-summary.ts
 * reads the profile).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../test/global-setup';
import { killMain, startMain, type StartedMain } from '../test/support/npm-start';
import { installTemporalRuntime } from '../worker';
import { QUICK } from './environment';
import { startBaselineWorker } from './throughput-baseline';
import {
  ADMIN_KEY,
  BASELINE_QUEUE,
  baselineContender,
  CPU_PROF_DIR,
  measureBoth,
  publishedGraph,
  RATE,
  type Scorer,
  SECONDS,
  startScorer,
} from './throughput-contenders';
import { type Contender, treeGroup } from './throughput-measure';
import { directoryBytes } from './throughput-proc';
import { runModeTwo } from './throughput-mode2';
import { printTable, printThreads } from './throughput-report';

async function modeOne(scorer: Scorer): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-throughput-'));
  const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  let started: StartedMain | undefined;
  let connection: Connection | undefined;
  let closeBaseline = async () => {};
  try {
    started = await startMain(
      {
        DATA_DIR: dataDir,
        PORT: String(apiPort),
        TEMPORAL_DEV_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        ADMIN_API_KEY: ADMIN_KEY,
        LOG_LEVEL: 'warn',
        // The scorer is on loopback; and the load is the point, not the rate limit.
        HTTP_ALLOW_PRIVATE: 'true',
        RATE_LIMIT_PER_MINUTE: '0',
      },
      CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF_DIR)}`] : [],
    );
    const address = `127.0.0.1:${temporalPort}`;
    const devServerPid = Number(readFileSync(path.join(dataDir, 'temporal.pid'), 'utf8'));
    const main = treeGroup('npm start', started.process.pid!, [devServerPid]);
    const devServer = treeGroup('dev server', devServerPid);
    connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const baselineWorker = await startBaselineWorker(address, BASELINE_QUEUE, path.join(dataDir, 'baseline'));
    closeBaseline = () => baselineWorker.close();
    const baseWorker = treeGroup('baseline worker', baselineWorker.pid);
    // Its children (npm start, the dev server, the baseline's worker) are groups of their own.
    const bench = treeGroup('bench process', process.pid, [started.process.pid!, devServerPid, baselineWorker.pid]);
    const ours: Contender = {
      label: 'graphflow',
      workflowType: 'runGraph',
      charged: [main, devServer],
      start: await publishedGraph(`http://127.0.0.1:${apiPort}`, scorer.url),
    };
    const base = baselineContender(client, scorer.url, [baseWorker, devServer]);
    const groups = [main, baseWorker, devServer, bench];
    const measured = await measureBoth(
      client,
      ours,
      base,
      groups,
      { rate: RATE, seconds: SECONDS, diskBytes: async () => directoryBytes(dataDir) },
      { ours: [main, devServer], base: [baseWorker, devServer] },
    );
    printTable(
      `throughput, mode 1: npm start (embedded PGlite, its dev server), ${RATE}/s offered for ${SECONDS} s through ` +
        `POST /api/workflows/:id/runs${QUICK ? ' (quick)' : ''}${CPU_PROF_DIR ? ' (npm start under --cpu-prof)' : ''}`,
      measured.ours,
      measured.base,
      { runsPerSecond: 50, cpuPerRun: 40, p50: 60 },
      groups,
    );
    console.log(
      '  CPU charged: graphflow = npm start + dev server; hand-written = its worker process + dev server. The bench ' +
        'process (load generator, scorer, Temporal client) is charged to neither. The dev server is shared: its RSS ' +
        'counts on both sides.',
    );
    printThreads('npm start', measured.ours.phase);
    await closeBaseline();
    closeBaseline = async () => {};
    await connection.close();
    connection = undefined;
    started.process.kill('SIGINT');
    await new Promise((r) => started!.process.once('exit', r));
    started = undefined;
  } finally {
    await closeBaseline().catch(() => {});
    await connection?.close().catch(() => {});
    killMain(started, dataDir);
    // The profile names the workflow bundle's lines: keep the bundle beside it for bench/profile-summary.ts.
    if (CPU_PROF_DIR)
      for (const f of readdirSync(dataDir).filter((f) => f.startsWith('workflow-bundle-')))
        copyFileSync(path.join(dataDir, f), path.join(CPU_PROF_DIR, f));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function throughputBench(): Promise<void> {
  installTemporalRuntime('error');
  const scorer = await startScorer();
  try {
    await modeOne(scorer);
    if (QUICK) console.log('\nthroughput, mode 2: skipped in --quick (it needs a minute of load to mean anything)');
    else if (CPU_PROF_DIR) console.log('\nthroughput, mode 2: skipped while profiling mode 1 (BENCH_CPU_PROF)');
    else if (!process.env.DATABASE_URL)
      console.log('\nthroughput, mode 2: skipped: DATABASE_URL is not set (it names the PostgreSQL to run against)');
    else await runModeTwo(scorer, process.env.DATABASE_URL);
  } finally {
    scorer.close();
  }
}
