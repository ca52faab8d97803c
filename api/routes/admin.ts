/** Users, API keys and tenants (api-contract.md, "Users, keys and tenants"). */
import { and, asc, desc, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { label, emailAddress, isoMoment } from '../params';
import { apiKeys, tenants, users } from '../../db/schema';
import { callerOf, hashKey, newApiKey } from '../auth';
import { badRequest, conflict, forbidden, notFound } from '../errors';
import { once } from '../idempotency';
import { ApiKeyList, CreatedApiKey, CreatedTenant, TenantList, User } from '../schemas/admin';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, noContent, withProblems } from '../schemas/problem';
import { Role, userView } from './users';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const onlyBootstrap = (what: string) => forbidden(`Only the bootstrap key (ADMIN_API_KEY) may ${what}.`);

export const adminRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.post(
    '/api/users',
    {
      schema: {
        operationId: 'createUser',
        summary: 'Add a user to the tenant',
        tags: ['admin'],
        headers: IdempotencyHeaders,
        body: z
          .object({ email: emailAddress, name: label(200), roles: z.array(Role).max(50).default([]) })
          .strict()
          .meta({ examples: [{ email: 'ana@example.com', name: 'Ana', roles: ['operator', 'manager'] }] }),
        response: withProblems({ 201: answer('The user', User) }, [409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      return once(db, caller, request, reply, async () => {
        const b = request.body;
        const email = b.email.toLowerCase();
        const existing = await db
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.tenantId, caller.tenantId), eq(users.email, email)))
          .limit(1);
        if (existing.length)
          throw conflict(`A user with email ${email} already exists in this tenant.`, { userId: existing[0]!.id });
        const row = (
          await db
            .insert(users)
            .values({ tenantId: caller.tenantId, email, name: b.name, roles: [...new Set(b.roles)] })
            .returning()
        )[0]!;
        return { status: 201, body: userView(row) };
      });
    },
  );

  app.post(
    '/api/api-keys',
    {
      schema: {
        operationId: 'createApiKey',
        summary: 'Make an API key for a user (shown once)',
        tags: ['admin'],
        body: z
          .object({
            userId: z.uuid(),
            name: z.string().max(200).optional(),
            expiresAt: isoMoment
              .optional()
              .meta({ description: 'When the key stops working (401 after); never when absent' }),
          })
          .strict()
          .meta({
            examples: [
              { userId: '0b6f4c1e-8a8f-4f55-9d0c-3f2f4f7a1b2c', name: 'CI deploys', expiresAt: '2030-01-01T00:00:00Z' },
            ],
          }),
        response: withProblems({ 201: answer('The key, shown this once', CreatedApiKey) }, [404, 409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= Date.now())
        throw badRequest('expiresAt is in the past: the key would never work.', [
          { path: 'body.expiresAt', message: 'must be in the future' },
        ]);
      const user = (
        await db
          .select()
          .from(users)
          .where(and(eq(users.id, request.body.userId), eq(users.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!user) throw notFound('User', request.body.userId);
      if (user.deactivatedAt)
        throw conflict(
          'This user is deactivated: a key of theirs would not work. Reactivate them first (PATCH /api/users/:id {"active": true}).',
        );
      const key = newApiKey();
      const row = (
        await db
          .insert(apiKeys)
          .values({
            tenantId: caller.tenantId,
            userId: user.id,
            name: request.body.name ?? null,
            keyHash: hashKey(key),
            prefix: key.slice(0, 8),
            expiresAt,
          })
          .returning()
      )[0]!;
      // Never stored, so never replayed: a retried POST makes a second key, which is harmless and revocable.
      return reply.code(201).send({
        id: row.id,
        key,
        userId: user.id,
        name: row.name,
        prefix: row.prefix,
        createdAt: row.createdAt.toISOString(),
        expiresAt: iso(row.expiresAt),
      });
    },
  );

  app.get(
    '/api/api-keys',
    {
      schema: {
        operationId: 'listApiKeys',
        summary: "List the tenant's API keys (never the keys themselves)",
        tags: ['admin'],
        response: withProblems({ 200: answer('Every key, revoked ones too (one page)', ApiKeyList) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await db
        .select({ key: apiKeys, userEmail: users.email })
        .from(apiKeys)
        .innerJoin(users, eq(users.id, apiKeys.userId))
        .where(eq(apiKeys.tenantId, caller.tenantId))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
      const items = rows.map(({ key, userEmail }) => ({
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        userId: key.userId,
        userEmail,
        isBootstrap: key.isBootstrap,
        createdAt: key.createdAt.toISOString(),
        lastUsedAt: iso(key.lastUsedAt),
        expiresAt: iso(key.expiresAt),
        revokedAt: iso(key.revokedAt),
      }));
      return { items, nextCursor: null };
    },
  );

  app.delete(
    '/api/api-keys/:id',
    {
      schema: {
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key: it fails at once',
        tags: ['admin'],
        params: z.object({ id: z.uuid() }),
        response: withProblems({ 204: noContent('Revoked') }, [404, 409]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const revoked = await db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        // The bootstrap key belongs to ADMIN_API_KEY (made again at every start): revoking it here would last until a
        // restart.
        .where(
          and(
            eq(apiKeys.id, request.params.id),
            eq(apiKeys.tenantId, caller.tenantId),
            isNull(apiKeys.revokedAt),
            eq(apiKeys.isBootstrap, false),
          ),
        )
        .returning({ id: apiKeys.id });
      if (!revoked.length) {
        const bootstrap = (
          await db
            .select({ id: apiKeys.id })
            .from(apiKeys)
            .where(
              and(
                eq(apiKeys.id, request.params.id),
                eq(apiKeys.tenantId, caller.tenantId),
                eq(apiKeys.isBootstrap, true),
                isNull(apiKeys.revokedAt),
              ),
            )
            .limit(1)
        )[0];
        if (bootstrap)
          throw conflict(
            'This is the bootstrap key (ADMIN_API_KEY): change or unset ADMIN_API_KEY and restart to replace it.',
          );
        throw notFound('API key', request.params.id);
      }
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/tenants',
    {
      schema: {
        operationId: 'listTenants',
        summary: 'List every tenant (bootstrap key only)',
        tags: ['admin'],
        response: withProblems({ 200: answer('Every tenant (one page)', TenantList) }),
      },
    },
    async (request) => {
      if (!callerOf(request).isBootstrap) throw onlyBootstrap('list tenants');
      const rows = await db.select().from(tenants).orderBy(asc(tenants.createdAt), asc(tenants.id));
      return {
        items: rows.map((t) => ({
          id: t.id,
          name: t.name,
          isDefault: t.isDefault,
          createdAt: t.createdAt.toISOString(),
        })),
        nextCursor: null,
      };
    },
  );

  app.post(
    '/api/tenants',
    {
      schema: {
        operationId: 'createTenant',
        summary: 'Create a tenant with its first admin and key (bootstrap key only)',
        tags: ['admin'],
        body: z
          .object({ name: label(200) })
          .strict()
          .meta({ examples: [{ name: 'Acme Corp' }] }),
        response: withProblems(
          { 201: answer('The tenant and its admin key, shown this once', CreatedTenant) },
          JSON_BODY,
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (!caller.isBootstrap) throw onlyBootstrap('create tenants');
      const adminKey = newApiKey();
      const created = await db.transaction(async (tx) => {
        const tenant = (await tx.insert(tenants).values({ name: request.body.name }).returning())[0]!;
        const admin = (
          await tx
            .insert(users)
            .values({ tenantId: tenant.id, email: 'admin@localhost', name: 'Administrator', roles: ['admin'] })
            .returning()
        )[0]!;
        await tx.insert(apiKeys).values({
          tenantId: tenant.id,
          userId: admin.id,
          name: 'tenant admin',
          keyHash: hashKey(adminKey),
          prefix: adminKey.slice(0, 8),
        });
        return { tenant, admin };
      });
      return reply
        .code(201)
        .send({ id: created.tenant.id, name: created.tenant.name, adminUserId: created.admin.id, adminKey });
    },
  );
};
