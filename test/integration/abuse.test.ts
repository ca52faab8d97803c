/**
 * Strangers and repeats cost little and start nothing twice: refused webhooks are counted, not stored; rate
 * limits answer 429 with Retry-After; an Idempotency-Key or a webhook delivery names one run for
 * IDEMPOTENCY_TTL, however it is repeated; a tenant's webhook paths are its own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries, workflowApprovals, workflowInstances, workflowTriggers } from '../../db/schema';
import { hmacHex, signGeneric } from '../../lib/webhook-signature';
import { createHarness, eventually, type Harness, settled, type TenantFixture } from '../harness';
import { approvalDefinition } from '../support/graphs';

const SECRETS_KEY = randomBytes(32).toString('base64');
const HOOK_SECRET = 'whsec-abuse-0123456789';
const GITHUB_SECRET = 'gh-abuse-secret';

let h: Harness;
/** Its own world with a small limit and a short memory, so the limits can be reached and outlived quickly. */
let tight: Harness;

beforeAll(async () => {
  [h, tight] = await Promise.all([
    createHarness({ SECRETS_KEY }),
    createHarness({ SECRETS_KEY, RATE_LIMIT_PER_MINUTE: '5', IDEMPOTENCY_TTL: '2s' }),
  ]);
  for (const [name, value] of [
    ['HOOK_SECRET', HOOK_SECRET],
    ['GITHUB_SECRET', GITHUB_SECRET],
  ]) {
    expect(
      (
        await h.api(h.tenant.adminKey, {
          method: 'PUT',
          url: `/api/variables/${name}`,
          payload: { type: 'secret', value },
        })
      ).statusCode,
    ).toBe(200);
  }
});
afterAll(async () => {
  await Promise.all([h?.close(), tight?.close()]);
});

const hookGraph = (trigger: Record<string, unknown>) => ({
  nodes: [
    { id: 'hook', type: 'trigger', data: { trigger: { type: 'webhook', ...trigger } } },
    { id: 'e', type: 'end', data: { output: { got: '{{ input.n }}' } } },
  ],
  edges: [{ id: 'e1', source: 'hook', target: 'e' }],
});

