/**
 * The throughput bench's mode 2: DATABASE_URL's PostgreSQL, the API and the worker as processes of their own
 * (`npm run api`, `npm run worker`: tsx on api/server.ts and worker.ts, without npm's own process in between),
 * one dev server with a file of its own, as a deployment on one host runs them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { projectRoot } from '../config';
import { startDevServer } from '../scripts/temporal';
import { freePort } from '../test/global-setup';
import { startBaselineWorker } from './throughput-baseline';
import {
  ADMIN_KEY,
  BASELINE_QUEUE,
  baselineContender,
  measureBoth,
  publishedGraph,
  type Scorer,
  SECONDS,
} from './throughput-contenders';
import { type Contender, type ProcessGroup, treeGroup } from './throughput-measure';
import { cpuMs, directoryBytes, processTree } from './throughput-proc';
import { printTable } from './throughput-report';

const RATE = Number(process.env.BENCH_MODE2_RATE ?? 100);
const READY_TIMEOUT_MS = 180_000;

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

/** Runs `script` under tsx, as its npm script does; resolves once it prints `readyLine` (or answers `ready()`). */
function spawnScript(script: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [tsxCli, script], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

async function until(what: string, ready: () => Promise<boolean> | boolean, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready in ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops a tsx process and whatever it started (tsx runs the script in a child of its own). */
async function stopTree(child: ChildProcess): Promise<void> {
  const pids = processTree(child.pid!);
  const exited = new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Every process named postgres on this host (the server's own user runs them; /proc/<pid>/io is not ours to read). */
function postgresGroup(): ProcessGroup {
  const pids = () =>
    readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      })
      .map(Number);
  return {
    name: 'PostgreSQL',
    cpuMs: () => pids().reduce((sum, pid) => sum + cpuMs(pid), 0),
    writeBytes: () => 0,
    memory: () => ({ rss: 0, peak: 0 }),
  };
}

export async function runModeTwo(scorer: Scorer, databaseUrl: string): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-throughput-2-'));
  const server = await startDevServer({
    port: await freePort(),
    headless: true,
    dbFile: path.join(dataDir, 'temporal.db'),
  });
  const apiPort = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: server.address,
    DATA_DIR: dataDir,
    PORT: String(apiPort),
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
    HTTP_ALLOW_PRIVATE: 'true',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  const sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
  const api = spawnScript('api/server.ts', env);
  let worker: ReturnType<typeof spawnScript> | undefined;
  let connection: Connection | undefined;
  let closeBaseline = async () => {};
  try {
    const apiBase = `http://127.0.0.1:${apiPort}`;
    const healthy = async () => (await fetch(`${apiBase}/healthz`).catch(() => undefined))?.status === 200;
    await until('npm run api', healthy, api.child, api.output);
    // After the API has migrated the database: the worker would migrate it too.
    worker = spawnScript('worker.ts', env);
    const polling = worker;
    await until('npm run worker', () => polling.output().includes('worker polling'), polling.child, polling.output);

    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const baselineWorker = await startBaselineWorker(server.address, BASELINE_QUEUE, path.join(dataDir, 'baseline'));
    closeBaseline = () => baselineWorker.close();
    const baseWorker = treeGroup('baseline worker', baselineWorker.pid);
    const apiGroup = treeGroup('npm run api', api.child.pid!);
    const workerGroup = treeGroup('npm run worker', worker.child.pid!);
    const devServer = treeGroup('dev server', server.process.pid!);
    const postgres = postgresGroup();
    const bench = treeGroup('bench process', process.pid, [
      api.child.pid!,
      worker.child.pid!,
      server.process.pid!,
      baselineWorker.pid,
    ]);
    const ours: Contender = {
      label: 'graphflow',
      workflowType: 'runGraph',
      charged: [workerGroup, apiGroup, devServer, postgres],
      start: await publishedGraph(apiBase, scorer.url),
    };
    const base = baselineContender(client, scorer.url, [baseWorker, devServer, postgres]);
    const groups = [apiGroup, workerGroup, baseWorker, devServer, postgres, bench];
    const databaseBytes = async () =>
      Number((await sql.query('select pg_database_size(current_database()) as n')).rows[0].n);
    const measured = await measureBoth(
      client,
      ours,
      base,
      groups,
      { rate: RATE, seconds: SECONDS, diskBytes: async () => directoryBytes(dataDir) + (await databaseBytes()) },
      { ours: [apiGroup, workerGroup, devServer], base: [baseWorker, devServer] },
    );
    printTable(
      `throughput, mode 2: PostgreSQL (DATABASE_URL), npm run api + npm run worker, one dev server; ${RATE}/s ` +
        `offered for ${SECONDS} s through POST /api/workflows/:id/runs`,
      measured.ours,
      measured.base,
      { runsPerSecond: 100 },
      groups,
    );
    console.log(
      '  CPU charged: graphflow = api + worker + dev server + every postgres process on the host; hand-written = ' +
        'its worker + dev server + postgres; the bench process (load generator, scorer) to neither. Bytes ' +
        'written: /proc io of our processes (postgres is not ours to read); growth: dev server file + database.',
    );
  } finally {
    await closeBaseline().catch(() => {});
    await connection?.close().catch(() => {});
    if (worker) await stopTree(worker.child);
    await stopTree(api.child);
    await sql.end().catch(() => {});
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
