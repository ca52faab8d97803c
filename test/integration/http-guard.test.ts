/**
 * The SSRF guard, end to end: with HTTP_ALLOW_PRIVATE unset, a node aimed at
 * loopback (by address or by a name that resolves there) fails as refused and
 * nothing reaches the target. Only loopback is ever addressed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, settled } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

let h: Harness;
let target: HttpTarget;
beforeAll(async () => {
  target = await startHttpTarget();
  h = await createHarness({ HTTP_ALLOW_PRIVATE: 'false' });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

async function runCalling(url: string) {
  const definition = {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      { id: 'call', type: 'action', data: { action: 'http', url, retry: { maximumAttempts: 3, initialInterval: '100ms' } } },
      { id: 'ok', type: 'end', data: { output: { reached: true } } },
      { id: 'refused', type: 'end', data: { output: { error: '{{ nodes.call.error }}' } } },
    ],
    edges: [{ id: 'e1', source: 't', target: 'call' }, { id: 'e2', source: 'call', target: 'ok' }, { id: 'e3', source: 'call', sourceHandle: 'error', target: 'refused' }],
  };
  const id = (await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: `Guarded ${url}`, definition } })).json().id;
  await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  const runId = (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })).json().runId;
  await settled(h, runId);
  return (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
}

describe('outbound HTTP without HTTP_ALLOW_PRIVATE', () => {
  it('refuses loopback by address and by name, at once and without retrying, and sends nothing', async () => {
    const port = new URL(target.url).port;
    for (const url of [`${target.url}/secret`, `http://localhost:${port}/secret`, `http://[::1]:${port}/secret`]) {
      const run = await runCalling(url);
      expect(run.output.error, url).toMatchObject({ type: 'HttpBlocked', message: expect.stringContaining('HTTP_ALLOW_PRIVATE') });
      expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'call').attempt).toBe(1);
    }
    expect(target.received).toHaveLength(0);
  });

  it('refuses schemes other than http and https', async () => {
    const run = await runCalling('file:///etc/passwd');
    expect(run.output.error.message).toContain('only http and https');
  });
});
