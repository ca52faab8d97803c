/**
 * `npm start` as a user runs it: everything in one process with the embedded
 * defaults (dev server on a SQLite file, embedded PostgreSQL), stopped with
 * Ctrl-C and started again with definitions and runs kept.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../config';
import { freePort } from '../global-setup';

const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-start-'));
const adminKey = 'test-admin-key-0123456789abcdef';
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  process: ChildProcess;
  output: () => string;
}

async function start(env: Record<string, string>): Promise<Started> {
  const { DATABASE_URL: _ignored, TEMPORAL_ADDRESS: _alsoIgnored, ...rest } = process.env;
  const proc = spawn(process.execPath, [path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'main.ts'], {
    cwd: projectRoot,
    env: { ...rest, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes('Ctrl-C stops everything')) resolve();
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { process: proc, output: () => output };
}

async function stop(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.process.once('exit', (code) => resolve(code)));
  started.process.kill('SIGINT');
  return exited;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

describe('npm start', () => {
  it('runs everything in one process, stops cleanly on Ctrl-C, and keeps definitions and runs across a restart', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env = { DATA_DIR: dataDir, PORT: String(apiPort), TEMPORAL_DEV_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), ADMIN_API_KEY: adminKey, LOG_LEVEL: 'warn' };
    const base = `http://127.0.0.1:${apiPort}`;
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    let started = await start(env);
    expect(started.output()).toContain(`http://127.0.0.1:${uiPort}`);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const created = await call('POST', '/api/workflows', {
      name: 'Kept',
      definition: {
        nodes: [{ id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } }, { id: 'e', type: 'end', data: { output: { hello: '{{ input.who }}' } } }],
        edges: [{ id: 'e1', source: 't', target: 'e' }],
      },
    });
    const id = created.json.id as string;
    expect((await call('POST', `/api/workflows/${id}/publish`)).status).toBe(201);
    const runId = (await call('POST', `/api/workflows/${id}/runs`, { input: { who: 'world' } })).json.runId as string;
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    await new Client({ connection }).workflow.getHandle(runId).result();
    await connection.close();

    expect(await stop(started)).toBe(0);
    // The dev server went with it: nothing is left listening.
    expect(await portOpen(temporalPort)).toBe(false);
    expect(await portOpen(apiPort)).toBe(false);

    started = await start(env);
    expect((await call('GET', `/api/workflows/${id}`)).json).toMatchObject({ name: 'Kept', latestVersion: 1 });
    expect((await call('GET', `/api/runs/${runId}`)).json).toMatchObject({ status: 'completed', output: { hello: 'world' } });
    const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const described = await new Client({ connection: again }).workflow.getHandle(runId).describe();
    expect(described.status.name).toBe('COMPLETED');
    await again.close();
    expect(await stop(started)).toBe(0);
  }, 240_000);
});