/** Creates and publishes a workflow; answers its id. */
async function publish(world: Harness, tenant: TenantFixture, name: string, definition: unknown): Promise<string> {
  const id = (
    await world.api(tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id as string;
  const published = await world.api(tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  return id;
}

/** The URL path a tenant gives its sender, as the trigger list shows it. */
async function hookUrl(world: Harness, tenant: TenantFixture, workflowId: string): Promise<string> {
  const items = (await world.api(tenant.adminKey, { method: 'GET', url: '/api/webhooks' })).json().items as Array<{
    workflowId: string;
    url: string;
  }>;
  return new URL(items.find((i) => i.workflowId === workflowId)!.url).pathname;
}

const post = (world: Harness, url: string, body: string, headers: Record<string, string>, remoteAddress?: string) =>
  world.app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
    ...(remoteAddress ? { remoteAddress } : {}),
  });

const runsOf = async (workflowId: string) =>
  (
    await h.database.db
      .select({ n: count() })
      .from(workflowInstances)
      .where(eq(workflowInstances.workflowId, workflowId))
  )[0]!.n;
const triggerOf = async (workflowId: string) =>
  (
    await h.database.db
      .select()
      .from(workflowTriggers)
      .where(and(eq(workflowTriggers.workflowId, workflowId), eq(workflowTriggers.isActive, true)))
  )[0]!;

describe('resource use by strangers', () => {
  it('writes no row for 111 unsigned hook posts, and counts them on the trigger', async () => {
    const id = await publish(h, h.tenant, 'Counted', hookGraph({ path: 'counted', secretRef: 'HOOK_SECRET' }));
    const url = await hookUrl(h, h.tenant, id);
    const answers = await Promise.all(
      Array.from({ length: 111 }, (_, i) => post(h, url, JSON.stringify({ n: i }), {})),
    );
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const trigger = await triggerOf(id);
    expect(
      (
        await h.database.db
          .select({ n: count() })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.triggerId, trigger.id))
      )[0]!.n,
    ).toBe(0);
    expect(trigger).toMatchObject({ rejectedCount: 111, lastRejectionReason: 'missing X-Signature header' });
    expect(await runsOf(id)).toBe(0);
    const listed = (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/webhooks' }))
      .json()
      .items.find((i: { workflowId: string }) => i.workflowId === id);
    expect(listed).toMatchObject({
      rejectedCount: 111,
      lastRejectionReason: 'missing X-Signature header',
      lastRejectedAt: expect.any(String),
    });
  });

  it('answers a webhook whose secret is missing with 401, as a wrong signature would, and counts why for the operator', async () => {
    const missing = await publish(h, h.tenant, 'No secret', hookGraph({ path: 'no-secret', secretRef: 'NOT_STORED' }));
    const wrong = await publish(
      h,
      h.tenant,
      'Wrong secret',
      hookGraph({ path: 'wrong-secret', secretRef: 'HOOK_SECRET' }),
    );
    const body = '{"n":1}';
    const headers = signGeneric('guessed', body, Math.floor(Date.now() / 1000));
    const a = await post(h, await hookUrl(h, h.tenant, missing), body, headers);
    const b = await post(h, await hookUrl(h, h.tenant, wrong), body, headers);
    expect(a.statusCode).toBe(401);
    expect(a.json()).toEqual(b.json());
    expect(a.body).not.toContain('NOT_STORED');
    expect((await triggerOf(missing)).lastRejectionReason).toBe(
      'the secret "NOT_STORED" is not configured on the server',
    );
  });

  it('answers 429 with Retry-After past the limit on /api, per key', async () => {
    const first = await tight.newUser(tight.tenant, ['viewer']);
    const second = await tight.newUser(tight.tenant, ['viewer']);
    for (let i = 0; i < 5; i++)
      expect((await tight.api(first.key, { method: 'GET', url: '/api/workflows' })).statusCode).toBe(200);
    const limited = await tight.api(first.key, { method: 'GET', url: '/api/workflows' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Another key has its own allowance; health checks have none to spend.
    expect((await tight.api(second.key, { method: 'GET', url: '/api/workflows' })).statusCode).toBe(200);
    for (let i = 0; i < 8; i++)
      expect((await tight.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers 429 with Retry-After past the limit on /hooks and on /approve, per address', async () => {
    const hook = `/hooks/${tight.tenant.tenantId}/nothing-here`;
    for (let i = 0; i < 5; i++) expect((await post(tight, hook, '{}', {}, '127.0.0.21')).statusCode).toBe(404);
    const limited = await post(tight, hook, '{}', {}, '127.0.0.21');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await post(tight, hook, '{}', {}, '127.0.0.22')).statusCode).toBe(404);

    const link = (remoteAddress: string) =>
      tight.app.inject({ method: 'GET', url: '/approve/not-a-token', remoteAddress });
    for (let i = 0; i < 5; i++) expect((await link('127.0.0.31')).statusCode).not.toBe(429);
    const refused = await link('127.0.0.31');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await link('127.0.0.32')).statusCode).not.toBe(429);
  });
});

