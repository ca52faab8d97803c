/**
 * `npm run api`: the API alone, against shared PostgreSQL and Temporal.
 * main.ts runs it together with the worker and local services.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { buildApp } from './app';
import { ensureBootstrapAdmin } from './auth';
import { connectTemporalClient } from './temporal-client';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  if (!config.temporal.address || !config.databaseUrl) {
    console.error(
      'npm run api runs against shared services: set TEMPORAL_ADDRESS and DATABASE_URL (or use `npm start`, which runs everything in one process).',
    );
    process.exit(2);
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl });
  await database.migrate();
  if (config.adminApiKey) await ensureBootstrapAdmin(database.db, config.adminApiKey);
  // Deadlines on every call: a Temporal outage answers 503 in about 2 s (api/temporal-client.ts).
  const { client: temporal, connection } = await connectTemporalClient(
    config.temporal.address,
    config.temporal.namespace,
  );
  const app = await buildApp({ config, database, temporal });
  await app.listen({ port: config.port, host: config.host });
  const stop = async () => {
    await app.close();
    await connection.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
