/**
 * Footprint of the services run apart (`npm run api`, `npm run worker`, against PostgreSQL and Temporal): the API's
 * resident memory at rest, and the worker's while it holds many runs waiting on approvals (issue 16: a worker holding
 * 1,000 waiting runs under 500 MB, the API under 150 MB). Each is the node process that serves, started with the
 * npm script's environment and node flags.
 *
 * Then every approval is decided through the API and every run must reach its end.
 *
 * Needs a PostgreSQL both processes share (bench/waiting-runs.ts brings one); the Temporal dev server is started here,
 * in memory.
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
  /** The worker before any run: the baseline of what the waiting runs cost. */
  workerAtRest: number;
  apiAfterRuns: number;
  workerWaiting: number;
  workerPeak: number;
  /** The worker's WORKER_MAX_CACHED_RUNS. */
  workerCache: number;
  /** The worker's command line as `npm run worker` runs it: environment and node flags. */
  workerCommand: string;
  /** Seconds from the first start to the last run waiting on its approval. */
  startSeconds: number;
  /** Every approval decided through the API, then every run gone on to its end. */
  decided: {
    /** Each decision request's time, ms. */
    requestMs: number[];
    /** Seconds from the first decision to the last run completed. */
    seconds: number;
    completed: number;
    /** Runs whose row says they ended before their decision: none should. */
    endedEarly: Array<{ id: string; status: string; finally: string }>;
    workerAfter: number;
    /** The worker's peak over its whole life, the replays of evicted runs included. */
    workerPeak: number;
  };
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

/** The script's command as a user would read it: `NAME=value … node <flags>`. */
function describeScript(name: string): string {
  const command = scriptCommand(name);
  return [...Object.entries(command.env).map(([k, v]) => `${k}=${v}`), 'node', ...command.args].join(' ');
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
    const workerAtRest = rssOf(worker.pid!).rss;

    const created = await call('POST', '/api/workflows', {
      name: `Footprint approvals ${randomUUID().slice(0, 8)}`,
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          {
            id: 'ask',
            type: 'approval',
            data: { approverRoles: ['manager'], expiresIn: '30d', notify: { channels: [] } },
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
    const startedAt = performance.now();
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
    const pendingIds = async () =>
      (
        await db.query<{ id: string }>(
          `select a.id from workflow_approvals a join workflow_instances i on i.id = a.instance_id
           where i.workflow_id = $1 and a.status = 'pending'`,
          [workflowId],
        )
      ).rows.map((r) => r.id);
    // Every run settles: waiting on its approval, or (it should not) ended before anyone decided.
    const endedEarly = async () =>
      (
        await db.query<{ id: string; status: string }>(
          `select id, status from workflow_instances where workflow_id = $1 and status not in ('pending', 'running')`,
          [workflowId],
        )
      ).rows;
    await until(
      async () => (await pendingIds()).length + (await endedEarly()).length >= options.runs,
      30 * 60_000,
      `${options.runs} pending approvals`,
    );
    const startSeconds = (performance.now() - startedAt) / 1000;
    await sleep(options.settleMs);
    const workerMemory = rssOf(worker.pid!);
    const apiAfterRuns = rssOf(api.pid!).rss;

    // Then every approval is decided, as approvers would (not by the admin who started the runs: a requester may not
    // decide their own run's approvals): most of these runs were evicted from the worker's cache,
    // so each decision replays its run from history first.
    const manager = await call('POST', '/api/users', {
      email: `manager-${randomUUID()}@bench.local`,
      name: 'M',
      roles: ['manager'],
    });
    const managerKey = (await call('POST', '/api/api-keys', { userId: manager.json.id })).json.key as string;
    const decide = apiCaller(`http://127.0.0.1:${apiPort}`, managerKey);
    const early = await endedEarly();
    const decisions = await pendingIds();
    const requestMs: number[] = [];
    const decidedAt = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let id = decisions.pop(); id; id = decisions.pop()) {
          const t0 = performance.now();
          let res = await decide('POST', `/api/approvals/${id}/decision`, { decision: 'approve' });
          // As for starts: a loaded machine can push the Update past the API's deadline. A retry of a decision that
          // was in fact taken answers 409, which is the decision taken.
          for (let retry = 0; res.status === 503 && retry < 10; retry++) {
            await sleep(1000);
            res = await decide('POST', `/api/approvals/${id}/decision`, { decision: 'approve' });
            if (res.status === 409) res = { ...res, status: 200 };
          }
          if (res.status !== 200) throw new Error(`decision on ${id}: ${res.status} ${JSON.stringify(res.json)}`);
          requestMs.push(performance.now() - t0);
        }
      }),
    );
    const completed = async () =>
      Number(
        (
          await db.query(
            `select count(*) as n from workflow_instances where workflow_id = $1 and status = 'completed'`,
            [workflowId],
          )
        ).rows[0].n,
      );
    const expected = options.runs - early.length;
    await until(async () => (await completed()) >= expected, 30 * 60_000, `${expected} completed runs`);
    const decidedSeconds = (performance.now() - decidedAt) / 1000;
    const workerAfter = rssOf(worker.pid!);
    return {
      runs: options.runs,
      apiAtRest,
      workerAtRest,
      apiAfterRuns,
      workerWaiting: workerMemory.rss,
      workerPeak: workerMemory.peak,
      workerCache: maxCachedRuns(),
      workerCommand: describeScript('worker'),
      startSeconds,
      decided: {
        requestMs,
        seconds: decidedSeconds,
        completed: await completed(),
        // What became of them: a row that said `cancelled` and then `completed` was wrong the first time.
        endedEarly: (
          await db.query<{ id: string; status: string }>(
            `select id, status from workflow_instances where id = any($1)`,
            [early.map((r) => r.id)],
          )
        ).rows.map((r) => ({ id: r.id, status: early.find((e) => e.id === r.id)!.status, finally: r.status })),
        workerAfter: workerAfter.rss,
        workerPeak: workerAfter.peak,
      },
    };
  } finally {
    await db.end().catch(() => {});
    await stopService(api);
    await stopService(worker);
    await server.stop();
  }
}
