/**
 * Input that used to crash or stall the server (issue 10, items 4 and 5): each attack answers a 4xx
 * problem naming the path of the problem, writes nothing, and answers quickly.
 */
import { randomBytes } from 'node:crypto';
import { and, count, eq, like } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin } from '../../api/auth';
import { webhookUrlPath } from '../../api/routes/hooks';
import {
  tenants,
  users,
  workflowInstances,
  workflows,
  workflowTriggers,
  workflowVariables,
  workflowVersions,
} from '../../db/schema';
import { signGeneric } from '../../lib/webhook-signature';
import { createHarness, type Harness, settled } from '../harness';

let h: Harness;
let key: string;
const HOOK_SECRET = 'whsec-hostile-0123456789';

beforeAll(async () => {
  h = await createHarness({ SECRETS_KEY: randomBytes(32).toString('base64') });
  key = h.tenant.adminKey;
  expect(
    (
      await h.api(key, {
        method: 'PUT',
        url: '/api/variables/HOSTILE_HOOK_SECRET',
        payload: { type: 'secret', value: HOOK_SECRET },
      })
    ).statusCode,
  ).toBe(200);
});
afterAll(async () => {
  await h?.close();
});

const trivial = (extra: Record<string, unknown> = {}) => ({
  ...extra,
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
    { id: 'e', type: 'end', data: { output: { ok: true } } },
  ],
  edges: [{ id: 'e1', source: 't', target: 'e' }],
});

/** Sends JSON text as it is, so escapes such as `\u0000` reach the server's parser unchanged. */
const send = (method: 'POST' | 'PUT' | 'GET', url: string, text?: string, as = key) =>
  h.api(as, {
    method,
    url,
    ...(text === undefined ? {} : { payload: text, headers: { 'content-type': 'application/json' } }),
  });

/** A 4xx problem+json whose `errors` name `path` (exactly, or as a prefix when it ends with `*`). */
function expectProblemAt(res: LightMyRequestResponse, status: number, path: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const paths = (res.json().errors as Array<{ path: string }>).map((e) => e.path);
  if (path.endsWith('*'))
    expect(
      paths.some((p) => p.startsWith(path.slice(0, -1))),
      paths.join(', '),
    ).toBe(true);
  else expect(paths).toContain(path);
}

async function newWorkflow(definition: unknown = trivial(), name = 'Hostile'): Promise<string> {
  const res = await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name, definition } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function published(definition: unknown = trivial()): Promise<string> {
  const id = await newWorkflow(definition);
  const res = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
  expect(res.statusCode, res.body).toBe(201);
  return id;
}

const workflowCount = async () =>
  (await h.database.db.select({ n: count() }).from(workflows).where(eq(workflows.tenantId, h.tenant.tenantId)))[0]!.n;
const runCount = async (workflowId: string) =>
  (
    await h.database.db
      .select({ n: count() })
      .from(workflowInstances)
      .where(eq(workflowInstances.workflowId, workflowId))
  )[0]!.n;
const versionCount = async (workflowId: string) =>
  (
    await h.database.db.select({ n: count() }).from(workflowVersions).where(eq(workflowVersions.workflowId, workflowId))
  )[0]!.n;

