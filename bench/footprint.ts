/**
 * Footprint of `npm start`: the time from launch to "ready" (cold: a fresh data
 * directory, so the workflow bundle is built; warm: started again on it), and
 * the resident memory at rest after a few runs, of the main process and of the
 * dev server it supervises. Real processes, as a user starts them.
 *
 * The API and the worker as separate processes (the API at rest, the worker holding 1,000 runs waiting on approvals)
 * are the waiting-runs bench's.
 *
 * BENCH_QUICK=1: one warm start, three runs, a short settle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/global-setup';
import { apiCaller, killMain, startMain, stopMain, type StartedMain } from '../test/support/npm-start';

const QUICK = process.env.BENCH_QUICK === '1';
const WARM_STARTS = QUICK ? 1 : 3;
const RUNS = QUICK ? 3 : 20;
const SETTLE_MS = QUICK ? 5_000 : 30_000;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

/** Every process under `root` (itself included), from `ps`. */
function tree(root: number): Array<{ pid: number; command: string }> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, ...command]) => ({ pid: Number(pid), ppid: Number(ppid), command: command.join(' ') }));
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    const row = rows.find((r) => r.pid === pid);
    if (row) out.push(row);
    queue.push(...rows.filter((r) => r.ppid === pid).map((r) => r.pid));
  }
  return out;
}

/** Resident and peak resident memory in MB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function timedStart(env: Record<string, string>): Promise<{ started: StartedMain; seconds: number }> {
  const t0 = performance.now();
  const started = await startMain(env);
  return { started, seconds: (performance.now() - t0) / 1000 };
}

export async function footprintBench(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-footprint-'));
  const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    DATA_DIR: dataDir,
    PORT: String(apiPort),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
  };
  let started: StartedMain | undefined;
  try {
    const cold = await timedStart(env);
    started = cold.started;
    const warm: number[] = [];
    for (let i = 0; i < WARM_STARTS; i++) {
      await stopMain(started);
      started = undefined;
      const next = await timedStart(env);
      warm.push(next.seconds);
      started = next.started;
    }

    const call = apiCaller(`http://127.0.0.1:${apiPort}`, ADMIN_KEY);
    const created = await call('POST', '/api/workflows', {
      name: 'Footprint',
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          { id: 'wait', type: 'delay', data: { duration: '100ms' } },
          { id: 'e', type: 'end', data: { output: { n: '{{ input.n }}' } } },
        ],
        edges: [
          { id: 'e1', source: 't', target: 'wait' },
          { id: 'e2', source: 'wait', target: 'e' },
        ],
      },
    });
    const workflowId = created.json.id as string;
    await call('POST', `/api/workflows/${workflowId}/publish`);
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++)
      runIds.push((await call('POST', `/api/workflows/${workflowId}/runs`, { input: { n: i } })).json.runId as string);
    for (const runId of runIds) {
      while ((await call('GET', `/api/runs/${runId}`)).json.status !== 'completed')
        await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));

    const processes = tree(started.process.pid!);
    // The supervisor keeps the dev server's pid in temporal.pid; else (an older main) it is the `temporal` child.
    const pidFile = path.join(dataDir, 'temporal.pid');
    const devServerPid = existsSync(pidFile)
      ? Number(readFileSync(pidFile, 'utf8'))
      : processes.find((p) => p.command === 'temporal')!.pid;
    const devServer = memory(devServerPid);
    const main = processes
      .filter((p) => p.pid !== devServerPid && !tree(devServerPid).some((d) => d.pid === p.pid))
      .map((p) => ({ ...p, ...memory(p.pid) }));
    const mainRss = main.reduce((sum, p) => sum + p.rss, 0);
    const mb = (n: number) => `${n.toFixed(0).padStart(5)} MB`;
    console.log(
      `\nfootprint: npm start with the embedded database, ${RUNS} runs done, ${SETTLE_MS / 1000} s at rest${QUICK ? ' (quick)' : ''}`,
    );
    console.log(`${'start-up, cold (fresh data directory)'.padEnd(44)} ${cold.seconds.toFixed(1).padStart(5)} s`);
    console.log(`${'start-up, warm'.padEnd(44)} ${warm.map((s) => `${s.toFixed(1)} s`).join(', ')}`);
    for (const p of main)
      console.log(`${`RSS ${p.command} (pid ${p.pid})`.slice(0, 44).padEnd(44)} ${mb(p.rss)}   peak ${mb(p.peak)}`);
    console.log(`${'RSS Temporal dev server'.padEnd(44)} ${mb(devServer.rss)}   peak ${mb(devServer.peak)}`);
    console.log(`${'RSS total at rest'.padEnd(44)} ${mb(mainRss + devServer.rss)}   (budget 500 MB)`);
    await stopMain(started);
    started = undefined;
  } finally {
    // A bench that failed half-way leaves nothing running.
    killMain(started, dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