describe('idempotency that holds', () => {
  const start = (world: Harness, key: string, workflowId: string, idempotencyKey: string, input: unknown) =>
    world.api(key, {
      method: 'POST',
      url: `/api/workflows/${workflowId}/runs`,
      payload: { input },
      headers: { 'idempotency-key': idempotencyKey },
    });

  it('starts nothing for a repeated Idempotency-Key after the run finished, and answers the first run', async () => {
    const id = await publish(h, h.tenant, 'Keyed', {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'e', type: 'end', data: { output: { n: '{{ input.n }}' } } },
      ],
      edges: [{ id: 'e1', source: 't', target: 'e' }],
    });
    const first = await start(h, h.tenant.adminKey, id, 'order-42', { n: 1 });
    expect(first.statusCode).toBe(202);
    const { runId } = first.json();
    await settled(h, runId);
    const execution = (await h.temporal.workflow.getHandle(runId).describe()).runId;
    for (let i = 0; i < 4; i++) {
      const again = await start(h, h.tenant.adminKey, id, 'order-42', { n: 1 });
      expect(again.json()).toMatchObject({ runId, created: false, status: 'completed' });
    }
    // Still the one execution, and the one run.
    const described = await h.temporal.workflow.getHandle(runId).describe();
    expect(described.runId).toBe(execution);
    expect(await runsOf(id)).toBe(1);
    // The same key with another input is refused, not a new run.
    expect((await start(h, h.tenant.adminKey, id, 'order-42', { n: 2 })).statusCode).toBe(409);
    // A retry is a new run by design.
    const retry = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/runs/${runId}/retry` });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toMatchObject({ created: true, retryOf: runId });
    expect(retry.json().runId).not.toBe(runId);
    await settled(h, retry.json().runId);
    expect(await runsOf(id)).toBe(2);
  });

  it('does not reopen an approval when the key of an approved, completed run is repeated', async () => {
    const manager = await h.newUser(h.tenant, ['manager']);
    const operator = await h.newUser(h.tenant, ['operator']);
    const id = await publish(
      h,
      h.tenant,
      'Keyed approval',
      approvalDefinition({ label: 'Decide', approverRoles: ['manager'], expiresIn: '1h', notify: { channels: [] } }),
    );
    const { runId } = (await start(h, operator.key, id, 'po-7', { what: 'a chair' })).json();
    const approval = await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}` })).json().items[0],
    );
    expect(
      (
        await h.api(manager.key, {
          method: 'POST',
          url: `/api/approvals/${approval.id}/decision`,
          payload: { decision: 'approve' },
        })
      ).statusCode,
    ).toBe(200);
    await settled(h, runId);
    const run = async () => (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(await run()).toMatchObject({ status: 'completed', output: { outcome: 'approved' } });

    for (let i = 0; i < 3; i++)
      expect((await start(h, operator.key, id, 'po-7', { what: 'a chair' })).json()).toMatchObject({
        runId,
        created: false,
      });
    // Had a second execution started, it would have asked again: give it the time to.
    await new Promise((r) => setTimeout(r, 1500));
    const approvals = await h.database.db
      .select()
      .from(workflowApprovals)
      .where(eq(workflowApprovals.instanceId, runId));
    expect(approvals.map((a) => a.status)).toEqual(['approved']);
    expect(await run()).toMatchObject({ status: 'completed', output: { outcome: 'approved' } });
    const { status } = await h.temporal.workflow.getHandle(runId).describe();
    expect(status.name).toBe('COMPLETED');
  });

  it('remembers a key for IDEMPOTENCY_TTL, then lets it start a new run', async () => {
    const id = await publish(tight, tight.tenant, 'Short memory', {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [{ id: 'e1', source: 't', target: 'e' }],
    });
    const keys = await Promise.all(Array.from({ length: 3 }, () => tight.newUser(tight.tenant, ['operator'])));
    const first = (await start(tight, keys[0]!.key, id, 'nightly', {})).json();
    expect((await start(tight, keys[1]!.key, id, 'nightly', {})).json()).toMatchObject({
      runId: first.runId,
      created: false,
    });
    await new Promise((r) => setTimeout(r, 2200));
    const later = (await start(tight, keys[2]!.key, id, 'nightly', {})).json();
    expect(later.created).toBe(true);
    expect(later.runId).not.toBe(first.runId);
  });
});

