/**
 * Node outputs too large for Temporal's history are stored in PostgreSQL and referenced; the next node and the API see
 * them whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, settled } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

let h: Harness;
let target: HttpTarget;
beforeAll(async () => {
  target = await startHttpTarget();
  h = await createHarness({ MAX_INLINE_OUTPUT_BYTES: String(16 * 1024) });
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

describe('large outputs', () => {
  it('keeps a 600 KB response out of the history, and still hands it whole to the next node and the API', async () => {
    const big = { rows: Array.from({ length: 6000 }, (_, i) => ({ i, text: `row ${i} `.padEnd(80, '.') })) };
    target.answer('/export', 200, big);
    const key = h.tenant.adminKey;
    const id = (
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: {
          name: 'Big body',
          definition: {
            nodes: [
              { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
              { id: 'fetch', type: 'action', data: { action: 'http', url: `${target.url}/export` } },
              {
                id: 'forward',
                type: 'action',
                data: {
                  action: 'http',
                  method: 'POST',
                  url: `${target.url}/import`,
                  body: '{{ nodes.fetch.output.body }}',
                },
              },
              {
                id: 'ok',
                type: 'condition',
                data: { condition: { field: 'nodes.fetch.output.status', operator: 'equals', value: 200 } },
              },
              { id: 'e', type: 'end', data: { output: { data: '{{ nodes.fetch.output.body }}' } } },
              { id: 'no', type: 'end', data: { status: 'failed' } },
            ],
            edges: [
              { id: 'e1', source: 't', target: 'fetch' },
              { id: 'e2', source: 'fetch', target: 'forward' },
              { id: 'e3', source: 'forward', target: 'ok' },
              { id: 'e4', source: 'ok', sourceHandle: 'true', target: 'e' },
              { id: 'e5', source: 'ok', sourceHandle: 'false', target: 'no' },
            ],
          },
        },
      })
    ).json().id;
    await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    const runId = (
      await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
    ).json().runId;
    await settled(h, runId);

    const forwarded = target.received.find((r) => r.url === '/import')!;
    expect(JSON.parse(forwarded.body)).toEqual(big);
    const run = (await h.api(key, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('completed');
    expect(run.output.data).toEqual(big);
    const described = await h.temporal.workflow.getHandle(runId).describe();
    expect(described.historySize).toBeLessThan(100 * 1024);
  });
});
