/**
 * The permission matrix (api/permissions.ts), enforced: every route in it ×
 * every role (and no key, an unknown key, a revoked key) answers 401/403
 * exactly where the matrix says, and never 5xx; every registered route is in
 * the matrix; the raw URL cannot disguise a route; documents and events keep
 * their own rules.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforceAccess, registeredRoutes } from '../../api/access';
import { type Access, PERMISSIONS, permissionKey, rolesAllow } from '../../api/permissions';
import { PLATFORM_EVENTS } from '../../api/services/events';
import { apiKeys, documents } from '../../db/schema';
import { createHarness, type Harness } from '../harness';

let h: Harness;
/**
 * Who calls: a key per role, one whose user holds only an approver role, one with no roles, and keys that prove
 * nothing.
 */
let callers: Array<{ name: string; key: string | undefined; roles: string[] | 'unauthenticated' }>;

beforeAll(async () => {
  h = await createHarness();
  const user = async (roles: string[]) => (await h.newUser(h.tenant, roles)).key;
  const revoked = await h.newUser(h.tenant, ['admin']);
  await h.database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.userId, revoked.userId));
  callers = [
    { name: 'admin', key: h.tenant.adminKey, roles: ['admin'] },
    { name: 'editor', key: await user(['editor']), roles: ['editor'] },
    { name: 'operator', key: await user(['operator']), roles: ['operator'] },
    { name: 'viewer', key: await user(['viewer']), roles: ['viewer'] },
    { name: 'approver role only', key: await user(['manager']), roles: ['manager'] },
    { name: 'no roles', key: await user([]), roles: [] },
    { name: 'no key', key: undefined, roles: 'unauthenticated' },
    { name: 'unknown key', key: 'gf_not-a-key-we-issued', roles: 'unauthenticated' },
    { name: 'revoked admin key', key: revoked.key, roles: 'unauthenticated' },
  ];
});
afterAll(async () => {
  await h?.close();
});

/**
 * A concrete URL for a route pattern: ids that exist nowhere, so an allowed call answers 4xx for the id, never 401/403.
 */
function urlFor(pattern: string): string {
  if (pattern === '/docs/*') return '/docs/json';
  return pattern
    .replace(':runId', 'run-that-does-not-exist')
    .replace(':id', randomUUID())
    .replace(':n', '1')
    .replace(':key', 'PERMISSION_PROBE')
    .replace(':name', 'permission.probe')
    .replace(':scope', 'no-such-scope')
    .replace(':path', 'no-such-hook')
    .replace(':token', 'not-a-token');
}

/** The status the matrix promises, or 'allowed' (anything but 401/403). */
function expected(access: Access, roles: string[] | 'unauthenticated'): 401 | 403 | 'allowed' {
  if (access === 'public') return 'allowed';
  if (roles === 'unauthenticated') return 401;
  return rolesAllow(access, roles) ? 'allowed' : 403;
}

/** Refusals a handler makes on its own for a caller the matrix lets in (the matrix's "also checked" column). */
const HANDLER_REFUSALS: Record<string, string[]> = {
  // Only the bootstrap key (ADMIN_API_KEY) creates tenants: test/integration/access.test.ts.
  'POST /api/tenants': ['admin'],
  'GET /api/tenants': ['admin'],
  // METRICS_TOKEN or an admin key of the default tenant, which none of these holds: test/integration/metrics.test.ts.
  'GET /metrics': [
    'admin',
    'editor',
    'operator',
    'viewer',
    'approver role only',
    'no roles',
    'no key',
    'unknown key',
    'revoked admin key',
  ],
};
/** Bodies valid enough to reach those handlers' own checks; other routes get `{}` (an allowed call may answer 400). */
const BODIES: Record<string, object> = { 'POST /api/tenants': { name: 'Permission probe' } };

