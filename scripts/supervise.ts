/**
 * Keeps the Temporal dev server that `npm start` owns running: when it exits on
 * its own, it is started again on the same state file and port, with backoff,
 * until it fails too often in a short window. The worker and the API's client
 * reconnect by themselves once the port answers again.
 */
import { rmSync, writeFileSync } from 'node:fs';
import type { DevServer } from './temporal';

export interface SupervisorOptions {
  /** Starts one dev server (same state file and port every time). */
  start: () => Promise<DevServer>;
  /** Where the supervisor's own lines go. */
  log?: (line: string) => void;
  /** Called once when the supervisor stops trying; the caller decides what to do with the process. */
  onGiveUp: (reason: string) => void;
  /** The dev server's pid is kept here while it runs (operators and tests find it there). */
  pidFile?: string;
  /** First restart delay; doubled for each failure in the window, up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** More than this many failures (exits or failed starts) within `windowMs` and the supervisor gives up. */
  maxFailures?: number;
  windowMs?: number;
}

export interface SupervisedDevServer {
  readonly address: string;
  readonly uiUrl: string | undefined;
  /** The dev server process running now (it changes with every restart). */
  current(): DevServer;
  /**
   * No restarts from now on: the process is stopping (a Ctrl-C in a terminal reaches the dev server
   * too, and its exit is then no accident). `stop()` still stops it.
   */
  release(): void;
  /** Stops the dev server for good: no restart follows. */
  stop(): Promise<void>;
}

export async function superviseDevServer(options: SupervisorOptions): Promise<SupervisedDevServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const initialDelayMs = options.initialDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxFailures = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 120_000;

  let server = await options.start();
  let stopping = false;
  let gaveUp = false;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;
  const failures: number[] = [];

  const recordPid = () => {
    if (options.pidFile && server.process.pid) writeFileSync(options.pidFile, `${server.process.pid}\n`);
  };
  const forgetPid = () => {
    if (options.pidFile) rmSync(options.pidFile, { force: true });
  };

  /** Counts a failure; answers the delay before the next try, or undefined once it is time to give up. */
  const nextDelay = (): number | undefined => {
    const now = Date.now();
    failures.push(now);
    while (failures.length && failures[0]! < now - windowMs) failures.shift();
    if (failures.length > maxFailures) return undefined;
    return Math.min(initialDelayMs * 2 ** (failures.length - 1), maxDelayMs);
  };

  const giveUp = (why: string) => {
    gaveUp = true;
    forgetPid();
    const reason = `[temporal] giving up on the dev server: ${why}; ${failures.length} failures within ${Math.round(windowMs / 1000)} s. See its log, fix the cause, and start again.`;
    log(reason);
    options.onGiveUp(reason);
  };

  const schedule = (why: string) => {
    const delay = nextDelay();
    if (delay === undefined) return giveUp(why);
    log(
      `[temporal] ${why}; restarting it in ${(delay / 1000).toFixed(delay < 1000 ? 1 : 0)} s on the same state file (${server.address})`,
    );
    timer = setTimeout(() => {
      timer = undefined;
      restarting = restart().finally(() => (restarting = undefined));
    }, delay);
  };

  const restart = async () => {
    if (stopping) return;
    try {
      const started = await options.start();
      if (stopping) {
        await started.stop();
        return;
      }
      server = started;
      watch();
      recordPid();
      log(`[temporal] the dev server is back at ${server.address} (pid ${server.process.pid})`);
    } catch (error) {
      if (!stopping)
        schedule(`the dev server did not start again (${String((error as Error).message ?? error).split('\n')[0]})`);
    }
  };

  const watch = () => {
    const watched = server;
    watched.process.once('exit', (code, signal) => {
      if (stopping || watched !== server) return;
      forgetPid();
      schedule(`the dev server (pid ${watched.process.pid}) exited unexpectedly with ${signal ?? `code ${code}`}`);
    });
  };

  watch();
  recordPid();

  return {
    address: server.address,
    uiUrl: server.uiUrl,
    current: () => server,
    release() {
      stopping = true;
      if (timer) clearTimeout(timer);
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await restarting;
      if (!gaveUp) await server.stop();
      forgetPid();
    },
  };
}
