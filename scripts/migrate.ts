/**
 * `npm run migrate`: applies the migrations to DATABASE_URL's database (or the
 * embedded one under DATA_DIR) and stops. The API and the worker migrate at
 * start as well; this is for deployments that migrate before they roll out.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db/client';

async function migrate(): Promise<void> {
  const config = loadConfig();
  const where = config.databaseUrl ? 'DATABASE_URL' : `the embedded database in ${path.join(config.dataDir, 'pglite')}`;
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    embeddedDir: path.join(config.dataDir, 'pglite'),
  });
  try {
    await database.migrate();
    console.log(`Migrated ${where}.`);
  } finally {
    await database.close();
  }
}

migrate().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exit(1);
});