describe('the permission matrix', () => {
  it('answers 401/403 exactly where the matrix says, for every route and every caller, and never 5xx', async () => {
    const mismatches: string[] = [];
    for (const [route, { access }] of Object.entries(PERMISSIONS)) {
      const [method, pattern] = route.split(' ') as [string, string];
      for (const caller of callers) {
        const url = urlFor(pattern);
        const res = await h.app.inject({
          method: method as 'GET',
          url,
          headers: caller.key ? { authorization: `Bearer ${caller.key}` } : {},
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: BODIES[route] ?? {} }),
        });
        const handlerRefusal = caller.roles === 'unauthenticated' ? 401 : 403;
        const want = HANDLER_REFUSALS[route]?.includes(caller.name) ? handlerRefusal : expected(access, caller.roles);
        const got = res.statusCode;
        const ok = got < 500 && (want === 'allowed' ? got !== 401 && got !== 403 : got === want);
        if (!ok)
          mismatches.push(
            `${route} as ${caller.name} (${url}): expected ${want}, got ${got} ${res.body.slice(0, 200)}`,
          );
        if (got === 401 || got === 403) expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('names every route the app registers, and only those', () => {
    const registered = new Set(
      registeredRoutes(h.app).map((r) => permissionKey(...(r.split(' ') as [string, string]))),
    );
    expect(registered.size).toBeGreaterThan(40);
    expect([...registered].filter((key) => !(key in PERMISSIONS))).toEqual([]);
    expect(Object.keys(PERMISSIONS).filter((key) => !registered.has(key))).toEqual([]);
  });

  it('refuses everyone a route the matrix does not name', async () => {
    const app = Fastify();
    enforceAccess(app, h.database.db);
    app.setErrorHandler((error: { status?: number }, _request, reply) => reply.code(error.status ?? 500).send(error));
    app.get('/api/unlisted', async () => ({ secret: 'open' }));
    await app.ready();
    for (const key of [h.tenant.adminKey, undefined]) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/unlisted',
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('open');
    }
    await app.close();
  });
});

describe('authentication on the decoded path', () => {
  it('refuses GET /%61pi/integrations without a key, as every disguise of a private route', async () => {
    const disguised = await h.app.inject({ method: 'GET', url: '/%61pi/integrations' });
    expect(disguised.statusCode).toBe(401);
    expect(disguised.headers['content-type']).toContain('application/problem+json');
    for (const url of [
      '/%61%70%69/integrations',
      '/api/%69ntegrations',
      '/api/integrations/',
      '/api/integrations?x=/healthz',
      '/%61pi/workflows',
      '/%61pi/variables',
      `/%61pi/documents/${randomUUID()}/content`,
    ]) {
      const res = await h.app.inject({ method: 'GET', url });
      expect([401, 404], `${url}: ${res.statusCode}`).toContain(res.statusCode);
      expect(res.body).not.toContain('provider');
    }
    const withKey = await h.api(h.tenant.adminKey, { method: 'GET', url: '/%61pi/integrations' });
    expect(withKey.statusCode).toBe(200);
  });

  it('keeps the public list public: health, readiness, the OpenAPI document and its browser', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.json', '/docs/', '/docs/json']) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    expect((await h.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'HEAD', url: '/api/workflows' })).statusCode).toBe(401);
  });
});

describe('documents', () => {
  const upload = (key: string) =>
    h.api(key, {
      method: 'POST',
      url: '/api/documents?filename=note.txt',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });

  it('refuses an upload by a viewer or a user without roles', async () => {
    const before = (await h.database.db.select().from(documents).where(eq(documents.tenantId, h.tenant.tenantId)))
      .length;
    for (const roles of [['viewer'], [], ['manager']]) {
      const res = await upload((await h.newUser(h.tenant, roles)).key);
      expect(res.statusCode, JSON.stringify(roles)).toBe(403);
    }
    expect((await h.database.db.select().from(documents).where(eq(documents.tenantId, h.tenant.tenantId))).length).toBe(
      before,
    );
  });

  it("refuses deleting another user's document; its uploader or an admin may", async () => {
    const owner = await h.newUser(h.tenant, ['operator']);
    const colleague = await h.newUser(h.tenant, ['operator']);
    const viewer = await h.newUser(h.tenant, ['viewer']);
    const mine = (await upload(owner.key)).json().id as string;
    for (const key of [viewer.key, colleague.key, (await h.newUser(h.tenant, [])).key]) {
      const res = await h.api(key, { method: 'DELETE', url: `/api/documents/${mine}` });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await h.api(owner.key, { method: 'GET', url: `/api/documents/${mine}` })).statusCode).toBe(200);
    expect((await h.api(owner.key, { method: 'DELETE', url: `/api/documents/${mine}` })).statusCode).toBe(204);
    const theirs = (await upload(colleague.key)).json().id as string;
    expect((await h.api(h.tenant.adminKey, { method: 'DELETE', url: `/api/documents/${theirs}` })).statusCode).toBe(
      204,
    );
    // Another tenant's document is not found, not forbidden.
    const stranger = await h.newTenant();
    const foreign = (await upload(stranger.adminKey)).json().id as string;
    expect((await h.api(owner.key, { method: 'DELETE', url: `/api/documents/${foreign}` })).statusCode).toBe(404);
  });
});

describe('platform events', () => {
  it('refuses an operator posting run.failed or approval.expired, and starts none of their listeners', async () => {
    const operator = await h.newUser(h.tenant, ['operator']);
    const definition = {
      nodes: [
        { id: 'start', type: 'trigger', data: { trigger: { type: 'event', event: 'run.failed' } } },
        { id: 'e', type: 'end', data: { output: { got: '{{ input }}' } } },
      ],
      edges: [{ id: 'e1', source: 'start', target: 'e' }],
    };
    // Listening for a platform event stays allowed.
    const listener = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'On failure', definition },
      })
    ).json().id as string;
    expect(
      (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${listener}/publish` })).statusCode,
    ).toBe(201);

    for (const name of [...PLATFORM_EVENTS, 'Run.Failed', 'approval.decided', 'run.anything']) {
      for (const key of [operator.key, h.tenant.adminKey]) {
        const res = await h.api(key, {
          method: 'POST',
          url: `/api/events/${name}`,
          payload: { runId: 'forged', error: { message: 'forged' } },
        });
        expect(res.statusCode, `${name}: ${res.body}`).toBe(403);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().detail).toContain('platform event');
      }
    }
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${listener}` })).json().items,
    ).toEqual([]);
    // A name of the caller's own still works.
    const own = await h.api(operator.key, { method: 'POST', url: '/api/events/order.created', payload: {} });
    expect(own.statusCode).toBe(202);
  });
});