describe('webhook deliveries', () => {
  it('starts no second run for the same signed body with a new or missing delivery id', async () => {
    const id = await publish(h, h.tenant, 'Replayed', hookGraph({ path: 'replayed', secretRef: 'HOOK_SECRET' }));
    const url = await hookUrl(h, h.tenant, id);
    const body = JSON.stringify({ n: 7 });
    const signed = signGeneric(HOOK_SECRET, body, Math.floor(Date.now() / 1000));
    const first = await post(h, url, body, { ...signed, 'x-delivery-id': 'delivery-1' });
    expect(first.statusCode, first.body).toBe(202);
    const { runId } = first.json();
    await settled(h, runId);
    for (const headers of [
      { ...signed, 'x-delivery-id': 'delivery-2' },
      signed,
      { ...signed, 'x-delivery-id': randomUUID() },
      { ...signed, 'x-delivery-id': 'delivery-1' },
    ]) {
      const replay = await post(h, url, body, headers);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual({ runId, duplicate: true });
    }
    // A sender's retry re-signs with a new timestamp and keeps its delivery id: still that delivery.
    const resigned = {
      ...signGeneric(HOOK_SECRET, body, Math.floor(Date.now() / 1000) + 1),
      'x-delivery-id': 'delivery-1',
    };
    expect((await post(h, url, body, resigned)).json()).toEqual({ runId, duplicate: true });
    // ...and that re-signed request replayed under another id is that delivery too.
    expect((await post(h, url, body, { ...resigned, 'x-delivery-id': 'delivery-3' })).json()).toEqual({
      runId,
      duplicate: true,
    });
    expect(await runsOf(id)).toBe(1);

    // Without any id, the signature names the delivery.
    const other = JSON.stringify({ n: 8 });
    const bare = signGeneric(HOOK_SECRET, other, Math.floor(Date.now() / 1000));
    const unnamed = await post(h, url, other, bare);
    expect(unnamed.statusCode).toBe(202);
    await settled(h, unnamed.json().runId);
    expect((await post(h, url, other, { ...bare, 'x-delivery-id': 'made-up' })).json()).toEqual({
      runId: unnamed.json().runId,
      duplicate: true,
    });
    expect((await post(h, url, other, bare)).json()).toEqual({ runId: unnamed.json().runId, duplicate: true });
    expect(await runsOf(id)).toBe(2);
  });

  it('refuses a github-preset delivery without its delivery header, and a replay under a new one starts nothing', async () => {
    const id = await publish(
      h,
      h.tenant,
      'GitHub',
      hookGraph({ path: 'gh', secretRef: 'GITHUB_SECRET', preset: 'github' }),
    );
    const url = await hookUrl(h, h.tenant, id);
    const body = JSON.stringify({ n: 'push' });
    const signature = { 'x-hub-signature-256': `sha256=${hmacHex(GITHUB_SECRET, body)}` };
    const bare = await post(h, url, body, signature);
    expect(bare.statusCode).toBe(401);
    expect(bare.json().detail).toContain('X-GitHub-Delivery');
    expect(await runsOf(id)).toBe(0);

    const first = await post(h, url, body, { ...signature, 'x-github-delivery': randomUUID() });
    expect(first.statusCode).toBe(202);
    await settled(h, first.json().runId);
    const replay = await post(h, url, body, { ...signature, 'x-github-delivery': randomUUID() });
    expect(replay.json()).toEqual({ runId: first.json().runId, duplicate: true });
    expect(await runsOf(id)).toBe(1);
  });
});

describe('webhook paths', () => {
  it("tenant B cannot learn tenant A's webhook paths", async () => {
    const a = await h.newTenant('tenant-a');
    const b = await h.newTenant('tenant-b');
    const aId = await publish(h, a, 'A orders', hookGraph({ path: 'a-orders', secretRef: 'HOOK_SECRET' }));
    // B may use the same path: publishing tells B nothing about A.
    const bId = await publish(h, b, 'B orders', hookGraph({ path: 'a-orders', secretRef: 'HOOK_SECRET' }));
    const aUrl = await hookUrl(h, a, aId);
    const bUrl = await hookUrl(h, b, bId);
    expect(aUrl).toBe(`/hooks/${a.tenantId}/a-orders`);
    expect(bUrl).toBe(`/hooks/${b.tenantId}/a-orders`);
    // B's list holds B's webhooks only.
    const listed = (await h.api(b.adminKey, { method: 'GET', url: '/api/webhooks' })).json().items;
    expect(listed.map((i: { workflowId: string }) => i.workflowId)).toEqual([bId]);
    // Probing paths without A's id: the same 404 whether A has the path or not.
    const probe = async (url: string) => {
      const res = await post(h, url, '{}', {});
      return { status: res.statusCode, type: res.json().type };
    };
    const unknown = await probe(`/hooks/${randomUUID()}/never-used`);
    expect(unknown.status).toBe(404);
    expect(await probe(`/hooks/${randomUUID()}/a-orders`)).toEqual(unknown);
    expect(await probe('/hooks/a-orders')).toMatchObject({ status: 404 });
    expect(await probe('/hooks/never-used')).toEqual(await probe('/hooks/a-orders'));
    // Within a tenant a path is still one workflow's.
    const clash = await h.api(a.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'A again', definition: hookGraph({ path: 'a-orders', secretRef: 'HOOK_SECRET' }) },
    });
    expect(
      (await h.api(a.adminKey, { method: 'POST', url: `/api/workflows/${clash.json().id}/publish` })).statusCode,
    ).toBe(422);
  });
});
