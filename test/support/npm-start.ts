/**
 * `npm start`'s main as a real child process, for tests that stop, kill and
 * restart it or its parts: started with an environment, awaited until ready,
 * stopped with Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../config';

export interface StartedMain {
  process: ChildProcess;
  output: () => string;
}

/**
 * `npm start`'s command line from package.json: its environment assignments (MALLOC_ARENA_MAX …) and node's
 * arguments, so tests and benchmarks run the very process users run, flags and all.
 */
export function startCommand(): { env: Record<string, string>; args: string[] } {
  const script = (
    JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }
  ).scripts.start;
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  for (let word = words[0]; word && /^[A-Z_][A-Z0-9_]*=/.test(word); word = words[0]) {
    const [name = '', ...value] = (words.shift() ?? '').split('=');
    env[name] = value.join('=');
  }
  if (words.shift() !== 'node') throw new Error(`npm start is expected to run node, not: ${script}`);
  return { env, args: words };
}

/**
 * Starts main.ts with `env` over this process's (minus DATABASE_URL and TEMPORAL_ADDRESS: the embedded defaults);
 * `nodeArgs` go before npm start's own (a benchmark's --cpu-prof, which NODE_OPTIONS may not carry).
 */
export async function startMain(env: Record<string, string>, nodeArgs: string[] = []): Promise<StartedMain> {
  const { DATABASE_URL: _ignored, TEMPORAL_ADDRESS: _alsoIgnored, ...rest } = process.env;
  // As `npm start` runs it: one node process with tsx's loader (no tsx wrapper process).
  const start = startCommand();
  const proc = spawn(process.execPath, [...nodeArgs, ...start.args], {
    cwd: projectRoot,
    env: { ...rest, ...start.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', () => {
      if (output.includes('Ctrl-C stops everything')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { process: proc, output: () => output };
}

/** Ctrl-C; answers the exit code. */
export async function stopMain(started: StartedMain): Promise<number | null> {
  if (started.process.exitCode !== null) return started.process.exitCode;
  const exited = new Promise<number | null>((resolve) => started.process.once('exit', (code) => resolve(code)));
  started.process.kill('SIGINT');
  return exited;
}

/** After a failed test: kill main and the dev server it started (a SIGKILLed main cannot stop it). */
export function killMain(started: StartedMain | undefined, dataDir: string): void {
  started?.process.kill('SIGKILL');
  const pidFile = path.join(dataDir, 'temporal.pid');
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** An API caller for a started main. */
export function apiCaller(base: string, key: string) {
  return async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: res.status, json, headers: res.headers };
  };
}
