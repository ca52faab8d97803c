/** Outbound webhooks signed like inbound ones, with the secret kept out of history; the integration catalogue. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyWebhook } from '../../lib/webhook-signature';
import { createHarness, type Harness, settled } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

const SECRET = `outbound-secret-${Date.now()}-do-not-leak`;

let h: Harness;
let target: HttpTarget;
beforeAll(async () => {
  target = await startHttpTarget();
  h = await createHarness({ SECRETS_KEY: randomBytes(32).toString('base64') });
  // The tenant's own secrets store (environment secrets are the default tenant's alone).
  expect(
    (
      await h.api(h.tenant.adminKey, {
        method: 'PUT',
        url: '/api/variables/TEST_OUTBOUND_SECRET',
        payload: { type: 'secret', value: SECRET },
      })
    ).statusCode,
  ).toBe(200);
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

describe('outbound webhooks', () => {
  it('are signed with the named secret, carry an idempotency key, and the secret appears nowhere in history or API answers', async () => {
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'tell',
          type: 'integration',
          data: {
            provider: 'webhook',
            url: `${target.url}/receiver`,
            body: { order: '{{ input.order }}' },
            secretRef: 'TEST_OUTBOUND_SECRET',
          },
        },
        { id: 'e', type: 'end', data: { output: { status: '{{ nodes.tell.output.status }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'tell' },
        { id: 'e2', source: 'tell', target: 'e' },
      ],
    };
    const id = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Outbound', definition },
      })
    ).json().id;
    expect((await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(
      201,
    );
    const runId = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: `/api/workflows/${id}/runs`,
        payload: { input: { order: 42 } },
      })
    ).json().runId;
    await settled(h, runId);

    const received = target.received.find((r) => r.url === '/receiver')!;
    expect(JSON.parse(received.body)).toEqual({ order: 42 });
    expect(received.headers['idempotency-key']).toBe(`${runId}:tell:1`);
    const verdict = verifyWebhook({
      preset: 'generic',
      headers: received.headers,
      raw: Buffer.from(received.body),
      secrets: [SECRET],
      now: Date.now(),
    });
    expect(verdict).toMatchObject({ ok: true, deliveryId: `${runId}:tell:1` });

    const json = execFileSync(
      inject('temporalCli'),
      ['workflow', 'show', '--workflow-id', runId, '--output', 'json', '--address', inject('temporalAddress')],
      { encoding: 'utf8' },
    );
    // Payloads are base64 in the history's JSON form: search their decoded text too.
    const decoded: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'data' && typeof x === 'string') decoded.push(Buffer.from(x, 'base64').toString('utf8'));
          else walk(x);
        }
      }
    };
    walk(JSON.parse(json));
    const history = `${json}\n${decoded.join('\n')}`;
    expect(history).toContain('TEST_OUTBOUND_SECRET');
    expect(history).not.toContain(SECRET);
    const run = await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` });
    expect(run.json().output).toEqual({ status: 200 });
    // A call that may change something is an intent in the ledger, sent once.
    expect(run.json().notifications).toEqual([
      expect.objectContaining({
        idempotencyKey: `${runId}:tell:1`,
        channel: 'webhook',
        type: 'http.request',
        status: 'sent',
        recipients: [`${target.url}/receiver`],
      }),
    ]);
    expect(run.json().notifications[0]).not.toHaveProperty('result');
    expect(run.body).not.toContain(SECRET);
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}/history` })).body).not.toContain(
      SECRET,
    );
  });
});

describe('the integration catalogue', () => {
  it('lists each provider with the JSON Schema of its config, and publish checks node config against it', async () => {
    const catalogue = (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/integrations' })).json();
    expect(catalogue.items.map((i: { provider: string }) => i.provider)).toEqual(['http', 'webhook', 'email', 'slack']);
    const email = catalogue.items.find((i: { provider: string }) => i.provider === 'email');
    expect(email.actions[0].configSchema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['to', 'subject']),
    });

    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'mail', type: 'integration', data: { provider: 'email', to: ['a@example.com'] } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'mail' },
        { id: 'e2', source: 'mail', target: 'e' },
      ],
    };
    const id = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Bad mail', definition },
      })
    ).json().id;
    const refused = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['nodes[1].data.subject']),
    );
  });
});
