/**
 * Users, API keys and tenants: listed, changed, deactivated, expired. A deactivated user's keys and an expired
 * key fail at once with 401; key listings never show a key; lastUsedAt is written at most once a minute;
 * tenants are listed only with the bootstrap key.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapAdmin, newApiKey } from '../../api/auth';
import { apiKeys } from '../../db/schema';
import { createHarness, type Harness } from '../harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const asAdmin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  h.api(h.tenant.adminKey, { method, url, ...(payload ? { payload } : {}) });
const whoami = (key: string) => h.api(key, { method: 'GET', url: '/api/workflows?limit=1' });

async function userWithKey(roles: string[], keyBody: Record<string, unknown> = {}) {
  const user = await asAdmin('POST', '/api/users', {
    email: `u-${Math.random().toString(36).slice(2)}@example.com`,
    name: 'Someone',
    roles,
  });
  expect(user.statusCode).toBe(201);
  const key = await asAdmin('POST', '/api/api-keys', { userId: user.json().id, name: 'test key', ...keyBody });
  expect(key.statusCode).toBe(201);
  return { user: user.json(), key: key.json() };
}

describe('users', () => {
  it("lists, reads and changes the roles of the tenant's users", async () => {
    const { user } = await userWithKey(['viewer']);
    const list = await asAdmin('GET', '/api/users');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((u: { id: string }) => u.id)).toContain(user.id);
    const read = await asAdmin('GET', `/api/users/${user.id}`);
    expect(read.json()).toMatchObject({ id: user.id, roles: ['viewer'], active: true, deactivatedAt: null });
    const patched = await asAdmin('PATCH', `/api/users/${user.id}`, {
      roles: ['editor', 'editor', 'manager'],
      name: 'Renamed',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ roles: ['editor', 'manager'], name: 'Renamed' });
  });

  it("a changed role applies to the user's existing key at once", async () => {
    const { user, key } = await userWithKey(['viewer']);
    const create = () =>
      h.api(key.key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'w', definition: { nodes: [], edges: [] } },
      });
    expect((await create()).statusCode).toBe(403);
    await asAdmin('PATCH', `/api/users/${user.id}`, { roles: ['editor'] });
    expect((await create()).statusCode).toBe(201);
  });

  it("refuses a deactivated user's key at once with 401, and takes it back on reactivation", async () => {
    const { user, key } = await userWithKey(['operator']);
    expect((await whoami(key.key)).statusCode).toBe(200);
    expect((await asAdmin('DELETE', `/api/users/${user.id}`)).statusCode).toBe(204);
    const refused = await whoami(key.key);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().detail).toMatch(/deactivated/);
    expect((await asAdmin('GET', `/api/users/${user.id}`)).json()).toMatchObject({ active: false });
    expect((await asAdmin('POST', '/api/api-keys', { userId: user.id })).statusCode).toBe(409);
    expect((await asAdmin('PATCH', `/api/users/${user.id}`, { active: true })).statusCode).toBe(200);
    expect((await whoami(key.key)).statusCode).toBe(200);
  });

  it('refuses an admin locking themselves out', async () => {
    expect((await asAdmin('DELETE', `/api/users/${h.tenant.adminUserId}`)).statusCode).toBe(409);
    expect((await asAdmin('PATCH', `/api/users/${h.tenant.adminUserId}`, { roles: ['viewer'] })).statusCode).toBe(409);
    expect((await whoami(h.tenant.adminKey)).statusCode).toBe(200);
  });

  it("answers 404 for another tenant's user, on every user route", async () => {
    const other = await h.newTenant();
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await h.api(other.adminKey, {
        method,
        url: `/api/users/${h.tenant.adminUserId}`,
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, method).toBe(404);
    }
    expect(
      (await h.api(other.adminKey, { method: 'GET', url: '/api/users' })).json().items.map((u: { id: string }) => u.id),
    ).not.toContain(h.tenant.adminUserId);
  });

  it('refuses users routes to a non-admin', async () => {
    const { key } = await userWithKey(['editor']);
    expect((await h.api(key.key, { method: 'GET', url: '/api/users' })).statusCode).toBe(403);
    expect((await h.api(key.key, { method: 'GET', url: '/api/api-keys' })).statusCode).toBe(403);
  });
});

describe('api keys', () => {
  it('lists keys with owner, lastUsedAt and expiresAt, never the key or its hash', async () => {
    const { user, key } = await userWithKey(['viewer'], { expiresAt: '2099-01-01T00:00:00Z' });
    expect(key.expiresAt).toBe('2099-01-01T00:00:00.000Z');
    await whoami(key.key);
    const list = await asAdmin('GET', '/api/api-keys');
    expect(list.statusCode).toBe(200);
    const listed = list.json().items.find((k: { id: string }) => k.id === key.id);
    expect(listed).toMatchObject({
      userId: user.id,
      userEmail: user.email,
      name: 'test key',
      prefix: key.key.slice(0, 8),
      expiresAt: '2099-01-01T00:00:00.000Z',
      revokedAt: null,
    });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(list.body).not.toContain(key.key);
    const row = (await h.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]!;
    expect(list.body).not.toContain(row.keyHash);
  });

  it('refuses an expired key with 401', async () => {
    const { key } = await userWithKey(['viewer'], { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await whoami(key.key)).statusCode).toBe(200);
    await h.database.db
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, key.id));
    const refused = await whoami(key.key);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toMatch(/expired/);
  });

  it('refuses a key that would be born expired', async () => {
    const { user } = await userWithKey(['viewer']);
    const res = await asAdmin('POST', '/api/api-keys', { userId: user.id, expiresAt: '2001-01-01T00:00:00Z' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'body.expiresAt', message: 'must be in the future' }]);
  });

  it('writes lastUsedAt at most once a minute per key', async () => {
    const { key } = await userWithKey(['viewer']);
    await whoami(key.key);
    const first = (await h.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]!.lastUsedAt;
    expect(first).not.toBeNull();
    for (let i = 0; i < 5; i++) await whoami(key.key);
    expect((await h.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]!.lastUsedAt).toEqual(first);
    // A minute later (moved back rather than waited for) the next use writes again.
    await h.database.db
      .update(apiKeys)
      .set({ lastUsedAt: new Date(Date.now() - 61_000) })
      .where(eq(apiKeys.id, key.id));
    await whoami(key.key);
    const later = (await h.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]!.lastUsedAt!;
    expect(Date.now() - later.getTime()).toBeLessThan(10_000);
  });
});

describe('tenants', () => {
  it('lists tenants with the bootstrap key only', async () => {
    const bootstrapKey = newApiKey();
    await ensureBootstrapAdmin(h.database.db, bootstrapKey);
    const listed = await h.api(bootstrapKey, { method: 'GET', url: '/api/tenants' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((t: { id: string }) => t.id)).toContain(h.tenant.tenantId);
    const refused = await asAdmin('GET', '/api/tenants');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain(h.tenant.tenantId);
  });

  it('keeps the bootstrap key: revoking it through the API is 409, since ADMIN_API_KEY makes it again at every start', async () => {
    const bootstrapKey = newApiKey();
    const { tenantId } = await ensureBootstrapAdmin(h.database.db, bootstrapKey);
    const row = (await h.database.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenantId))).find(
      (k) => k.isBootstrap && !k.revokedAt,
    )!;
    const refused = await h.api(bootstrapKey, { method: 'DELETE', url: `/api/api-keys/${row.id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('ADMIN_API_KEY');
    expect((await h.api(bootstrapKey, { method: 'GET', url: '/api/api-keys' })).statusCode).toBe(200);
  });
});
