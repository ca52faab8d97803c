/**
 * `npm run chaos [-- --quick] [-- --faults 1,2]`: starts the production topology
 * (scripts/cluster/) on free loopback ports in a scratch directory, with fake
 * targets on loopback, and puts it through the faults of issue 15 one after
 * another, each bounded in time and count. Prints every fault's figures, and
 * exits 1 if any promise was broken (or a fault could not be carried out).
 *
 *   1  workers SIGKILLed under load          (scripts/chaos/worker-kills.ts)
 *   2  the Temporal server SIGKILLed, restarted (scripts/chaos/server-kill.ts)
 *   3  PostgreSQL restarted under load        (scripts/chaos/postgres-restart.ts)
 *   4  an API process killed mid-webhook      (scripts/chaos/api-kill.ts)
 *   5  workers rolled onto a new build        (scripts/chaos/rolling-upgrade.ts)
 *
 * --quick: a fifth of the runs and fewer kills, for CI (about 5 minutes with the
 * server binaries cached). Logs of every process: .data/chaos/logs/.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../db/client';
import { Gate } from '../test/support/gate';
import { startHttpTarget } from '../test/support/http-target';
import { PlatformApi, stopAllApprovers } from './chaos/api';
import { apiKill } from './chaos/api-kill';
import type { FaultContext, FaultResult } from './chaos/fault';
import { postgresRestart } from './chaos/postgres-restart';
import { rollingUpgrade } from './chaos/rolling-upgrade';
import { serverKill } from './chaos/server-kill';
import { workerKills } from './chaos/worker-kills';
import { freeClusterPorts, startCluster } from './cluster/cluster';
import { projectRoot } from './python-tools';

const FAULTS: Record<string, (ctx: FaultContext) => Promise<FaultResult>> = {
  '1': workerKills,
  '2': serverKill,
  '3': postgresRestart,
  '4': apiKill,
  '5': rollingUpgrade,
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    faults: { type: 'string', default: Object.keys(FAULTS).join(',') },
  },
  strict: true,
});
const quick = values.quick || process.env.CHAOS_QUICK === '1';
const chosen = values.faults
  .split(',')
  .map((f) => f.trim())
  .filter(Boolean);
const unknown = chosen.filter((f) => !FAULTS[f]);
if (unknown.length) {
  console.error(`Unknown fault ${unknown.join(', ')}; the faults are ${Object.keys(FAULTS).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const log = (line: string) =>
  console.log(`[chaos ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const dataDir = path.join(projectRoot, '.data', 'chaos');
// Every chaos run starts from nothing: a fresh PostgreSQL, fresh Temporal databases.
rmSync(dataDir, { recursive: true, force: true });

/** The fake service takes 100–400 ms to answer, as real ones do: so a kill often lands while a send is in flight. */
class SlowAnswers extends Gate {
  override pass(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
  }
}
const target = await startHttpTarget(undefined, new SlowAnswers());
const hookSecret = randomBytes(24).toString('hex');
const cluster = await startCluster({
  dataDir,
  workers: 3,
  apis: 2,
  ...(await freeClusterPorts()),
  ui: false,
  log: (line) => log(line),
  appEnv: {
    // The fake targets are on loopback, which the HTTP guard refuses unless told.
    HTTP_ALLOW_PRIVATE: 'true',
    // The chaos client is one API key sending hundreds of requests a minute.
    RATE_LIMIT_PER_MINUTE: '0',
    ENV_SECRETS: 'CHAOS_HOOK_SECRET',
    CHAOS_HOOK_SECRET: hookSecret,
  },
}).catch(async (error: unknown) => {
  console.error(`The cluster did not start: ${String((error as Error).message)}`);
  await target.close();
  process.exit(1);
});

let exitCode = 0;
const results: FaultResult[] = [];
const connection = await Connection.connect({ address: cluster.temporal.address });
const database = await openDatabase({ databaseUrl: cluster.postgres.appUrl, poolSize: 4 });
try {
  const api = new PlatformApi(
    () => cluster.apis.filter((a) => !a.process.exited()).map((a) => a.url),
    cluster.adminKey,
  );
  const ctx: FaultContext = {
    cluster,
    api,
    temporal: new Client({ connection }),
    database,
    target,
    quick,
    log,
    hookSecret,
  };
  for (const fault of chosen) {
    const t0 = performance.now();
    try {
      const result = await FAULTS[fault]!(ctx);
      result.figures.push(['duration', `${((performance.now() - t0) / 1000).toFixed(0)} s`]);
      results.push(result);
    } catch (error) {
      results.push({
        name: `fault ${fault}`,
        figures: [],
        problems: [`could not be carried out: ${String((error as Error).stack ?? error)}`],
      });
    } finally {
      await stopAllApprovers();
    }
    const last = results[results.length - 1]!;
    log(`${last.name}: ${last.problems.length ? 'BROKEN' : 'held'}`);
  }
} finally {
  await database.close().catch(() => {});
  await connection.close().catch(() => {});
  await cluster.stop();
  await target.close();
}

console.log(
  `\nchaos${quick ? ' (quick)' : ''}: ${cluster.workers.length} worker processes started in all, ${cluster.apis.length} APIs, Temporal ${cluster.temporal.address}, logs in ${cluster.logDir}\n`,
);
for (const result of results) {
  console.log(`${result.name}: ${result.problems.length ? 'BROKEN' : 'held'}`);
  for (const [what, value] of result.figures) console.log(`  ${what.padEnd(44)} ${value}`);
  for (const problem of result.problems.slice(0, 20)) console.log(`  ! ${problem}`);
  if (result.problems.length) exitCode = 1;
}
const held = results.filter((r) => !r.problems.length).length;
console.log(
  `\nchaos: ${held} of ${results.length} faults held (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
process.exit(exitCode);
