/**
 * Each API process keeps what a webhook delivery reads (api/services/webhook-targets.ts): a change written through
 * any process (publish, archive, a trigger's path, a secret) must reach every other process's copy through the
 * database's announcements, never leave one answering from a stale copy.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { WebhookTargetCache } from '../../api/services/webhook-targets';
import { RunEventHub } from '../../db/run-events';
import { webhookDeliveries, workflowInstances } from '../../db/schema';
import { signGeneric } from '../../lib/webhook-signature';
import { createHarness, eventually, type Harness } from '../harness';

let h: Harness;
/** A second API process on the same database and Temporal: the one whose cache the changes must reach. */
let other: FastifyInstance;
const SECRET = 'whsec-cache-0123456789';

beforeAll(async () => {
  h = await createHarness({ SECRETS_KEY: randomBytes(32).toString('base64') });
  other = await buildApp({ config: h.config, database: h.database, temporal: h.temporal, logger: false });
  await other.ready();
  await putSecret('CACHE_HOOK_SECRET', SECRET);
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});

async function putSecret(name: string, value: string): Promise<void> {
  const res = await h.api(h.tenant.adminKey, {
    method: 'PUT',
    url: `/api/variables/${name}`,
    payload: { type: 'secret', value },
  });
  expect(res.statusCode, res.body).toBe(200);
}

function definitionWith(path: string, label: string) {
  return {
    nodes: [
      { id: 'hook', type: 'trigger', data: { trigger: { type: 'webhook', path, secretRef: 'CACHE_HOOK_SECRET' } } },
      { id: 'e', type: 'end', data: { output: { label } } },
    ],
    edges: [{ id: 'e1', source: 'hook', target: 'e' }],
  };
}

/** Creates and publishes a workflow through the first process: its id. */
async function publishedWorkflow(path: string): Promise<string> {
  const id = (
    await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: `Cache ${path}`, definition: definitionWith(path, 'v1') },
    })
  ).json().id as string;
  await publish(id);
  return id;
}

async function publish(id: string): Promise<void> {
  const res = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(res.statusCode, res.body).toBe(201);
}

/** A signed delivery to the second process, with a delivery id of its own. */
function deliverToOther(path: string, secret = SECRET) {
  const body = JSON.stringify({ id: randomUUID() });
  return other.inject({
    method: 'POST',
    url: `/hooks/${h.tenant.tenantId}/${path}`,
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-delivery-id': randomUUID(),
      ...signGeneric(secret, body, Math.floor(Date.now() / 1000)),
    },
  });
}

async function versionOfRun(runId: string): Promise<number> {
  return (
    await h.database.db
      .select({ version: workflowInstances.version })
      .from(workflowInstances)
      .where(eq(workflowInstances.id, runId))
  )[0]!.version;
}

/**
 * Announcements arrive after the commit, a moment later: deliver until the second process answers as `done` says,
 * and fail (by the test's timeout) if it never does.
 */
async function untilOtherAnswers<T>(
  path: string,
  done: (res: Awaited<ReturnType<typeof deliverToOther>>) => T | Promise<T>,
): Promise<T> {
  return eventually(async () => await done(await deliverToOther(path)), 100);
}

