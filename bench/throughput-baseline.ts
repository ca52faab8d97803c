/**
 * The hand-written baseline's side of the throughput bench: its one activity (the POST to the scorer), and its
 * worker (bench/throughput-baseline-worker.ts) started as a process of its own against the server under test.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../config';
import { startCommand } from '../test/support/npm-start';

export const BASELINE_WORKFLOW = 'throughputBaseline';

export interface BaselineActivities {
  postScore(url: string, body: { level: string }): Promise<{ score: number }>;
}

export const baselineActivities: BaselineActivities = {
  async postScore(url, body) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`the scorer answered ${res.status}`);
    return (await res.json()) as { score: number };
  },
};

export interface BaselineWorker {
  pid: number;
  close(): Promise<void>;
}

/** Starts the baseline's worker on `taskQueue`; resolves once it polls. */
export async function startBaselineWorker(
  address: string,
  taskQueue: string,
  dataDir: string,
): Promise<BaselineWorker> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'throughput-baseline-worker.ts');
  // Node's flags and environment as `npm start` runs ours, so neither side has a heap setting the other lacks.
  const start = startCommand();
  const child = spawn(process.execPath, [...start.args.slice(0, -1), script], {
    cwd: projectRoot,
    env: { ...process.env, ...start.env, TEMPORAL_ADDRESS: address, BASELINE_QUEUE: taskQueue, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => output.includes('ready') && resolve());
    void exited.then(() => reject(new Error(`the baseline worker exited:\n${output}`)));
  });
  return {
    pid: child.pid!,
    async close() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
