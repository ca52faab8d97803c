/**
 * Opens the database: PostgreSQL through `pg` when DATABASE_URL is set, else
 * an embedded PostgreSQL (PGlite) under the data directory, so a first start
 * needs no database server. Both speak the same drizzle API.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /** `postgres` for a server reached by DATABASE_URL, `embedded` for PGlite. */
  kind: 'postgres' | 'embedded';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /**
   * Calls `onMessage` with each NOTIFY payload sent on `channel` (PostgreSQL: on a connection of its own, outside
   * the pool; `onLost` when it drops). Resolves to a function that stops listening.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onLost: (error: Error) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * PGlite's own start parameters (single-user mode and its settings), which `startParams` replaces rather than extends.
 */
const PGLITE_START_PARAMS = PGlite.defaultStartParams;

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Any fixed number: serialises migrations when several processes start at once. */
const MIGRATION_LOCK = 727_274_001;

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Directory of the embedded database; `memory://` keeps it in memory (tests). */
  embeddedDir?: string;
  poolSize?: number;
  /** How long to wait for a connection from the pool or the server (PostgreSQL only). */
  connectTimeoutMs?: number;
  /** Longest a statement may run (server side) and a query may wait for its answer (client side). */
  queryTimeoutMs?: number;
}

/** A stopped or unreachable PostgreSQL fails a request in about this long, instead of hanging it. */
export const DATABASE_CONNECT_TIMEOUT_MS = 2000;
/** Long enough for the heaviest list query; short enough that a hung server does not hold requests for minutes. */
export const DATABASE_QUERY_TIMEOUT_MS = 5000;

/** A channel name safe to quote: LISTEN takes no bind parameters. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

async function listenOnPostgres(
  databaseUrl: string,
  channel: string,
  onMessage: (payload: string) => void,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`invalid channel name "${channel}"`);
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  let done = false;
  const lost = (error: Error) => {
    if (done) return;
    done = true;
    client.end().catch(() => {});
    onLost(error);
  };
  client.on('error', lost);
  client.on('end', () => lost(new Error('the LISTEN connection closed')));
  client.on('notification', (message) => {
    if (message.channel === channel && message.payload !== undefined) onMessage(message.payload);
  });
  try {
    await client.connect();
    await client.query(`LISTEN "${channel}"`);
  } catch (error) {
    done = true;
    await client.end().catch(() => {});
    throw error;
  }
  return async () => {
    done = true;
    await client.end().catch(() => {});
  };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const queryTimeoutMs = options.queryTimeoutMs ?? DATABASE_QUERY_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DATABASE_CONNECT_TIMEOUT_MS,
      // The server cancels a slow statement; the client gives up on a server that stopped answering altogether.
      statement_timeout: queryTimeoutMs,
      query_timeout: queryTimeoutMs + 1000,
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    // Nor may a client checked out between two statements (inside a transaction) when the server goes away: its
    // 'error' event would have no listener and end the process; the statement in flight fails on its own instead.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      async migrate() {
        // A client of its own, without the pool's timeouts: waiting for another process's migration, or running a long
        // one, is fine here.
        const client = new pg.Client({ connectionString: options.databaseUrl });
        client.on('error', () => {});
        await client.connect();
        try {
          await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
          await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
          await client.end().catch(() => {});
        }
      },
      async ping() {
        await db.execute(sql`select 1`);
      },
      listen: (channel, onMessage, onLost) => listenOnPostgres(options.databaseUrl!, channel, onMessage, onLost),
      close: () => pool.end(),
    };
  }
  const dir = options.embeddedDir ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  // PostgreSQL's default 128 MB of shared buffers lives in PGlite's WASM memory, which never shrinks: one
  // process's embedded database does well with 16 MB (the files are cached by the OS underneath).
  const client = new PGlite(dir, { startParams: [...PGLITE_START_PARAMS, '-c', 'shared_buffers=16MB'] });
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'embedded',
    async migrate() {
      await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder });
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    // PGlite delivers NOTIFY in process; it has no connection to lose.
    async listen(channel, onMessage) {
      const unlisten = await client.listen(channel, onMessage);
      return async () => unlisten().catch(() => {});
    },
    close: () => client.close(),
  };
}