describe('webhook target cache across API processes', () => {
  it('a publish in one app instance invalidates another instance', async () => {
    const path = `cache-pub-${Date.now()}`;
    const id = await publishedWorkflow(path);
    const first = await deliverToOther(path);
    expect(first.statusCode, first.body).toBe(202);
    expect(await versionOfRun(first.json().runId)).toBe(1);
    // Cached now; a second delivery still pins version 1.
    expect(await versionOfRun((await deliverToOther(path)).json().runId)).toBe(1);

    const edited = await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: `Cache ${path}`, definition: definitionWith(path, 'v2') },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    await publish(id);
    const runId = await untilOtherAnswers(path, async (res) => {
      expect(res.statusCode, res.body).toBe(202);
      const runId = res.json().runId as string;
      return (await versionOfRun(runId)) === 2 ? runId : undefined;
    });
    expect(await versionOfRun(runId!)).toBe(2);
  });

  it('an archive in one app instance stops webhooks in another at once', async () => {
    const path = `cache-archive-${Date.now()}`;
    const id = await publishedWorkflow(path);
    expect((await deliverToOther(path)).statusCode).toBe(202);
    const archived = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/archive` });
    expect(archived.statusCode, archived.body).toBe(200);
    await untilOtherAnswers(path, (res) => res.statusCode === 404);
  });

  it('a webhook path moved in one app instance is gone from another', async () => {
    const path = `cache-path-${Date.now()}`;
    const id = await publishedWorkflow(path);
    expect((await deliverToOther(path)).statusCode).toBe(202);
    const moved = `${path}-moved`;
    await h.api(h.tenant.adminKey, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: `Cache ${path}`, definition: definitionWith(moved, 'v2') },
    });
    await publish(id);
    await untilOtherAnswers(path, (res) => res.statusCode === 404);
    expect((await deliverToOther(moved)).statusCode).toBe(202);
  });

  it('refuses the old secret in another app instance once it is rotated in one', async () => {
    const path = `cache-secret-${Date.now()}`;
    await publishedWorkflow(path);
    expect((await deliverToOther(path)).statusCode).toBe(202);
    const rotated = 'whsec-cache-rotated-9876543210';
    await putSecret('CACHE_HOOK_SECRET', rotated);
    try {
      await untilOtherAnswers(path, (res) => res.statusCode === 401);
      expect((await deliverToOther(path, rotated)).statusCode).toBe(202);
    } finally {
      await putSecret('CACHE_HOOK_SECRET', SECRET);
    }
  });

  it('keeps a copy per webhook, and none for the made-up paths a stranger probes', async () => {
    const hub = new RunEventHub(h.database);
    const cache = new WebhookTargetCache(h.database.db, hub);
    try {
      await hub.ready();
      const path = `cache-probe-${Date.now()}`;
      await publishedWorkflow(path);
      const kept = await cache.find(h.tenant.tenantId, path);
      expect(kept).toBeDefined();
      expect(await cache.find(h.tenant.tenantId, path)).toBe(kept);
      for (let i = 0; i < 50; i++) expect(await cache.find(h.tenant.tenantId, `probe-${randomUUID()}`)).toBeUndefined();
      expect(await cache.find(randomUUID(), path)).toBeUndefined();
      expect(cache.entries).toBe(1);
    } finally {
      cache.close();
      await hub.close();
    }
  });

  it('keeps nothing while the LISTEN connection is not in place', async () => {
    const feed = { live: false, onDefinitionsChanged: () => () => {} };
    const cache = new WebhookTargetCache(h.database.db, feed);
    const path = `cache-dark-${Date.now()}`;
    await publishedWorkflow(path);
    const first = await cache.find(h.tenant.tenantId, path);
    expect(first).toBeDefined();
    expect(await cache.find(h.tenant.tenantId, path)).not.toBe(first);
    expect(cache.entries).toBe(0);
  });
});

describe('delivery writes around the start', () => {
  /** One signed body, sent to the first process under the delivery ids given, all at once. */
  async function sendAtOnce(path: string, deliveryIds: string[], body = JSON.stringify({ id: randomUUID() })) {
    const signed = signGeneric(SECRET, body, Math.floor(Date.now() / 1000));
    return Promise.all(
      deliveryIds.map((deliveryId) =>
        h.app.inject({
          method: 'POST',
          url: `/hooks/${h.tenant.tenantId}/${path}`,
          payload: body,
          headers: { 'content-type': 'application/json', 'x-delivery-id': deliveryId, ...signed },
        }),
      ),
    );
  }

  const runsOf = async (workflowId: string) =>
    (
      await h.database.db
        .select({ n: count() })
        .from(workflowInstances)
        .where(eq(workflowInstances.workflowId, workflowId))
    )[0]!.n;

  it('starts one run for one signed body replayed at once under ten delivery ids', async () => {
    const path = `cache-replay-${Date.now()}`;
    const id = await publishedWorkflow(path);
    const answers = await sendAtOnce(
      path,
      Array.from({ length: 10 }, () => randomUUID()),
    );
    for (const res of answers) expect([200, 202], res.body).toContain(res.statusCode);
    expect(answers.filter((res) => res.statusCode === 202)).toHaveLength(1);
    expect(new Set(answers.map((res) => res.json().runId)).size).toBe(1);
    expect(await runsOf(id)).toBe(1);
  });

  it('answers the same run when the API died between the start and its second write', async () => {
    const path = `cache-crash-${Date.now()}`;
    const id = await publishedWorkflow(path);
    const deliveryId = randomUUID();
    const body = JSON.stringify({ id: deliveryId });
    const [first] = await sendAtOnce(path, [deliveryId], body);
    expect(first!.statusCode, first!.body).toBe(202);
    const runId = first!.json().runId as string;
    // As if the process died after Temporal accepted the start: the second write never happened.
    await h.database.db.update(webhookDeliveries).set({ status: 'received' }).where(eq(webhookDeliveries.runId, runId));
    const [again] = await sendAtOnce(path, [deliveryId], body);
    expect(again!.statusCode, again!.body).toBe(200);
    expect(again!.json()).toEqual({ runId, duplicate: true });
    expect(await runsOf(id)).toBe(1);
    const delivery = (
      await h.database.db
        .select({ status: webhookDeliveries.status })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.runId, runId), eq(webhookDeliveries.deliveryId, deliveryId)))
    )[0]!;
    expect(delivery.status).toBe('started');
  });
});
