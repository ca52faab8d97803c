/** Signed webhooks start exactly one run per delivery, and refuse what they cannot trust. */
import { randomBytes } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookRunId } from '../../api/routes/hooks';
import { startRun } from '../../api/services/runs';
import { sweepExpiredSignatures } from '../../api/services/webhook-deliveries';
import { signGeneric, hmacHex } from '../../lib/webhook-signature';
import { webhookDeliveries, webhookSignatures, workflowInstances, workflowTriggers } from '../../db/schema';
import { createHarness, type Harness, settled } from '../harness';

let h: Harness;
let workflowId: string;
const SECRET = 'whsec-test-0123456789';

beforeAll(async () => {
  h = await createHarness({ SECRETS_KEY: randomBytes(32).toString('base64') });
  // The tenant's own secrets store (environment secrets are the default tenant's alone, by ENV_SECRETS).
  for (const [name, value] of [
    ['TEST_HOOK_SECRET', SECRET],
    ['TEST_HOOK_OLD_SECRET', 'whsec-old-9876543210'],
    ['TEST_GITHUB_SECRET', 'gh-secret'],
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
  const definition = {
    inputSchema: {
      type: 'object',
      required: ['asset', 'score'],
      properties: { asset: { type: 'string' }, score: { type: 'number' } },
    },
    nodes: [
      {
        id: 'hook',
        type: 'trigger',
        data: {
          trigger: {
            type: 'webhook',
            path: `scanner-${Date.now()}`,
            secretRef: 'TEST_HOOK_SECRET',
            previousSecretRef: 'TEST_HOOK_OLD_SECRET',
            input: { asset: '{{ body.finding.asset }}', score: '{{ body.finding.cvss }}' },
          },
        },
      },
      { id: 'e', type: 'end', data: { output: { asset: '{{ input.asset }}', via: '{{ trigger.type }}' } } },
    ],
    edges: [{ id: 'e1', source: 'hook', target: 'e' }],
  };
  workflowId = (
    await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: 'Scanner', definition } })
  ).json().id;
  expect(
    (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode,
  ).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

async function hookPath(): Promise<string> {
  const row = (
    await h.database.db.select().from(workflowTriggers).where(eq(workflowTriggers.workflowId, workflowId)).limit(1)
  )[0]!;
  return row.path!;
}

const runsOf = async () =>
  (
    await h.database.db
      .select({ n: count() })
      .from(workflowInstances)
      .where(eq(workflowInstances.workflowId, workflowId))
  )[0]!.n;

function deliver(path: string, body: string, headers: Record<string, string>) {
  return h.app.inject({
    method: 'POST',
    url: `/hooks/${h.tenant.tenantId}/${path}`,
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('webhooks', () => {
  it('a valid signature starts a run with the mapped input; bad ones get 401 and start nothing', async () => {
    const path = await hookPath();
    const body = JSON.stringify({ finding: { asset: 'db-01', cvss: 9.1 } });
    const now = Math.floor(Date.now() / 1000);
    const before = await runsOf();

    const refused = await Promise.all([
      deliver(path, body, { ...signGeneric('wrong-secret', body, now), 'x-delivery-id': 'bad-1' }),
      deliver(path, body, { 'x-timestamp': String(now), 'x-delivery-id': 'bad-2' }),
      deliver(path, body, { ...signGeneric(SECRET, body, now - 6 * 60), 'x-delivery-id': 'bad-3' }),
      deliver(path, body.replace('db-01', 'db-99'), { ...signGeneric(SECRET, body, now), 'x-delivery-id': 'bad-4' }),
    ]);
    for (const res of refused) {
      expect(res.statusCode, res.body).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await runsOf()).toBe(before);

    const ok = await deliver(path, body, { ...signGeneric(SECRET, body, now), 'x-delivery-id': 'good-1' });
    expect(ok.statusCode, ok.body).toBe(202);
    const runId = ok.json().runId;
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run).toMatchObject({
      status: 'completed',
      triggerSource: 'webhook',
      input: { asset: 'db-01', score: 9.1 },
      output: { asset: 'db-01', via: 'webhook' },
    });

    // The secret before a rotation still verifies.
    const rotated = await deliver(path, body, {
      ...signGeneric('whsec-old-9876543210', body, now),
      'x-delivery-id': 'good-2',
    });
    expect(rotated.statusCode).toBe(202);
    const trigger = (await h.database.db.select().from(workflowTriggers).where(eq(workflowTriggers.path, path)))[0]!;
    expect(trigger.triggerCount).toBe(2);
    expect(trigger.lastTriggered).not.toBeNull();
  });

  it('input that breaks the inputSchema gets 400 listing every problem, and nothing starts', async () => {
    const path = await hookPath();
    const body = JSON.stringify({ finding: { cvss: 'high' } });
    const before = await runsOf();
    const res = await deliver(path, body, {
      ...signGeneric(SECRET, body, Math.floor(Date.now() / 1000)),
      'x-delivery-id': 'schema-1',
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['input', 'input.score']);
    expect(await runsOf()).toBe(before);
  });

  it('the same delivery id ten times at once starts one run, and every answer carries its runId', async () => {
    const path = await hookPath();
    const body = JSON.stringify({ finding: { asset: 'web-07', cvss: 5 } });
    const headers = { ...signGeneric(SECRET, body, Math.floor(Date.now() / 1000)), 'x-delivery-id': 'storm-1' };
    const before = await runsOf();
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(path, body, headers)));
    const ids = new Set(answers.map((a) => a.json().runId));
    expect(ids.size).toBe(1);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(await runsOf()).toBe(before + 1);
    const rows = await h.database.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.deliveryId, 'storm-1'), eq(webhookDeliveries.tenantId, h.tenant.tenantId)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ verified: true, status: 'started', runId: [...ids][0] });
  });

  it('a retry after the API died between starting the run and answering gets the same run, and starts nothing', async () => {
    const path = await hookPath();
    const trigger = (await h.database.db.select().from(workflowTriggers).where(eq(workflowTriggers.path, path)))[0]!;
    const body = JSON.stringify({ finding: { asset: 'crash-01', cvss: 2 } });
    // The first attempt got as far as starting the run (exactly what the route does first), then the process died: no
    // answer, no delivery row.
    const runId = webhookRunId(trigger.id, 'crash-1');
    await startRun(
      h.app.runDeps,
      { tenantId: trigger.tenantId, userId: null },
      { workflowId, input: { asset: 'crash-01', score: 2 }, runId, trigger: { type: 'webhook', nodeId: 'hook' } },
    );
    const before = await runsOf();
    const retry = await deliver(path, body, {
      ...signGeneric(SECRET, body, Math.floor(Date.now() / 1000)),
      'x-delivery-id': 'crash-1',
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ runId, duplicate: true });
    expect(await runsOf()).toBe(before);
    expect(await h.temporal.workflow.getHandle(runId).describe()).toMatchObject({ workflowId: runId });
  });

  it('verifies a GitHub-signed delivery and dedupes on X-GitHub-Delivery; refuses a body over the limit with 413', async () => {
    const definition = {
      nodes: [
        {
          id: 'gh',
          type: 'trigger',
          data: {
            trigger: {
              type: 'webhook',
              path: `github-${Date.now()}`,
              secretRef: 'TEST_GITHUB_SECRET',
              preset: 'github',
            },
          },
        },
        { id: 'e', type: 'end', data: { output: { ref: '{{ input.ref }}' } } },
      ],
      edges: [{ id: 'e1', source: 'gh', target: 'e' }],
    };
    const id = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: 'GitHub', definition } })
    ).json().id;
    await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    const path = (definition.nodes[0]!.data as { trigger: { path: string } }).trigger.path;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const headers = {
      'x-hub-signature-256': `sha256=${hmacHex('gh-secret', body)}`,
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    };
    const first = await deliver(path, body, headers);
    expect(first.statusCode, first.body).toBe(202);
    expect((await deliver(path, body, headers)).json().runId).toBe(first.json().runId);
    await settled(h, first.json().runId);
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${first.json().runId}` })).json().output,
    ).toEqual({ ref: 'refs/heads/main' });

    const huge = JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) });
    expect((await deliver(path, huge, headers)).statusCode).toBe(413);
    expect(
      (await h.app.inject({ method: 'POST', url: `/hooks/${h.tenant.tenantId}/no-such-hook`, payload: '{}' }))
        .statusCode,
    ).toBe(404);
  });

  it('sweeps signatures past their keeping time, and keeps the deliveries and the signatures still kept', async () => {
    const path = await hookPath();
    const body = JSON.stringify({ finding: { asset: 'db-01', cvss: 3 } });
    const headers = { ...signGeneric(SECRET, body, Math.floor(Date.now() / 1000)), 'x-delivery-id': 'swept-1' };
    expect((await deliver(path, body, headers)).statusCode).toBe(202);
    // Counted in this tenant only: a database shared with other test files has theirs.
    const ours = eq(webhookSignatures.tenantId, h.tenant.tenantId);
    const signatures = async () =>
      (await h.database.db.select({ n: count() }).from(webhookSignatures).where(ours))[0]!.n;
    const kept = await signatures();
    expect(kept).toBeGreaterThan(0);
    const keepMs = h.config.idempotencyTtlMs;
    await sweepExpiredSignatures(h.database.db, keepMs);
    expect(await signatures()).toBe(kept);
    // Seen a day before the keeping time began: expired.
    await h.database.db
      .update(webhookSignatures)
      .set({ seenAt: new Date(Date.now() - keepMs - 86_400_000) })
      .where(ours);
    expect(await sweepExpiredSignatures(h.database.db, keepMs)).toBeGreaterThanOrEqual(kept);
    expect(await signatures()).toBe(0);
    const delivery = await h.database.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.deliveryId, 'swept-1'), eq(webhookDeliveries.tenantId, h.tenant.tenantId)));
    expect(delivery).toHaveLength(1);
  });
});
