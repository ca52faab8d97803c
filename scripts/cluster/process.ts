/**
 * One process of the cluster (server, worker, API, Web UI): its output kept in a
 * log file and watched for a readiness line, killable by signal the way a host
 * dies, and never outliving the script that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { projectRoot } from '../python-tools';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** How it ended (`exit 1`, `SIGKILL`), or undefined while it runs. */
  exited(): string | undefined;
  /** Resolves when it has exited. */
  readonly gone: Promise<void>;
  /** Resolves when its output has contained `text`; rejects if it exits first or `timeoutMs` passes. */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (default SIGKILL: no shutdown at all) and waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;
/** If this script dies without stopping them, its children must not run on (ports, PostgreSQL connections). */
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of alive) child.kill('SIGKILL');
  });
}

export function startProcess(options: {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  logFile: string;
  cwd?: string;
}): ManagedProcess {
  killAllOnExit();
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`\n--- ${new Date().toISOString()} ${options.command} ${options.args.join(' ')}\n`);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd ?? projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  let output = '';
  let ended: string | undefined;
  const watchers = new Set<() => void>();
  const take = (chunk: Buffer) => {
    log.write(chunk);
    // Only the tail is kept for readiness lines; the log file has everything.
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    for (const watch of watchers) watch();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = signal ?? `exit ${code}`;
      alive.delete(child);
      for (const watch of watchers) watch();
      log.end();
      resolve();
    });
    child.once('error', (error) => {
      ended = `failed to start: ${error.message}`;
      alive.delete(child);
      for (const watch of watchers) watch();
      resolve();
    });
  });
  const proc: ManagedProcess = {
    name: options.name,
    child,
    logFile: options.logFile,
    exited: () => ended,
    gone,
    printed(text, timeoutMs = 180_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            done(
              new Error(`${options.name} did not print "${text}" within ${timeoutMs / 1000} s; see ${options.logFile}`),
            ),
          timeoutMs,
        );
        const done = (error?: Error) => {
          clearTimeout(timer);
          watchers.delete(watch);
          if (error) reject(error);
          else resolve();
        };
        const watch = () => {
          if (output.includes(text)) done();
          else if (ended)
            done(new Error(`${options.name} ended (${ended}) before it printed "${text}"; see ${options.logFile}`));
        };
        watchers.add(watch);
        watch();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (!ended) child.kill(signal);
      await gone;
    },
    async stop(graceMs = 10_000) {
      if (ended) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await gone;
      clearTimeout(timer);
    },
  };
  return proc;
}
