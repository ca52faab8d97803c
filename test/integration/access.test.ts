/** Who may do what: API keys, roles, tenants and the bootstrap key. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin } from '../../api/auth';
import { createHarness, type Harness } from '../harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const draft = { name: 'Access', definition: { nodes: [], edges: [] } };

describe('authentication', () => {
  it('answers 401 with a problem for a missing, malformed or unknown key', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer gf_nope']) {
      const res = await h.app.inject({
        method: 'GET',
        url: '/api/workflows',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail.length).toBeGreaterThan(10);
    }
  });

  it('serves health checks, the OpenAPI document and its browser without a key', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } });
    const openapi = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/workflows',
        '/api/workflows/{id}/publish',
        '/api/workflows/{id}/runs',
        '/api/runs/{runId}',
        '/api/api-keys/{id}',
      ]),
    );
    expect(openapi.paths['/api/workflows'].post.requestBody).toBeDefined();
    const docs = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});

describe('roles', () => {
  it('lets a viewer read but not write, and an editor write', async () => {
    const viewer = await h.newUser(h.tenant, ['viewer']);
    const editor = await h.newUser(h.tenant, ['editor']);
    expect((await h.api(viewer.key, { method: 'GET', url: '/api/workflows' })).statusCode).toBe(200);
    const refused = await h.api(viewer.key, { method: 'POST', url: '/api/workflows', payload: draft });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toContain('editor');
    expect((await h.api(editor.key, { method: 'POST', url: '/api/workflows', payload: draft })).statusCode).toBe(201);
  });
});

describe('users, keys and tenants', () => {
  it('an admin creates a user and a key; the key works until it is revoked', async () => {
    const admin = h.tenant.adminKey;
    const user = await h.api(admin, {
      method: 'POST',
      url: '/api/users',
      payload: { email: 'Ops@Example.com', name: 'Ops', roles: ['operator'] },
    });
    expect(user.statusCode).toBe(201);
    expect(user.json()).toMatchObject({ email: 'ops@example.com', roles: ['operator'] });
    const duplicate = await h.api(admin, {
      method: 'POST',
      url: '/api/users',
      payload: { email: 'ops@example.com', name: 'Ops', roles: [] },
    });
    expect(duplicate.statusCode).toBe(409);

    const created = await h.api(admin, {
      method: 'POST',
      url: '/api/api-keys',
      payload: { userId: user.json().id, name: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json();
    expect(key).toMatch(/^gf_/);
    // Stored only as a hash.
    const stored = JSON.stringify(await h.database.db.query.apiKeys.findMany());
    expect(stored).not.toContain(key);

    expect((await h.api(key, { method: 'GET', url: '/api/runs' })).statusCode).toBe(200);
    expect(
      (await h.api(key, { method: 'POST', url: '/api/users', payload: { email: 'x@example.com', name: 'X' } }))
        .statusCode,
    ).toBe(403);
    expect((await h.api(admin, { method: 'DELETE', url: `/api/api-keys/${id}` })).statusCode).toBe(204);
    expect((await h.api(key, { method: 'GET', url: '/api/runs' })).statusCode).toBe(401);
  });

  it('a user or key of another tenant is not found', async () => {
    const other = await h.newTenant();
    const stranger = await h.newUser(other, ['viewer']);
    const res = await h.api(h.tenant.adminKey, {
      method: 'POST',
      url: '/api/api-keys',
      payload: { userId: stranger.userId },
    });
    expect(res.statusCode).toBe(404);
  });

  it('only the bootstrap key creates tenants, and the new tenant starts empty', async () => {
    expect(
      (await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/tenants', payload: { name: 'Nope' } })).statusCode,
    ).toBe(403);
    const bootstrapKey = `bootstrap-${Date.now()}-0123456789`;
    await ensureBootstrapAdmin(h.database.db, bootstrapKey);
    await ensureBootstrapAdmin(h.database.db, bootstrapKey); // idempotent on every start
    const created = await h.api(bootstrapKey, { method: 'POST', url: '/api/tenants', payload: { name: 'Acme' } });
    expect(created.statusCode).toBe(201);
    const { adminKey } = created.json();
    expect((await h.api(adminKey, { method: 'GET', url: '/api/workflows' })).json()).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe('lists', () => {
  it('pages newest first with a cursor', async () => {
    const t = await h.newTenant();
    for (let i = 0; i < 5; i++)
      await h.api(t.adminKey, { method: 'POST', url: '/api/workflows', payload: { ...draft, name: `W${i}` } });
    const first = (await h.api(t.adminKey, { method: 'GET', url: '/api/workflows?limit=2' })).json();
    expect(first.items.map((w: { name: string }) => w.name)).toEqual(['W4', 'W3']);
    const second = (
      await h.api(t.adminKey, { method: 'GET', url: `/api/workflows?limit=2&cursor=${first.nextCursor}` })
    ).json();
    expect(second.items.map((w: { name: string }) => w.name)).toEqual(['W2', 'W1']);
    const last = (
      await h.api(t.adminKey, { method: 'GET', url: `/api/workflows?limit=2&cursor=${second.nextCursor}` })
    ).json();
    expect(last).toMatchObject({ nextCursor: null });
    expect(last.items.map((w: { name: string }) => w.name)).toEqual(['W0']);
    expect((await h.api(t.adminKey, { method: 'GET', url: '/api/workflows?limit=9999' })).statusCode).toBe(400);
  });
});
