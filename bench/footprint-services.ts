/**
 * Footprint of the services run apart (`npm run api`, `npm run worker`, against PostgreSQL and Temporal): the API's
 * resident memory at rest, and the worker's while it holds many runs waiting on approvals (issue 16: a worker holding
 * 1,000 waiting runs under 500 MB, the API under 150 MB). Each is the node process that serves, started with the
 * npm script's environment and node flags.
 *
 * Needs DATABASE_URL (a PostgreSQL both processes share); the Temporal dev server is started here, in memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from '../config';
import { startDevServer } from '../scripts/temporal';
import { freePort } from '../test/global-setup';
import { maxCachedRuns } from '../worker';
import { apiCaller } from '../test/support/npm-start';

export interface ServicesFootprint {
  runs: number;
  apiAtRest: number;
  apiAfterRuns: number;
  workerWaiting: number;
  workerPeak: number;
  /** The worker's WORKER_MAX_CACHED_RUNS. */
  workerCache: number;
}

/** Resident and peak resident memory in MB, from /proc. */
export function rssOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * An npm script's command line from package.json (`NAME=value … node <flags> <entry>`), so the bench runs the very
 * process users run, flags and all; a script that runs `tsx <entry>` is run as `node --import tsx <entry>`.
 */
function scriptCommand(name: string): { env: Record<string, string>; args: string[] } {
  const scripts = (
    JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const words = (scripts[name] ?? '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [key = '', ...value] = words.shift()!.split('=');
    env[key] = value.join('=');
  }
  const program = words.shift();
  if (program === 'tsx') return { env, args: ['--import', 'tsx', ...words] };
  if (program !== 'node') throw new Error(`npm run ${name} is expected to run node or tsx, not: ${scripts[name]}`);
  return { env, args: words };
}

/** Spawns `npm run <script>`'s node process; resolves once it prints `marker`, or at once without one. */
function startService(script: string, env: Record<string, string>, marker?: RegExp): Promise<ChildProcess> {
  const command = scriptCommand(script);
  const child = spawn(process.execPath, command.args, {
    cwd: projectRoot,
    env: { ...process.env, ...command.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const look = (c: Buffer) => {
      out += c.toString();
      if (marker?.test(out)) resolve(child);
    };
    if (!marker) child.once('spawn', () => resolve(child));
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (code) => reject(new Error(`npm run ${script} exited with ${code}:\n${out.slice(-3000)}`)));
  });
}

async function stopService(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * Starts a dev server, the API and the worker, measures the API at rest, starts `runs` runs that each wait on an
 * approval, and measures both once the worker holds them all. `dataDir` holds (or gets) the cached workflow bundle.
 */
export async function servicesFootprint(options: {
  databaseUrl: string;
  dataDir: string;
  runs: number;
  settleMs: number;
}): Promise<ServicesFootprint> {
  const server = await startDevServer({ port: await freePort(), headless: true });
  const adminKey = `bench-admin-${randomUUID()}`;
  const apiPort = await freePort();
  const env = {
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `footprint-${randomUUID()}`,
    DATA_DIR: options.dataDir,
    PORT: String(apiPort),
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  const db = new pg.Client({ connectionString: options.databaseUrl });
  try {
    // The worker first: it migrates, and it builds the bundle if this data directory has none yet.
    worker = await startService('worker', env, /worker polling/);
    api = await startService('api', env);
    const call = apiCaller(`http://127.0.0.1:${apiPort}`, adminKey);
    const answers = async () => (await call('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200;
    await until(answers, 60_000, 'the API');
    await sleep(options.settleMs);
    const apiAtRest = rssOf(api.pid!).rss;

    const created = await call('POST', '/api/workflows', {
      name: `Footprint approvals ${randomUUID().slice(0, 8)}`,
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          {
            id: 'ask',
            type: 'approval',
            data: { approverRoles: ['admin'], expiresIn: '30d', notify: { channels: [] } },
          },
          { id: 'e', type: 'end', data: { output: { outcome: '{{ nodes.ask.outcome }}' } } },
        ],
        edges: [
          { id: 'e1', source: 't', target: 'ask' },
          { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'e' },
          { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'e' },
          { id: 'e4', source: 'ask', sourceHandle: 'expired', target: 'e' },
        ],
      },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
    const workflowId = created.json.id as string;
    await call('POST', `/api/workflows/${workflowId}/publish`);
    // A few callers at once, as clients would be; not a load test.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < options.runs) {
          next++;
          let res = await call('POST', `/api/workflows/${workflowId}/runs`, { input: {} });
          // A loaded machine can push a start past the API's 2 s deadline on Temporal: it answers 503, retry.
          for (let retry = 0; res.status === 503 && retry < 10; retry++) {
            await sleep(1000);
            res = await call('POST', `/api/workflows/${workflowId}/runs`, { input: {} });
          }
          if (res.status !== 202) throw new Error(`start: ${res.status} ${JSON.stringify(res.json)}`);
        }
      }),
    );
    await db.connect();
    const pending = async () =>
      Number(
        (
          await db.query(
            `select count(*) as n from workflow_approvals a join workflow_instances i on i.id = a.instance_id
             where i.workflow_id = $1 and a.status = 'pending'`,
            [workflowId],
          )
        ).rows[0].n,
      );
    await until(async () => (await pending()) >= options.runs, 30 * 60_000, `${options.runs} pending approvals`);
    await sleep(options.settleMs);
    const workerMemory = rssOf(worker.pid!);
    return {
      runs: options.runs,
      apiAtRest,
      apiAfterRuns: rssOf(api.pid!).rss,
      workerWaiting: workerMemory.rss,
      workerPeak: workerMemory.peak,
      workerCache: maxCachedRuns(),
    };
  } finally {
    await db.end().catch(() => {});
    await stopService(api);
    await stopService(worker);
    await server.stop();
  }
}
