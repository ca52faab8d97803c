/**
 * /openapi.json tells the whole truth: every route is documented with an operationId, a summary, tags and its
 * responses; real answers of the main flows match the schema documented for their status and content type;
 * a method a path lacks answers 405 with Allow.
 */
import { Validator } from '@cfworker/json-schema';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../api/access';
import { createHarness, type Harness } from '../harness';
import { CONSOLE_ROUTES } from '../../api/static';

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  responses?: Record<string, { content?: Record<string, { schema: object }> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

let h: Harness;
let doc: Doc;
beforeAll(async () => {
  h = await createHarness();
  doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(async () => {
  await h?.close();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

/** Checks an answer against the schema its operation documents for its status and content type. */
function expectDocumented(method: string, pattern: string, res: LightMyRequestResponse) {
  const op = doc.paths[pattern]?.[method.toLowerCase()];
  expect(op, `${method} ${pattern} is documented`).toBeDefined();
  const response = op!.responses?.[String(res.statusCode)];
  expect(response, `${method} ${pattern} documents ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeDefined();
  if (res.statusCode === 204) return;
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!;
  const media = response!.content?.[contentType];
  expect(media, `${method} ${pattern} ${res.statusCode} documents ${contentType}`).toBeDefined();
  const result = new Validator({ ...media!.schema, components: doc.components } as never, '2020-12', false).validate(
    res.json(),
  );
  expect(result.errors, `${method} ${pattern} ${res.statusCode}`).toEqual([]);
}

describe('the document', () => {
  it('is OpenAPI 3.1 and documents every registered route', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set(
      operations().map(({ path, method }) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const routes = registeredRoutes(h.app).filter(
      (r) => !r.startsWith('HEAD ') && !r.includes('/docs') && r !== 'GET /openapi.json' && !CONSOLE_ROUTES.includes(r),
    );
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('gives every operation a unique camelCase operationId, a summary, tags, a success and problem+json errors', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(ids.has(op.operationId!), `${where} operationId unique`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBeGreaterThan(0);
      const statuses = Object.keys(op.responses ?? {});
      expect(
        statuses.some((s) => s.startsWith('2')),
        `${where} has a success`,
      ).toBe(true);
      for (const status of statuses.filter((s) => s.startsWith('4') && !path.startsWith('/approve/'))) {
        expect(Object.keys(op.responses![status]!.content ?? {}), `${where} ${status}`).toEqual([
          'application/problem+json',
        ]);
      }
    }
  });

  it('documents Idempotency-Key where it is honoured', () => {
    const withHeader = operations()
      .filter(({ op }) => JSON.stringify(op).includes('"idempotency-key"'))
      .map(({ op }) => op.operationId);
    expect(withHeader).toEqual(
      expect.arrayContaining([
        'createWorkflow',
        'startRun',
        'decideApproval',
        'postEvent',
        'cloneWorkflow',
        'importWorkflow',
        'createUser',
      ]),
    );
  });
});

describe('answers match their documented schemas', () => {
  it('the main flow: create, validate, publish, start, read, list, and its refusals', async () => {
    const key = h.tenant.adminKey;
    const call = async (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      pattern: string,
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await h.api(key, {
        method,
        url,
        headers,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      expectDocumented(method, pattern, res);
      return res;
    };
    const definition = {
      nodes: [
        { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'end', type: 'end', data: {} },
      ],
      edges: [{ id: 'e', source: 'start', target: 'end' }],
    };
    const created = await call(
      'POST',
      '/api/workflows',
      '/api/workflows',
      { name: 'documented', definition },
      { 'idempotency-key': 'doc-1' },
    );
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    await call('GET', '/api/workflows', '/api/workflows');
    await call('GET', '/api/workflows/{id}', `/api/workflows/${id}`);
    await call('POST', '/api/workflows/{id}/validate', `/api/workflows/${id}/validate`);
    expect((await call('POST', '/api/workflows/{id}/publish', `/api/workflows/${id}/publish`)).statusCode).toBe(201);
    await call('GET', '/api/workflows/{id}/versions', `/api/workflows/${id}/versions`);
    await call('GET', '/api/workflows/{id}/versions/{n}', `/api/workflows/${id}/versions/1`);
    await call('GET', '/api/workflows/{id}/export', `/api/workflows/${id}/export`);
    const started = await call('POST', '/api/workflows/{id}/runs', `/api/workflows/${id}/runs`, { input: { a: 1 } });
    expect(started.statusCode).toBe(202);
    const runId = started.json().runId as string;
    await call('GET', '/api/runs', '/api/runs');
    await call('GET', '/api/runs/{runId}', `/api/runs/${runId}`);
    await call('GET', '/api/runs/{runId}/history', `/api/runs/${runId}/history`);
    await call('GET', '/api/runs/{runId}/state', `/api/runs/${runId}/state`);
    for (const url of [
      '/api/approvals',
      '/api/schedules',
      '/api/webhooks',
      '/api/integrations',
      '/api/variables',
      '/api/documents',
      '/api/users',
      '/api/api-keys',
    ])
      await call('GET', url, url);
    await call('PUT', '/api/variables/{key}', '/api/variables/DOC_VAR', { type: 'string', value: 'x' });
    await call('DELETE', '/api/variables/{key}', '/api/variables/DOC_VAR');
    // Refusals: each a documented problem.
    expect((await call('GET', '/api/workflows/{id}', '/api/workflows/not-a-uuid')).statusCode).toBe(400);
    expect((await call('GET', '/api/runs/{runId}', '/api/runs/nope')).statusCode).toBe(404);
    expect((await call('POST', '/api/workflows', '/api/workflows', { name: '' })).statusCode).toBe(400);
    const unauthorized = await h.app.inject({ method: 'GET', url: '/api/runs' });
    expectDocumented('GET', '/api/runs', unauthorized);
    expect(unauthorized.statusCode).toBe(401);
    const health = await h.app.inject({ method: 'GET', url: '/healthz' });
    expectDocumented('GET', '/healthz', health);
  });

  it('answers TRACE (and any method a path lacks) with 405 and Allow, not 404', async () => {
    const trace = await h.app.inject({ method: 'TRACE', url: '/api/workflows' });
    expect(trace.statusCode).toBe(405);
    expect(trace.headers.allow).toBe('GET, HEAD, POST');
    expect(trace.headers['content-type']).toContain('application/problem+json');
    const del = await h.api(h.tenant.adminKey, { method: 'DELETE', url: '/api/runs/some-run' });
    expect(del.statusCode).toBe(405);
    expect(String(del.headers.allow)).toContain('GET');
    expect((await h.app.inject({ method: 'TRACE', url: '/no/such/path' })).statusCode).toBe(404);
  });
});
