/**
 * `npm start` as a user runs it: everything in one process with the embedded
 * defaults (dev server on a SQLite file, embedded PostgreSQL), stopped with
 * Ctrl-C and started again with definitions and runs kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../global-setup';
import { apiCaller, killMain, portOpen, startMain, type StartedMain, stopMain } from '../support/npm-start';

const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-start-'));
const adminKey = 'test-admin-key-0123456789abcdef';
let current: StartedMain | undefined;

afterAll(() => {
  // Only after a failure is anything still running: main and the dev server it started.
  if (current?.process.exitCode === null) killMain(current, dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

const start = async (env: Record<string, string>) => (current = await startMain(env));

describe('npm start', () => {
  it('runs everything in one process, stops cleanly on Ctrl-C, and keeps definitions and runs across a restart', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      DATA_DIR: dataDir,
      PORT: String(apiPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'warn',
    };
    const base = `http://127.0.0.1:${apiPort}`;
    const call = apiCaller(base, adminKey);

    let started = await start(env);
    expect(started.output()).toContain(`http://127.0.0.1:${uiPort}`);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const created = await call('POST', '/api/workflows', {
      name: 'Kept',
      definition: {
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          { id: 'e', type: 'end', data: { output: { hello: '{{ input.who }}' } } },
        ],
        edges: [{ id: 'e1', source: 't', target: 'e' }],
      },
    });
    const id = created.json.id as string;
    expect((await call('POST', `/api/workflows/${id}/publish`)).status).toBe(201);
    const runId = (await call('POST', `/api/workflows/${id}/runs`, { input: { who: 'world' } })).json.runId as string;
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    await new Client({ connection }).workflow.getHandle(runId).result();
    await connection.close();

    expect(await stopMain(started)).toBe(0);
    // The dev server went with it: nothing is left listening.
    expect(await portOpen(temporalPort)).toBe(false);
    expect(await portOpen(apiPort)).toBe(false);

    started = await start(env);
    expect((await call('GET', `/api/workflows/${id}`)).json).toMatchObject({ name: 'Kept', latestVersion: 1 });
    expect((await call('GET', `/api/runs/${runId}`)).json).toMatchObject({
      status: 'completed',
      output: { hello: 'world' },
    });
    const again = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const described = await new Client({ connection: again }).workflow.getHandle(runId).describe();
    expect(described.status.name).toBe('COMPLETED');
    await again.close();
    expect(await stopMain(started)).toBe(0);
  }, 240_000);
});