const deepList = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('NUL characters', () => {
  it('refuses a NUL in a tenant name', async () => {
    const bootstrapKey = `bootstrap-${Date.now()}-hostile-0123456789`;
    await ensureBootstrapAdmin(h.database.db, bootstrapKey);
    const before = (await h.database.db.select({ n: count() }).from(tenants))[0]!.n;
    expectProblemAt(await send('POST', '/api/tenants', '{"name":"Evil\\u0000Corp"}', bootstrapKey), 400, 'body.name');
    expect((await h.database.db.select({ n: count() }).from(tenants))[0]!.n).toBe(before);
  });

  it('refuses a NUL in a user name', async () => {
    expectProblemAt(
      await send('POST', '/api/users', '{"email":"nul@example.com","name":"a\\u0000b","roles":[]}'),
      400,
      'body.name',
    );
    expect(await h.database.db.select().from(users).where(eq(users.email, 'nul@example.com'))).toEqual([]);
  });

  it('refuses a NUL in a workflow name', async () => {
    const before = await workflowCount();
    expectProblemAt(
      await send('POST', '/api/workflows', `{"name":"a\\u0000b","definition":${JSON.stringify(trivial())}}`),
      400,
      'body.name',
    );
    expect(await workflowCount()).toBe(before);
  });

  it('refuses a NUL in a clone name', async () => {
    const id = await newWorkflow();
    const before = await workflowCount();
    expectProblemAt(await send('POST', `/api/workflows/${id}/clone`, '{"name":"copy\\u0000"}'), 400, 'body.name');
    expect(await workflowCount()).toBe(before);
  });

  it('refuses a NUL in an imported workflow', async () => {
    const before = await workflowCount();
    const text = `{"format":"graphflow.workflow/v1","name":"Imported","description":"x\\u0000y","definition":${JSON.stringify(trivial())}}`;
    expectProblemAt(await send('POST', '/api/workflows/import', text), 400, 'body.description');
    expect(await workflowCount()).toBe(before);
  });

  it('refuses a NUL inside definition JSON, in a value and in a key, listing both', async () => {
    const id = await newWorkflow();
    const definition = JSON.stringify(trivial()).replace(
      '"data":{"trigger"',
      '"data":{"label":"bad\\u0000label","odd\\u0000key":1,"trigger"',
    );
    const res = await send('PUT', `/api/workflows/${id}`, `{"name":"Changed","definition":${definition}}`);
    expectProblemAt(res, 400, 'body.definition.nodes[0].data.label');
    expectProblemAt(res, 400, 'body.definition.nodes[0].data.odd\\u0000key');
    const row = (await h.database.db.select().from(workflows).where(eq(workflows.id, id)))[0]!;
    expect(row.name).toBe('Hostile');
  });

  it('refuses a NUL in run input', async () => {
    const id = await published();
    expectProblemAt(
      await send('POST', `/api/workflows/${id}/runs`, '{"input":{"notes":["fine","not\\u0000fine"]}}'),
      400,
      'body.input.notes[1]',
    );
    expect(await runCount(id)).toBe(0);
  });

  it('refuses a NUL in a variable value and in a variable name', async () => {
    expectProblemAt(
      await send('PUT', '/api/variables/hostile_json', '{"type":"json","value":{"a":"\\u0000"}}'),
      400,
      'body.value.a',
    );
    expectProblemAt(
      await send('PUT', '/api/variables/hostile%00name', '{"type":"string","value":"x"}'),
      400,
      'params.key',
    );
    const rows = await h.database.db
      .select()
      .from(workflowVariables)
      .where(and(eq(workflowVariables.tenantId, h.tenant.tenantId), like(workflowVariables.key, 'hostile%')));
    expect(rows).toEqual([]);
  });

  it('refuses a NUL in a query string and in a run id', async () => {
    expectProblemAt(await send('GET', '/api/workflows?q=a%00b'), 400, 'querystring.q');
    expectProblemAt(await send('GET', '/api/runs/run-%00'), 400, 'params.runId');
  });
});

describe('lone surrogates', () => {
  it('refuses a lone surrogate in a name and in run input', async () => {
    const before = await workflowCount();
    expectProblemAt(
      await send(
        'POST',
        '/api/workflows',
        `{"name":"half \\ud800 a character","definition":${JSON.stringify(trivial())}}`,
      ),
      400,
      'body.name',
    );
    expect(await workflowCount()).toBe(before);
    const id = await published();
    expectProblemAt(
      await send('POST', `/api/workflows/${id}/runs`, '{"input":{"note":"\\udc00 low first"}}'),
      400,
      'body.input.note',
    );
    // A whole pair is a character like any other.
    expect((await send('POST', `/api/workflows/${id}/runs`, '{"input":{"note":"\\ud83d\\ude00"}}')).statusCode).toBe(
      202,
    );
  });
});

describe('numbers and ids out of range', () => {
  it('refuses version 2^31 in a path', async () => {
    const id = await published();
    expectProblemAt(await send('GET', `/api/workflows/${id}/versions/2147483648`), 400, 'params.n');
    expectProblemAt(await send('POST', `/api/workflows/${id}/versions/2147483648/rollback`, '{}'), 400, 'params.n');
    expect((await send('GET', `/api/workflows/${id}/versions/2147483647`)).statusCode).toBe(404);
    expect(await versionCount(id)).toBe(1);
  });

  it('refuses version 2^31 in a run body', async () => {
    const id = await published();
    expectProblemAt(
      await send('POST', `/api/workflows/${id}/runs`, '{"input":{},"version":2147483648}'),
      400,
      'body.version',
    );
    expect(await runCount(id)).toBe(0);
  });

  it('answers 400 for ids that are not UUIDs, never 500', async () => {
    for (const [method, url] of [
      ['GET', '/api/workflows/abc'],
      ['GET', '/api/approvals/abc'],
      ['GET', '/api/documents/abc'],
      ['DELETE', '/api/api-keys/abc'],
      ['GET', '/api/runs?workflowId=abc'],
    ] as const) {
      const res = await h.api(key, { method, url });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.json().errors[0].path).toMatch(/^(params\.id|querystring\.workflowId)$/);
    }
  });
});

