/**
 * What a test needs to run the worker in a process of its own: a database
 * that other processes can reach, and the worker process itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { projectRoot } from '../../config';
import { openDatabase } from '../../db/client';
import { serveOverWire } from './wire-postgres';

/**
 * DATABASE_URL when it is set (CI's PostgreSQL, migrated by the global setup);
 * otherwise an embedded PostgreSQL served over the wire on loopback, migrated here.
 */
export async function sharedDatabase(): Promise<{ url: string; close(): Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, close: async () => {} };
  const db = await PGlite.create();
  const { url, close } = await serveOverWire(db);
  const migrator = await openDatabase({ databaseUrl: url, poolSize: 1 });
  await migrator.migrate();
  await migrator.close();
  return {
    url,
    async close() {
      await close();
      await db.close();
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the worker polls. */
  ready: Promise<void>;
  /** Resolves when the worker is built and waits for `go()` (when spawned with `{ wait: true }`). */
  warm: Promise<void>;
  /** Lets a worker spawned with `{ wait: true }` poll. */
  go(): void;
  /** Kills it with SIGKILL (no shutdown at all) and waits until it is gone. */
  kill(): Promise<void>;
}

/**
 * Starts test/support/worker-process.ts with this environment over the test's own.
 * With `wait`, it gets ready and waits for `go()` before it polls.
 */
export function spawnWorker(env: Record<string, string>, options: { wait?: boolean } = {}): WorkerProcess {
  const child = spawn(
    process.execPath,
    // Preloaded as `npm run worker` preloads it (workflow-thread.cjs).
    [
      '--require',
      path.join(projectRoot, 'workflow-thread.cjs'),
      '--import',
      'tsx',
      path.join(projectRoot, 'test', 'support', 'worker-process.ts'),
    ],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
        LOG_LEVEL: 'error',
        ...(options.wait ? { WORKER_WAIT_FOR_GO: '1' } : {}),
        ...env,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const printed = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const look = () => out.includes(word) && resolve();
      child.stdout!.on('data', look);
      look();
      void exited.then(() => reject(new Error(`the worker process exited before it printed "${word}": ${out}`)));
    });
  const ready = printed('ready');
  const warm = printed('warm');
  ready.catch(() => {});
  warm.catch(() => {});
  return {
    child,
    ready,
    warm,
    go: () => child.stdin!.write('go\n'),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
