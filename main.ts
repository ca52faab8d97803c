/**
 * `npm start`: everything in one process. Starts the Temporal dev server when
 * TEMPORAL_ADDRESS is unset, opens PostgreSQL (or the embedded one), migrates,
 * and runs the API and the worker. Ctrl-C stops it all.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from './api/app';
import { ensureBootstrapAdmin, newApiKey } from './api/auth';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/client';
import { startDevServer, type DevServer } from './scripts/temporal';
import { createWorker, installTemporalRuntime } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  let devServer: DevServer | undefined;
  let address = config.temporal.address;
  let uiUrl = config.temporal.uiUrl;
  if (!address) {
    console.log('Starting the Temporal dev server (state in .data/temporal.db) …');
    devServer = await startDevServer({
      dbFile: path.join(config.dataDir, 'temporal.db'),
      logFile: path.join(config.dataDir, 'temporal.log'),
      namespace: config.temporal.namespace,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
    });
    address = devServer.address;
    uiUrl = devServer.uiUrl;
  }

  const database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: path.join(config.dataDir, 'pglite') });
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

  installTemporalRuntime();
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({ config: { ...config, temporal: { ...config.temporal, address } }, database, connection: nativeConnection });
  const workerRun = worker.run();

  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({ config, database, temporal, logger: { level: config.logLevel === 'info' ? 'warn' : config.logLevel } });
  await app.listen({ port: config.port, host: config.host });

  const apiUrl = `http://${config.host}:${config.port}`;
  console.log(
    [
      '',
      `  API            ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json)`,
      `  Temporal       ${address}  namespace "${config.temporal.namespace}", task queue "${config.temporal.taskQueue}"`,
      `  Temporal UI    ${uiUrl ?? '(not started here: TEMPORAL_ADDRESS points elsewhere)'}`,
      `  PostgreSQL     ${database.kind === 'embedded' ? `embedded, in ${path.join(config.dataDir, 'pglite')}` : 'DATABASE_URL'}`,
      `  Admin API key  from ${keyNote}`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping …');
    await app.close().catch(() => {});
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun.catch(() => {});
    await connection.close().catch(() => {});
    await nativeConnection.close().catch(() => {});
    await database.close().catch(() => {});
    await devServer?.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  workerRun.catch(async (error: unknown) => {
    console.error('The worker stopped:', error);
    await stop();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
