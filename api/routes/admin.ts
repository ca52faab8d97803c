/** Users, API keys and tenants (api-contract.md, "Users, keys and tenants"). */
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { label, emailAddress } from '../params';
import { apiKeys, tenants, users } from '../../db/schema';
import { callerOf, hashKey, newApiKey } from '../auth';
import { conflict, forbidden, notFound } from '../errors';
import { once } from '../idempotency';

const Role = z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, 'roles are lower_snake_case, like admin, editor, operator, viewer, manager');

export const adminRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.post('/api/users', {
    schema: { tags: ['admin'], body: z.object({ email: emailAddress, name: label(200), roles: z.array(Role).max(50).default([]) }).strict() },
  }, async (request, reply) => {
    const caller = callerOf(request);
    return once(db, caller, request, reply, async () => {
      const b = request.body;
      const email = b.email.toLowerCase();
      const existing = await db.select({ id: users.id }).from(users).where(and(eq(users.tenantId, caller.tenantId), eq(users.email, email))).limit(1);
      if (existing.length) throw conflict(`A user with email ${email} already exists in this tenant.`, { userId: existing[0]!.id });
      const row = (await db.insert(users).values({ tenantId: caller.tenantId, email, name: b.name, roles: [...new Set(b.roles)] }).returning())[0]!;
      return { status: 201, body: { id: row.id, email: row.email, name: row.name, roles: row.roles, createdAt: row.createdAt.toISOString() } };
    });
  });

  app.post('/api/api-keys', {
    schema: { tags: ['admin'], body: z.object({ userId: z.uuid(), name: z.string().max(200).optional() }).strict() },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const user = (await db.select().from(users).where(and(eq(users.id, request.body.userId), eq(users.tenantId, caller.tenantId))).limit(1))[0];
    if (!user) throw notFound('User', request.body.userId);
    const key = newApiKey();
    const row = (await db.insert(apiKeys).values({ tenantId: caller.tenantId, userId: user.id, name: request.body.name ?? null, keyHash: hashKey(key), prefix: key.slice(0, 8) }).returning())[0]!;
    // Never stored, so never replayed: a retried POST makes a second key, which is harmless and revocable.
    return reply.code(201).send({ id: row.id, key, userId: user.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt.toISOString() });
  });

  app.delete('/api/api-keys/:id', { schema: { tags: ['admin'], params: z.object({ id: z.uuid() }) } }, async (request, reply) => {
    const caller = callerOf(request);
    const revoked = await db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, request.params.id), eq(apiKeys.tenantId, caller.tenantId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    if (!revoked.length) throw notFound('API key', request.params.id);
    return reply.code(204).send();
  });

  app.post('/api/tenants', { schema: { tags: ['admin'], body: z.object({ name: label(200) }).strict() } }, async (request, reply) => {
    const caller = callerOf(request);
    if (!caller.isBootstrap) throw forbidden('Only the bootstrap key (ADMIN_API_KEY) may create tenants.');
    const adminKey = newApiKey();
    const created = await db.transaction(async (tx) => {
      const tenant = (await tx.insert(tenants).values({ name: request.body.name }).returning())[0]!;
      const admin = (await tx.insert(users).values({ tenantId: tenant.id, email: 'admin@localhost', name: 'Administrator', roles: ['admin'] }).returning())[0]!;
      await tx.insert(apiKeys).values({ tenantId: tenant.id, userId: admin.id, name: 'tenant admin', keyHash: hashKey(adminKey), prefix: adminKey.slice(0, 8) });
      return { tenant, admin };
    });
    return reply.code(201).send({ id: created.tenant.id, name: created.tenant.name, adminUserId: created.admin.id, adminKey });
  });
};