describe('forged cursors and dates', () => {
  const cursor = (createdAt: string, id: string) => Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

  it('refuses a forged cursor whose id is not a UUID, holds a NUL, or whose date no column holds', async () => {
    for (const url of [
      `/api/workflows?cursor=${cursor('2020-01-01T00:00:00Z', 'abc')}`,
      `/api/approvals?cursor=${cursor('2020-01-01T00:00:00Z', 'abc')}`,
      `/api/runs?cursor=${cursor('2020-01-01T00:00:00Z', 'run-\u0000')}`,
      `/api/workflows?cursor=${cursor('+275760-09-13T00:00:00Z', '00000000-0000-0000-0000-000000000000')}`,
    ])
      expectProblemAt(await send('GET', url), 400, 'querystring.cursor');
  });

  it('refuses run filters dated in the year 0', async () => {
    expectProblemAt(await send('GET', '/api/runs?from=0000-01-01T00:00:00Z'), 400, 'querystring.from');
    expect((await send('GET', '/api/runs?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z')).statusCode).toBe(200);
  });
});

describe('null where an object belongs', () => {
  it('refuses nodes [null] at create, and validate and publish list the problems of such a stored draft', async () => {
    const before = await workflowCount();
    const created = await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'Nulls', definition: { nodes: [null], edges: [null] } },
    });
    expectProblemAt(created, 400, 'body.definition.nodes[0]');
    expectProblemAt(created, 400, 'body.definition.edges[0]');
    expectProblemAt(
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Nulls', definition: { nodes: [{ id: 't', type: 'trigger', data: null }], edges: [] } },
      }),
      400,
      'body.definition.nodes[0].data',
    );
    expect(await workflowCount()).toBe(before);

    // A draft stored before drafts were checked: validate and publish must still answer with its problems.
    const id = await newWorkflow();
    await h.database.db
      .update(workflows)
      .set({ workflowData: { nodes: [null, { id: 's', type: 'subworkflow', data: null }], edges: [null] } })
      .where(eq(workflows.id, id));
    const validated = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/validate` });
    expect(validated.statusCode, validated.body).toBe(200);
    expect(validated.json().valid).toBe(false);
    expect(validated.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['nodes[0]', 'nodes[1].data', 'edges[0]']),
    );
    expectProblemAt(await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` }), 422, 'nodes[0]');
    expect(await versionCount(id)).toBe(0);
  });

  it('refuses at publish a subworkflow named "abc", naming the node', async () => {
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'child', type: 'subworkflow', data: { workflowId: 'abc' } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'child' },
        { id: 'e2', source: 'child', target: 'e' },
      ],
    };
    const id = await newWorkflow(definition);
    const res = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expectProblemAt(res, 422, 'nodes[1].data.workflowId');
    expect(await versionCount(id)).toBe(0);
  });
});

