/**
 * `npm run cluster [-- --workers N --apis M --no-ui]`: the production topology
 * on this machine (scripts/cluster/cluster.ts): PostgreSQL (its own in
 * .data/cluster/postgres, or DATABASE_URL's), the Temporal server on it, the Web
 * UI, N workers and M APIs on loopback. Prints where everything is; Ctrl-C stops it all.
 *
 * Ports: --temporal-port (7233; the server also takes +1…+3, +10, +100…+103),
 * --api-port (3000, then 3001 …), --ui-port (8233), --postgres-port (54329).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './python-tools';
import { MAX_TEMPORAL_PORT, startCluster } from './cluster/cluster';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    apis: { type: 'string', default: '2' },
    'temporal-port': { type: 'string', default: '7233' },
    'api-port': { type: 'string', default: '3000' },
    'ui-port': { type: 'string', default: '8233' },
    'postgres-port': { type: 'string', default: '54329' },
    'data-dir': { type: 'string', default: path.join(projectRoot, '.data', 'cluster') },
    'no-ui': { type: 'boolean', default: false },
  },
  strict: true,
});

function count(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`);
    process.exit(2);
  }
  return n;
}

const startedAt = performance.now();
const cluster = await startCluster({
  dataDir: values['data-dir'],
  workers: count('workers', values.workers, 1, 32),
  apis: count('apis', values.apis, 1, 32),
  temporalPort: count('temporal-port', values['temporal-port'], 1, MAX_TEMPORAL_PORT),
  apiPort: count('api-port', values['api-port'], 1, 65_000),
  uiPort: count('ui-port', values['ui-port'], 1, 65_535),
  postgresPort: count('postgres-port', values['postgres-port'], 1, 65_535),
  databaseUrl: process.env.DATABASE_URL || undefined,
  ui: !values['no-ui'],
}).catch((error: unknown) => {
  console.error(`The cluster did not start: ${String((error as Error).message)}`);
  process.exit(1);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the cluster …');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const p of [...cluster.workers, ...cluster.apis.map((a) => a.process), cluster.temporal.current()]) {
  void p.gone.then(() => {
    if (!stopping) console.error(`${p.name} stopped (${p.exited()}); see ${p.logFile}`);
  });
}

const pg = cluster.postgres;
console.log(
  [
    '',
    `  PostgreSQL     ${pg.host}:${pg.port}  ${pg.owned ? `(own, data in ${path.join(cluster.options.dataDir, 'postgres')})` : '(DATABASE_URL)'}; databases graphflow, temporal, temporal_visibility`,
    `  Temporal       ${cluster.temporal.address}  (frontend; history, matching, worker on the next ports), pid ${cluster.temporal.current().child.pid}`,
    `  Temporal UI    ${cluster.uiUrl ?? '(not started)'}`,
    ...cluster.apis.map((a, i) => `  API ${i}          ${a.url}  pid ${a.process.child.pid}`),
    ...cluster.workers.map((w, i) => `  worker ${i}       pid ${w.child.pid}`),
    `  Admin API key  ${process.env.ADMIN_API_KEY ? 'ADMIN_API_KEY' : path.join(cluster.options.dataDir, 'admin-api-key')}`,
    `  Logs           ${cluster.logDir}`,
    '',
    `  Ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s. Ctrl-C stops everything.`,
    '',
  ].join('\n'),
);
