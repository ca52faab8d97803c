/**
 * The supervisor's restart and give-up rules, on real child processes (a
 * sleeping node) standing in for the dev server: the Temporal dev server itself
 * is killed and restarted in test/integration/supervision.test.ts.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { superviseDevServer, type SupervisedDevServer } from './supervise';
import type { DevServer } from './temporal';

const started: DevServer[] = [];
let supervisor: SupervisedDevServer | undefined;
afterEach(async () => {
  await supervisor?.stop();
  for (const s of started) s.process.kill('SIGKILL');
  started.length = 0;
});

function sleeper(): DevServer {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  const server: DevServer = {
    address: '127.0.0.1:1',
    uiUrl: undefined,
    cli: process.execPath,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  started.push(server);
  return server;
}

const until = async (probe: () => boolean) => {
  while (!probe()) await new Promise((r) => setTimeout(r, 10));
};

describe('superviseDevServer', () => {
  it('restarts a killed server after a backoff, and stop() leaves nothing running', async () => {
    const lines: string[] = [];
    supervisor = await superviseDevServer({
      start: async () => sleeper(),
      log: (l) => lines.push(l),
      onGiveUp: () => {},
      initialDelayMs: 20,
    });
    const first = supervisor.current();
    first.process.kill('SIGKILL');
    await until(() => supervisor!.current() !== first);
    expect(lines[0]).toMatch(/exited unexpectedly with SIGKILL; restarting it in 0\.0 s/);
    expect(lines[1]).toMatch(/is back/);
    const second = supervisor.current();
    await supervisor.stop();
    expect(second.process.exitCode !== null || second.process.signalCode !== null).toBe(true);
    expect(started.length).toBe(2);
  });

  it('does not restart a server that exits after release() (Ctrl-C reaches it too)', async () => {
    const lines: string[] = [];
    supervisor = await superviseDevServer({
      start: async () => sleeper(),
      log: (l) => lines.push(l),
      onGiveUp: () => {},
      initialDelayMs: 5,
    });
    const only = supervisor.current();
    supervisor.release();
    only.process.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    expect(lines).toEqual([]);
    expect(started.length).toBe(1);
  });

  it('gives up with a clear message when the server keeps failing to start', async () => {
    const lines: string[] = [];
    let attempts = 0;
    let reason = '';
    supervisor = await superviseDevServer({
      start: async () => {
        if (attempts++ > 0) throw new Error('port taken');
        return sleeper();
      },
      log: (l) => lines.push(l),
      onGiveUp: (why) => (reason = why),
      initialDelayMs: 5,
      maxFailures: 3,
    });
    supervisor.current().process.kill('SIGKILL');
    await until(() => reason !== '');
    expect(reason).toMatch(
      /giving up on the dev server: the dev server did not start again \(port taken\); 4 failures within 120 s/,
    );
    // Exponential backoff between the tries: 5, 10, 20 ms.
    expect(lines.filter((l) => /restarting it in/.test(l))).toHaveLength(3);
    expect(attempts).toBe(4);
  });
});
