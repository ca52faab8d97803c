/**
 * `npm start`: everything in one process. Starts the Temporal dev server when
 * TEMPORAL_ADDRESS is unset, opens PostgreSQL (or the embedded one), migrates,
 * and runs the API and the worker. Ctrl-C stops it all.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from './api/app';
import { ensureBootstrapAdmin, newApiKey } from './api/auth';
import { connectTemporalClient } from './api/temporal-client';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/client';
import { superviseDevServer, type SupervisedDevServer } from './scripts/supervise';
import { startDevServer } from './scripts/temporal';
import { cachedWorkflowBundle } from './scripts/workflow-bundle';
import { createWorker, installRuntimeWithMetrics, workflowsPath } from './worker';
import { workerMetricsSettings } from './worker-metrics';

async function main(): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const metricsSettings = workerMetricsSettings();
  let devServer: SupervisedDevServer | undefined;
  let address = config.temporal.address;
  let uiUrl = config.temporal.uiUrl;
  // Bundled once per version of the workflow sources, in a child process, while the dev server starts.
  const bundle = cachedWorkflowBundle(workflowsPath, config.dataDir);
  bundle.catch(() => {});
  // The embedded database takes a few seconds to open too: in parallel.
  const opening = openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: path.join(config.dataDir, 'pglite') });
  opening.catch(() => {});
  let giveUp: (reason: string) => void = () => {};
  if (!address) {
    console.log(`Starting the Temporal dev server (state in ${path.join(config.dataDir, 'temporal.db')}) …`);
    devServer = await superviseDevServer({
      start: () =>
        startDevServer({
          dbFile: path.join(config.dataDir, 'temporal.db'),
          logFile: path.join(config.dataDir, 'temporal.log'),
          namespace: config.temporal.namespace,
          port: config.temporal.devPort,
          uiPort: config.temporal.uiPort,
          gcPercent: 50,
        }),
      pidFile: path.join(config.dataDir, 'temporal.pid'),
      log: (line) => console.error(line),
      onGiveUp: (reason) => giveUp(reason),
    });
    address = devServer.address;
    uiUrl = devServer.uiUrl;
  }

  const database = await opening;
  await database.migrate();

  // A fresh install needs a key to be driven at once: ADMIN_API_KEY, else one made here and kept in .data/.
  const keyFile = path.join(config.dataDir, 'admin-api-key');
  let adminKey = config.adminApiKey;
  let keyNote = 'ADMIN_API_KEY';
  if (!adminKey) {
    adminKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : newApiKey();
    if (!existsSync(keyFile)) {
      writeFileSync(keyFile, `${adminKey}\n`, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
    }
    keyNote = keyFile;
  }
  await ensureBootstrapAdmin(database.db, adminKey);

  const workerMetrics = await installRuntimeWithMetrics(metricsSettings);
  const nativeConnection = await NativeConnection.connect({ address });
  const { codePath } = await bundle;
  const worker = await createWorker({
    config: { ...config, temporal: { ...config.temporal, address } },
    database,
    connection: nativeConnection,
    workflowBundle: { codePath },
  });
  const workerRun = worker.run();

  const { client: temporal, connection } = await connectTemporalClient(address, config.temporal.namespace);
  const app = await buildApp({
    config,
    database,
    temporal,
    logger: { level: config.logLevel === 'info' ? 'warn' : config.logLevel },
  });
  await app.listen({ port: config.port, host: config.host });

  let stopping = false;
  const stop = async (exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    devServer?.release();
    console.log('Stopping …');
    await app.close().catch(() => {});
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun.catch(() => {});
    await workerMetrics?.close();
    await connection.close().catch(() => {});
    await nativeConnection.close().catch(() => {});
    await database.close().catch(() => {});
    await devServer?.stop();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => stop());
  process.on('SIGTERM', () => stop());
  // Without its dev server nothing here can work: stop everything rather than stay up half-dead.
  giveUp = () => void stop(1);
  workerRun.catch(async (error: unknown) => {
    console.error('The worker stopped:', error);
    await stop(1);
  });

  // Last, once Ctrl-C is handled: whoever waits for this line may send one at once.
  const apiUrl = `http://${config.host}:${config.port}`;
  console.log(
    [
      '',
      `  Console        ${apiUrl}/   (sign in with the admin API key)`,
      `  API            ${apiUrl}/api   (OpenAPI: ${apiUrl}/openapi.json)`,
      `  Temporal       ${address}  namespace "${config.temporal.namespace}", task queue "${config.temporal.taskQueue}"`,
      `  Temporal UI    ${uiUrl ?? '(not started here: TEMPORAL_ADDRESS points elsewhere)'}`,
      `  PostgreSQL     ${database.kind === 'embedded' ? `embedded, in ${path.join(config.dataDir, 'pglite')}` : 'DATABASE_URL'}`,
      `  Admin API key  from ${keyNote}`,
      ...(workerMetrics ? [`  Worker metrics ${workerMetrics.url}`] : []),
      '',
      `  Ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s. Ctrl-C stops everything.`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
