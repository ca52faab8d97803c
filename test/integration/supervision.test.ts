/**
 * `npm start` heals its own dev server: the `temporal server start-dev` child is
 * SIGKILLed (as the OOM killer or an operator would) while runs wait on a delay
 * and on an approval; it comes back on the same state file, the runs complete,
 * and the approval decided after the restart takes effect.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../global-setup';
import { eventually } from '../harness';
import { approvalDefinition } from '../support/graphs';
import { apiCaller, killMain, portOpen, startMain, stopMain, type StartedMain } from '../support/npm-start';

const dataDir = mkdtempSync(path.join(tmpdir(), 'graphflow-supervise-'));
const adminKey = 'test-admin-key-0123456789abcdef';
let started: StartedMain | undefined;

afterAll(() => {
  killMain(started, dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

const pidFile = path.join(dataDir, 'temporal.pid');
const devServerPid = () => Number(readFileSync(pidFile, 'utf8').trim());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const delayDefinition = {
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
    { id: 'wait', type: 'delay', data: { duration: '6s' } },
    { id: 'e', type: 'end', data: { output: { waited: true } } },
  ],
  edges: [
    { id: 'e1', source: 't', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'e' },
  ],
};

describe('npm start supervises its Temporal dev server', () => {
  it('restarts a SIGKILLed dev server on the same state file: a waiting delay and an approval decided after the restart both complete', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    started = await startMain({
      DATA_DIR: dataDir,
      PORT: String(apiPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'warn',
    });
    const call = apiCaller(`http://127.0.0.1:${apiPort}`, adminKey);

    const publish = async (name: string, definition: unknown) => {
      const created = await call('POST', '/api/workflows', { name, definition });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect((await call('POST', `/api/workflows/${created.json.id as string}/publish`)).status).toBe(201);
      return created.json.id as string;
    };
    const delayed = await publish('Waits', delayDefinition);
    const approved = await publish(
      'Asks',
      approvalDefinition({ label: 'Decide', approverRoles: ['manager'], expiresIn: '1h' }),
    );
    // The requester of a run may not decide its approvals: a manager of its own decides.
    const manager = (
      await call('POST', '/api/users', { email: 'manager@example.com', name: 'Manager', roles: ['manager'] })
    ).json.id as string;
    const managerKey = (await call('POST', '/api/api-keys', { userId: manager })).json.key as string;
    const asManager = apiCaller(`http://127.0.0.1:${apiPort}`, managerKey);
    const delayRun = (await call('POST', `/api/workflows/${delayed}/runs`, { input: {} })).json.runId as string;
    const approvalRun = (await call('POST', `/api/workflows/${approved}/runs`, { input: {} })).json.runId as string;
    const approvalId = await eventually(async () => {
      const run = await call('GET', `/api/runs/${approvalRun}`);
      const approvals = (run.json.approvals ?? []) as Array<{ id: string; status: string }>;
      return approvals.find((a) => a.status === 'pending')?.id;
    }, 200);

    const killed = devServerPid();
    expect(alive(killed)).toBe(true);
    process.kill(killed, 'SIGKILL');

    // One clear line, then the server is back under a new pid on the same port.
    await eventually(
      async () => started!.output().includes(`the dev server (pid ${killed}) exited unexpectedly with SIGKILL`),
      100,
    );
    await eventually(async () => started!.output().includes('the dev server is back'), 200);
    const restarted = devServerPid();
    expect(restarted).not.toBe(killed);
    expect(alive(restarted)).toBe(true);
    expect(await portOpen(temporalPort)).toBe(true);

    // The decision goes through the Update once the API's client has reconnected.
    const decided = await eventually(async () => {
      const res = await asManager('POST', `/api/approvals/${approvalId}/decision`, { decision: 'approved' });
      if (res.status === 503) return undefined;
      return res;
    }, 250);
    expect(decided.status, JSON.stringify(decided.json)).toBe(200);

    for (const [runId, output] of [
      [delayRun, { waited: true }],
      [approvalRun, { outcome: 'approved' }],
    ] as const) {
      const run = await eventually(async () => {
        const res = await call('GET', `/api/runs/${runId}`);
        return res.json.status === 'completed' ? res.json : undefined;
      }, 250);
      expect(run).toMatchObject({ status: 'completed', output });
    }
    // State kept across the restart: the same file, not a fresh server.
    expect((await call('GET', `/api/runs?limit=10`)).status).toBe(200);

    expect(await stopMain(started)).toBe(0);
    expect(alive(restarted)).toBe(false);
    expect(await portOpen(temporalPort)).toBe(false);
    expect(await portOpen(apiPort)).toBe(false);
    expect(() => readFileSync(pidFile)).toThrow();
  }, 240_000);
});
