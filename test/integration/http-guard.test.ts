/**
 * The SSRF guard, end to end: with HTTP_ALLOW_PRIVATE unset, a node aimed at
 * loopback (by address or by a name that resolves there) fails as refused and
 * nothing reaches the target. Only loopback is ever addressed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, settled } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let target: HttpTarget;
let smtp: SmtpSink;
beforeAll(async () => {
  [target, smtp] = await Promise.all([startHttpTarget(), startSmtpSink()]);
  // The mail server is the operator's own and not guarded; what a graph asks to fetch is.
  h = await createHarness({ HTTP_ALLOW_PRIVATE: 'false', SMTP_URL: smtp.url });
});
afterAll(async () => {
  await h?.close();
  await Promise.all([target?.close(), smtp?.close()]);
});

async function runCalling(url: string) {
  const definition = {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      {
        id: 'call',
        type: 'action',
        data: { action: 'http', url, retry: { maximumAttempts: 3, initialInterval: '100ms' } },
      },
      { id: 'ok', type: 'end', data: { output: { reached: true } } },
      { id: 'refused', type: 'end', data: { output: { error: '{{ nodes.call.error }}' } } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'call' },
      { id: 'e2', source: 'call', target: 'ok' },
      { id: 'e3', source: 'call', sourceHandle: 'error', target: 'refused' },
    ],
  };
  const id = (
    await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: `Guarded ${url}`, definition },
    })
  ).json().id;
  await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  const runId = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
  ).json().runId;
  await settled(h, runId);
  return (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
}

describe('outbound HTTP without HTTP_ALLOW_PRIVATE', () => {
  it('refuses loopback by address and by name, at once and without retrying, and sends nothing', async () => {
    const port = new URL(target.url).port;
    for (const url of [`${target.url}/secret`, `http://localhost:${port}/secret`, `http://[::1]:${port}/secret`]) {
      const run = await runCalling(url);
      expect(run.output.error, url).toMatchObject({
        type: 'HttpBlocked',
        message: expect.stringContaining('HTTP_ALLOW_PRIVATE'),
      });
      expect(run.steps.find((s: { nodeId: string }) => s.nodeId === 'call').attempt).toBe(1);
    }
    expect(target.received).toHaveLength(0);
  });

  it('refuses an email attachment fetched from loopback, and sends no mail', async () => {
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'mail',
          type: 'integration',
          data: {
            provider: 'email',
            to: ['a@example.com'],
            subject: 's',
            text: 't',
            attachments: [{ url: `http://[::ffff:127.0.0.1]:${new URL(target.url).port}/file` }],
          },
        },
        { id: 'ok', type: 'end', data: {} },
        { id: 'refused', type: 'end', data: { output: { error: '{{ nodes.mail.error }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'mail' },
        { id: 'e2', source: 'mail', target: 'ok' },
        { id: 'e3', source: 'mail', sourceHandle: 'error', target: 'refused' },
      ],
    };
    const id = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Guarded attachment', definition },
      })
    ).json().id;
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    const runId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
    ).json().runId;
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.output.error).toMatchObject({
      type: 'HttpBlocked',
      message: expect.stringContaining('HTTP_ALLOW_PRIVATE'),
    });
    expect(target.received).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('refuses schemes other than http and https', async () => {
    const run = await runCalling('file:///etc/passwd');
    expect(run.output.error.message).toContain('only http and https');
  });
});
