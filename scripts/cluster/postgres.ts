/**
 * The cluster's PostgreSQL: the server given by DATABASE_URL, or one of the
 * cluster's own, made with Debian's binaries (/usr/lib/postgresql/<v>/bin, which
 * .ci/run installs) in a directory it keeps between runs, on a loopback port.
 * One server holds the platform's database and Temporal's two.
 *
 * Its own is run as the `postgres` user when we are root (initdb refuses root),
 * with password authentication over TCP on 127.0.0.1 only.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The platform's database (the API's and workers' DATABASE_URL). */
  appUrl: string;
  /** False for DATABASE_URL's server: the cluster neither stops nor restarts it. */
  owned: boolean;
  /** Stops it: `fast` lets sessions end, `immediate` is a crash (recovery on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
}

const USER = 'graphflow';
const PASSWORD = 'graphflow';
const APP_DB = 'graphflow';

/** The newest Debian PostgreSQL server's bin directory; `otherwise` ends the error saying what else would do. */
export function postgresBinDir(otherwise: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new Error(
      `PostgreSQL's server binaries are missing (no /usr/lib/postgresql/<version>/bin/pg_ctl). Install Debian's postgresql package (\`apt-get install postgresql\`)${otherwise}.`,
    );
  }
  return path.join(root, versions[0]!, 'bin');
}

/** DATABASE_URL's server; Temporal's databases are made on it beside the platform's. */
export function externalPostgres(databaseUrl: string): PostgresServer {
  const url = new URL(databaseUrl);
  const refuse = async () => {
    throw new Error('The cluster does not stop or start the server of DATABASE_URL.');
  };
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    appUrl: databaseUrl,
    owned: false,
    stop: refuse,
    start: refuse,
  };
}

/** The cluster's own server in `dir` (made on first use), started on `port`. */
export async function ownPostgres(dir: string, port: number): Promise<PostgresServer> {
  const bin = postgresBinDir(', or set DATABASE_URL to a PostgreSQL 12+ server whose user may create databases');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot
    ? {
        uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
        gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
      }
    : undefined;
  const pg = (tool: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], {
          env: { ...process.env, ...env },
          cwd: dir,
        })
      : run(path.join(bin, tool), args, { env: { ...process.env, ...env }, cwd: dir });
  const data = path.join(dir, 'data');
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(dir, 'pwfile');
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (owner) for (const p of [dir, pwfile]) chownSync(p, owner.uid, owner.gid);
    await pg('initdb', [
      '-D',
      data,
      '-U',
      USER,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '-E',
      'UTF8',
    ]);
  }
  const log = path.join(dir, 'postgres.log');
  // Sockets in the cluster's directory (not /var/run/postgresql, which may be another server's); TCP on loopback only.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`;
  const running = async () =>
    pg('pg_ctl', ['-D', data, 'status']).then(
      () => true,
      () => false,
    );
  const server: PostgresServer = {
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    appUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${APP_DB}`,
    owned: true,
    async start() {
      if (await running()) return;
      await pg('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
    },
    async stop(mode = 'fast') {
      if (!(await running())) return;
      await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
  };
  if (await running()) {
    throw new Error(
      `A PostgreSQL server already runs on ${data} (another \`npm run cluster\`?). Stop it first: pg_ctl -D ${data} stop`,
    );
  }
  await server.start();
  // pg_ctl's server is a daemon, not our child: if this script dies unstopped,
  // it must not run on with the port and the data.
  process.once('exit', () => {
    const args = ['-D', data, '-m', 'immediate', '-W', 'stop'];
    if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
    else spawnSync(path.join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
  });
  const env = { PGPASSWORD: PASSWORD };
  const { stdout } = await pg(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      USER,
      '-d',
      'postgres',
      '-tAc',
      `select 1 from pg_database where datname = '${APP_DB}'`,
    ],
    env,
  );
  if (!stdout.trim()) await pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', USER, APP_DB], env);
  return server;
}
