/**
 * Attacks on secrets (issue 10, items 1 to 3): a secret's value leaves no activity (errors, step outputs,
 * history, logs, database rows carry `[secret:NAME]`), run-time text never names a secret, and environment
 * secrets are only those the operator listed, for the default tenant alone.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { webhookUrlPath } from '../../api/routes/hooks';
import { tenants, workflowTriggers } from '../../db/schema';
import { signGeneric, verifyWebhook } from '../../lib/webhook-signature';
import { createHarness, type Harness, settled, type TenantFixture } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

const HOOK_A = `hook-a-${randomBytes(12).toString('hex')}`;
const API_TOKEN = `api-token-${randomBytes(12).toString('hex')}`;
const ORDERS_SECRET = `orders-${randomBytes(12).toString('hex')}`;
// Environment secrets: one the operator lists in ENV_SECRETS, and values that must never become signing keys.
process.env.ORDERS_WEBHOOK_SECRET = ORDERS_SECRET;
process.env.NOT_LISTED_SECRET = `not-listed-${randomBytes(8).toString('hex')}`;

let h: Harness;
let target: HttpTarget;
const logs: string[] = [];
beforeAll(async () => {
  // The target answers 500 on /fail/* and echoes what it was sent on /echo.
  target = await startHttpTarget((r) =>
    r.url.startsWith('/fail/')
      ? { status: 500, body: { error: `no such thing: ${r.url}` } }
      : r.url.startsWith('/echo')
        ? { status: 200, body: { youSent: r.url, headers: r.headers } }
        : undefined,
  );
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('TRACE', (entry) => logs.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)),
  });
  h = await createHarness(
    { SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'trace', ENV_SECRETS: 'ORDERS_WEBHOOK_SECRET' },
    { logStream: { write: (line) => logs.push(line) } },
  );
  for (const [name, value] of [
    ['HOOK_A', HOOK_A],
    ['API_TOKEN', API_TOKEN],
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
  await h?.close();
  await target?.close();
});

async function runOf(tenant: TenantFixture, name: string, nodes: unknown[], input: unknown = {}): Promise<string> {
  const ids = (nodes as Array<{ id: string }>).map((n) => n.id);
  const definition = {
    configuration: { retry: { maximumAttempts: 2, initialInterval: '100ms' } },
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      ...nodes,
      { id: 'e', type: 'end', data: {} },
    ],
    edges: ['t', ...ids, 'e']
      .slice(1)
      .map((id, i, all) => ({ id: `e${i}`, source: i === 0 ? 't' : all[i - 1], target: id })),
  };
  const id = (
    await h.api(tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name, definition } })
  ).json().id;
  const published = await h.api(tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(published.statusCode, published.body).toBe(201);
  const started = await h.api(tenant.adminKey, {
    method: 'POST',
    url: `/api/workflows/${id}/runs`,
    payload: { input },
  });
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().runId as string;
  await settled(h, runId);
  return runId;
}

/** The run's Temporal history as JSON, payloads decoded. */
function historyText(runId: string): string {
  const json = execFileSync(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', runId, '--output', 'json', '--address', inject('temporalAddress')],
    { encoding: 'utf8' },
  );
  const decoded = [...json.matchAll(/"data":\s*"([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  return `${json}\n${decoded.join('\n')}`;
}

/** Every row of every table of the platform, as text. */
async function databaseText(): Promise<string> {
  // The driver (pg or PGlite) decides the result's type; both carry `rows`.
  const rowsOf = async <T>(query: Parameters<Harness['database']['db']['execute']>[0]) =>
    ((await h.database.db.execute(query)) as unknown as { rows: T[] }).rows;
  const tables = await rowsOf<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await rowsOf<{ row: string }>(sql.raw(`select row_to_json(t)::text as row from "${table_name}" t`));
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** What a viewer (the least trusted reader) sees of a run: the run, its steps, its history. */
async function viewerText(tenant: TenantFixture, runId: string): Promise<string> {
  const viewer = await h.newUser(tenant, ['viewer']);
  const answers = await Promise.all(
    [`/api/runs/${runId}`, `/api/runs/${runId}/history`].map((url) => h.api(viewer.key, { method: 'GET', url })),
  );
  for (const a of answers) expect(a.statusCode, a.body).toBe(200);
  return answers.map((a) => a.body).join('\n');
}

async function expectNowhere(tenant: TenantFixture, runId: string, value: string): Promise<void> {
  expect(await viewerText(tenant, runId)).not.toContain(value);
  expect(historyText(runId)).not.toContain(value);
  expect(await databaseText()).not.toContain(value);
  expect(logs.join('\n')).not.toContain(value);
}

describe('a secret never leaves an activity', () => {
  it('a secret used as a URL that is not one fails the step with [secret:NAME], not the value', async () => {
    const runId = await runOf(h.tenant, 'Secret as URL', [
      { id: 'call', type: 'action', data: { action: 'http', url: '{{ secrets.HOOK_A }}' } },
    ]);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('failed');
    expect(JSON.stringify(run)).toContain('[secret:HOOK_A]');
    await expectNowhere(h.tenant, runId, HOOK_A);
  });

  it('a target answering 500 to a path holding the secret: the error and the retries carry [secret:NAME]', async () => {
    const runId = await runOf(h.tenant, 'Secret in a failing path', [
      {
        id: 'call',
        type: 'action',
        data: { action: 'http', method: 'POST', url: `${target.url}/fail/{{ secrets.HOOK_A }}`, body: { x: 1 } },
      },
    ]);
    expect(target.received.filter((r) => r.url === `/fail/${HOOK_A}`)).toHaveLength(2);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('failed');
    expect(run.error.message).toContain('/fail/[secret:HOOK_A] answered 500');
    await expectNowhere(h.tenant, runId, HOOK_A);
  });

  it('a target echoing the secret back: the step output carries [secret:NAME]', async () => {
    const runId = await runOf(h.tenant, 'Secret echoed', [
      {
        id: 'call',
        type: 'action',
        data: {
          action: 'http',
          url: `${target.url}/echo?token={{ secrets.API_TOKEN }}`,
          headers: { authorization: 'Bearer {{ secrets.API_TOKEN }}' },
        },
      },
    ]);
    expect(target.received.some((r) => r.headers.authorization === `Bearer ${API_TOKEN}`)).toBe(true);
    const steps = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json().steps as Array<{
      nodeId: string;
      output: { body: { youSent: string; headers: { authorization: string } } };
    }>;
    const call = steps.find((s) => s.nodeId === 'call')!;
    expect(call.output.body).toMatchObject({
      youSent: '/echo?token=[secret:API_TOKEN]',
      headers: { authorization: 'Bearer [secret:API_TOKEN]' },
    });
    await expectNowhere(h.tenant, runId, API_TOKEN);
  });
});

describe('run-time text never names a secret', () => {
  it('a secret reference in run input is sent as the text it is, in the URL and in a body field', async () => {
    const leak = '{{ secrets.API_TOKEN }}';
    const runId = await runOf(
      h.tenant,
      'Renders input',
      [
        {
          id: 'call',
          type: 'action',
          data: {
            action: 'http',
            method: 'POST',
            url: '{{ input.url }}',
            body: { note: '{{ input.note }}', inline: 'note: {{ input.note }}' },
          },
        },
      ],
      { url: `${target.url}/collect?leak=${leak}`, note: leak },
    );
    const sent = target.received.find((r) => r.url.startsWith('/collect'))!;
    expect(decodeURIComponent(sent.url)).toBe(`/collect?leak=${leak}`);
    expect(JSON.parse(sent.body)).toEqual({ note: leak, inline: `note: ${leak}` });
    expect(JSON.stringify(sent)).not.toContain(API_TOKEN);
    await expectNowhere(h.tenant, runId, API_TOKEN);
  });

  it('a secret reference in an HTTP answer, used by the next node, is sent as text', async () => {
    target.answer('/bait', 200, { next: '{{ secrets.API_TOKEN }}', forged: '\uE000secrets.API_TOKEN\uE001' });
    await runOf(h.tenant, 'Renders an output', [
      { id: 'bait', type: 'action', data: { action: 'http', url: `${target.url}/bait` } },
      {
        id: 'send',
        type: 'action',
        data: {
          action: 'http',
          method: 'POST',
          url: `${target.url}/collect-output`,
          body: { next: '{{ nodes.bait.output.body.next }}', forged: '{{ nodes.bait.output.body.forged }}' },
        },
      },
    ]);
    const sent = target.received.find((r) => r.url === '/collect-output')!;
    expect(JSON.parse(sent.body)).toEqual({ next: '{{ secrets.API_TOKEN }}', forged: '\uFFFDsecrets.API_TOKEN\uFFFD' });
    expect(sent.body).not.toContain(API_TOKEN);
  });
});

describe('environment secrets', () => {
  /** The default tenant (made here when no other test made it), with an admin key of its own. */
  async function defaultTenant(): Promise<TenantFixture> {
    let tenant = (await h.database.db.select().from(tenants).where(eq(tenants.isDefault, true)).limit(1))[0];
    tenant ??= (
      await h.database.db.insert(tenants).values({ name: 'Default', isDefault: true }).onConflictDoNothing().returning()
    )[0];
    tenant ??= (await h.database.db.select().from(tenants).where(eq(tenants.isDefault, true)).limit(1))[0]!;
    const admin = await h.newUser({ tenantId: tenant.id, adminKey: '', adminUserId: '' }, ['admin']);
    return { tenantId: tenant.id, adminKey: admin.key, adminUserId: admin.userId };
  }

  const signingNode = (secretRef: string) => ({
    id: 'tell',
    type: 'integration',
    data: { provider: 'webhook', url: `${target.url}/signed-${secretRef}`, body: { hello: 1 }, secretRef },
  });

  it('another tenant cannot sign with a secret of the environment, listed or not (no forged deliveries to the default tenant)', async () => {
    const other = await h.newTenant();
    for (const name of ['ORDERS_WEBHOOK_SECRET', 'NOT_LISTED_SECRET', 'HOME']) {
      const runId = await runOf(other, `Signs with ${name}`, [signingNode(name)]);
      const run = (await h.api(other.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
      expect(run.status, name).toBe('failed');
      expect(run.error.message).toContain(`the signing secret "${name}" is not set`);
      expect(
        target.received.some((r) => r.url === `/signed-${name}`),
        name,
      ).toBe(false);
    }
  });

  it('the default tenant signs only with the names in ENV_SECRETS', async () => {
    const main = await defaultTenant();
    const listed = await runOf(main, 'Signs with a listed name', [signingNode('ORDERS_WEBHOOK_SECRET')]);
    expect((await h.api(main.adminKey, { method: 'GET', url: `/api/runs/${listed}` })).json().status).toBe('completed');
    const sent = target.received.find((r) => r.url === '/signed-ORDERS_WEBHOOK_SECRET')!;
    expect(
      verifyWebhook({
        preset: 'generic',
        headers: sent.headers,
        raw: Buffer.from(sent.body),
        secrets: [ORDERS_SECRET],
        now: Date.now(),
      }).ok,
    ).toBe(true);
    await expectNowhere(main, listed, ORDERS_SECRET);

    const unlisted = await runOf(main, 'Signs with an unlisted name', [signingNode('NOT_LISTED_SECRET')]);
    expect((await h.api(main.adminKey, { method: 'GET', url: `/api/runs/${unlisted}` })).json().status).toBe('failed');
  });

  it('an inbound webhook of another tenant naming an environment secret refuses every delivery with 401', async () => {
    const other = await h.newTenant();
    const path = `env-${randomBytes(6).toString('hex')}`;
    const definition = {
      nodes: [
        {
          id: 'hook',
          type: 'trigger',
          data: { trigger: { type: 'webhook', path, secretRef: 'ORDERS_WEBHOOK_SECRET' } },
        },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [{ id: 'e1', source: 'hook', target: 'e' }],
    };
    const id = (
      await h.api(other.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: 'Env hook', definition } })
    ).json().id;
    expect((await h.api(other.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(201);
    const trigger = (
      await h.database.db.select().from(workflowTriggers).where(eq(workflowTriggers.workflowId, id)).limit(1)
    )[0]!;
    const url = webhookUrlPath(other.tenantId, trigger.path!);
    const body = JSON.stringify({ order: 1 });
    const forged = await h.app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        ...signGeneric(ORDERS_SECRET, body, Math.floor(Date.now() / 1000)),
        'x-delivery-id': 'forged-1',
      },
      payload: body,
    });
    expect(forged.statusCode, forged.body).toBe(401);
  });
});