describe('nesting', () => {
  it('refuses run input nested 100,000 levels deep', async () => {
    const id = await published();
    const started = performance.now();
    const res = await send('POST', `/api/workflows/${id}/runs`, `{"input":${deepList(100_000)}}`);
    expect(performance.now() - started).toBeLessThan(1000);
    expectProblemAt(res, 400, 'body.input[0]*');
    expect(res.json().errors[0].message).toContain('64 levels');
    expect(await runCount(id)).toBe(0);
    // 64 levels in all are accepted: the body is one, input the second.
    expect((await send('POST', `/api/workflows/${id}/runs`, `{"input":${deepList(63)}}`)).statusCode).toBe(202);
  });

  it('refuses a signed webhook body nested 100,000 levels deep', async () => {
    const path = `hostile-${Date.now()}`;
    const id = await published({
      nodes: [
        { id: 'hook', type: 'trigger', data: { trigger: { type: 'webhook', path, secretRef: 'HOSTILE_HOOK_SECRET' } } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [{ id: 'e1', source: 'hook', target: 'e' }],
    });
    const deliver = (body: string, deliveryId: string) =>
      h.app.inject({
        method: 'POST',
        url: webhookUrlPath(h.tenant.tenantId, path),
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-delivery-id': deliveryId,
          ...signGeneric(HOOK_SECRET, body, Math.floor(Date.now() / 1000)),
        },
      });
    const res = await deliver(`{"finding":${deepList(100_000)}}`, 'deep-1');
    expectProblemAt(res, 400, 'body.finding[0]*');
    const nul = await deliver('{"finding":{"asset":"db\\u0000"}}', 'nul-1');
    expectProblemAt(nul, 400, 'body.finding.asset');
    expect(await runCount(id)).toBe(0);
    // The signature still verifies, and a plain delivery starts its run.
    const fine = await deliver('{"finding":{"asset":"db-01"}}', 'fine-1');
    expect(fine.statusCode, fine.body).toBe(202);
    await settled(h, fine.json().runId);
    const trigger = (
      await h.database.db.select().from(workflowTriggers).where(eq(workflowTriggers.workflowId, id))
    )[0]!;
    expect(trigger.triggerCount).toBe(1);
  });

  it('refuses a 5,000-deep condition', async () => {
    // Written as text: JSON.stringify itself overflows the stack on a value this deep.
    const condition = `${'{"all":['.repeat(5000)}{"field":"input.x","operator":"equals","value":1}${']}'.repeat(5000)}`;
    const definition = JSON.stringify({
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'c', type: 'condition', data: { condition: 'HERE' } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'c' },
        { id: 'e2', source: 'c', sourceHandle: 'true', target: 'e' },
        { id: 'e3', source: 'c', sourceHandle: 'false', target: 'e' },
      ],
    }).replace('"HERE"', condition);
    const before = await workflowCount();
    const res = await send('POST', '/api/workflows', `{"name":"Deep condition","definition":${definition}}`);
    expectProblemAt(res, 400, 'body.definition.nodes[1].data.condition.all[0]*');
    expect(await workflowCount()).toBe(before);
  });
});

describe('patterns run in linear time', () => {
  const evil = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa!';

  it('answers a ReDoS pattern in inputSchema in well under a second', async () => {
    const id = await published(
      trivial({
        inputSchema: {
          type: 'object',
          properties: { code: { type: 'string', pattern: '^(a+)+$' } },
          patternProperties: { '^(x+)+$': { type: 'number' } },
        },
      }),
    );
    const started = performance.now();
    const res = await send(
      'POST',
      `/api/workflows/${id}/runs`,
      JSON.stringify({ input: { code: evil, [`${'x'.repeat(29)}!`]: 'not checked', xxx: 'no number' } }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: 'input.code', message: expect.stringContaining('pattern') },
        expect.objectContaining({ path: 'input.xxx' }),
      ]),
    );
    expect(await runCount(id)).toBe(0);
    expect(
      (await send('POST', `/api/workflows/${id}/runs`, JSON.stringify({ input: { code: 'aaaa', xx: 2 } }))).statusCode,
    ).toBe(202);
  });

  it('refuses at publish a pattern RE2 cannot run, with its path', async () => {
    const id = await newWorkflow(
      trivial({
        inputSchema: {
          type: 'object',
          properties: { code: { type: 'string', pattern: '^(?=a)(a)\\1$' } },
          patternProperties: { '(?<!x)y': {} },
          default: { pattern: '(?=data, not a schema)' },
        },
      }),
    );
    const res = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expectProblemAt(res, 422, 'inputSchema.properties.code.pattern');
    expectProblemAt(res, 422, 'inputSchema.patternProperties.(?<!x)y');
    expect(res.json().errors).toHaveLength(2);
    expect(await versionCount(id)).toBe(0);
  });

  it('matches a ReDoS pattern in a condition in linear time inside the workflow', async () => {
    const id = await published({
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'c',
          type: 'condition',
          data: { condition: { field: 'input.code', operator: 'matches', value: '^(a+)+$' } },
        },
        { id: 'yes', type: 'end', data: { output: { matched: true } } },
        { id: 'no', type: 'end', data: { output: { matched: false } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'c' },
        { id: 'e2', source: 'c', sourceHandle: 'true', target: 'yes' },
        { id: 'e3', source: 'c', sourceHandle: 'false', target: 'no' },
      ],
    });
    const started = await h.api(key, {
      method: 'POST',
      url: `/api/workflows/${id}/runs`,
      payload: { input: { code: `${'a'.repeat(50_000)}!` } },
    });
    expect(started.statusCode, started.body).toBe(202);
    const output = await h.temporal.workflow.getHandle(started.json().runId).result();
    expect(output).toMatchObject({ status: 'completed', output: { matched: false } });
  });
});
