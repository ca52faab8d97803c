/**
 * `npm run bench [name…] [-- --quick]`: every benchmark (or those named), each
 * comparing our path with a baseline measured in the same run.
 *
 * Each bench runs in a child process that leads its own process group, under a
 * time limit (BENCH_TIMEOUT_SECONDS; 300 s per bench with --quick, else 30 min).
 * One that fails or hangs is reported, and a hung one is killed with everything
 * it started (dev server, `npm start`), the rest still run, and the exit code is 1.
 *
 * --quick (or BENCH_QUICK=1): tiny sizes, so CI proves every bench still runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches: Record<string, () => Promise<void>> = {
  'run-latency': async () => (await import('./run-latency')).runLatencyBench(),
  'approval-latency': async () => (await import('./approval-latency')).approvalLatencyBench(),
  'webhook-intake': async () => (await import('./webhook-intake')).webhookIntakeBench(),
  footprint: async () => (await import('./footprint')).footprintBench(),
  'waiting-runs': async () => (await import('./waiting-runs')).waitingRunsBench(),
  cluster: async () => (await import('./cluster')).clusterBench(),
  designer: async () => (await import('./designer')).designerBench(),
  simulate: async () => (await import('./simulate')).simulateBench(),
  'big-graph': async () => (await import('./big-graph')).bigGraphBench(),
  'approval-concurrency': async () => (await import('./approval-concurrency')).approvalConcurrencyBench(),
  throughput: async () => (await import('./throughput')).throughputBench(),
  'runs-at-scale': async () => (await import('./runs-at-scale')).runsAtScaleBench(),
};

/** In a child: run the one bench named by BENCH_CHILD in this process. */
async function runOne(name: string): Promise<never> {
  try {
    await benches[name]!();
    process.exit(0);
  } catch (error) {
    console.error(`\nbench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  }
}

const KILL_GRACE_MS = 5_000;

/** Signals the child's whole process group: the bench and whatever it spawned. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

let current: ChildProcess | undefined;

/** Runs one bench in a child process; answers how it ended. */
function runChild(
  name: string,
  quick: boolean,
  timeoutMs: number,
): Promise<{ ok: boolean; why: string; seconds: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_CHILD: name, ...(quick ? { BENCH_QUICK: '1' } : {}) },
    stdio: 'inherit',
    // Its own group, so a hung bench is killed with its dev server and `npm start`, and nothing outlives the run.
    detached: true,
  });
  current = child;
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\nbench ${name}: no result after ${timeoutMs / 1000} s; killing it`);
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // The bench is gone; anything it left in its group goes too.
      killGroup(child, 'SIGKILL');
      current = undefined;
      const seconds = (performance.now() - t0) / 1000;
      if (timedOut) resolve({ ok: false, why: `timed out after ${timeoutMs / 1000} s`, seconds });
      else if (code === 0) resolve({ ok: true, why: 'ok', seconds });
      else resolve({ ok: false, why: `failed (${code === null ? `signal ${signal}` : `exit ${code}`})`, seconds });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
  const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !benches[n]);
  if (unknownFlags.length || unknown.length) {
    console.error(
      `Unknown ${unknown.length ? `benchmark "${unknown.join('", "')}"` : `option ${unknownFlags.join(' ')}`}; usage: npm run bench [${Object.keys(benches).join('|')}]… [-- --quick]`,
    );
    process.exit(2);
  }
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_SECONDS ?? (quick ? 300 : 1800)) * 1000;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (current) killGroup(current, 'SIGKILL');
      process.exit(130);
    });
  }

  const results: Array<[string, { ok: boolean; why: string; seconds: number }]> = [];
  for (const name of names.length ? names : Object.keys(benches))
    results.push([name, await runChild(name, quick, timeoutMs)]);
  console.log(`\nbench summary${quick ? ' (quick)' : ''}:`);
  for (const [name, r] of results)
    console.log(`  ${name.padEnd(18)} ${r.why.padEnd(28)} ${r.seconds.toFixed(1).padStart(6)} s`);
  process.exit(results.every(([, r]) => r.ok) ? 0 : 1);
}

const child = process.env.BENCH_CHILD;
if (child) await runOne(child);
else await main();
