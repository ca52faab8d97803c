/**
 * `GET /api/users`, `GET/PATCH/DELETE /api/users/:id`: a tenant's users. Deleting deactivates: the user's row
 * stays (runs, votes and documents name it), and every key of theirs fails at once with 401.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiKeys, users } from '../../db/schema';
import { callerOf, type Caller } from '../auth';
import { conflict, notFound } from '../errors';
import { label, uuidOf } from '../params';
import { User, UserList } from '../schemas/admin';
import { answer, JSON_BODY, noContent, withProblems } from '../schemas/problem';

type UserRow = typeof users.$inferSelect;

export const Role = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,49}$/, 'roles are lower_snake_case, like admin, editor, operator, viewer, manager');

export const userView = (row: UserRow) => ({
  id: row.id,
  email: row.email,
  name: row.name,
  roles: row.roles,
  active: row.deactivatedAt === null,
  createdAt: row.createdAt.toISOString(),
  deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
});

const IdParams = z.object({ id: uuidOf('a user') });

const UserPatch = z
  .object({
    name: label(200).optional(),
    roles: z.array(Role).max(50).optional(),
    active: z
      .boolean()
      .optional()
      .meta({ description: "false deactivates (the user's keys fail at once); true brings the user back" }),
  })
  .strict()
  .meta({ examples: [{ roles: ['editor', 'manager'] }, { active: false }] });

export const userRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  const load = async (caller: Caller, id: string) => {
    const row = (
      await db
        .select()
        .from(users)
        .where(and(eq(users.id, id), eq(users.tenantId, caller.tenantId)))
        .limit(1)
    )[0];
    if (!row) throw notFound('User', id);
    return row;
  };
  /** The bootstrap key's user, and the caller itself, stay active admins: nobody locks the tenant out by mistake. */
  const refuseLockout = async (caller: Caller, row: UserRow, change: { roles?: string[]; active?: boolean }) => {
    const losesAdmin = change.active === false || (change.roles !== undefined && !change.roles.includes('admin'));
    if (!losesAdmin || !row.roles.includes('admin')) return;
    if (row.id === caller.userId)
      throw conflict('You cannot deactivate yourself or take your own admin role; another admin can.');
    const bootstrap = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, row.id), eq(apiKeys.isBootstrap, true)))
      .limit(1);
    if (bootstrap.length)
      throw conflict('This is the user of the bootstrap key (ADMIN_API_KEY); it stays an active admin.');
  };

  app.get(
    '/api/users',
    {
      schema: {
        operationId: 'listUsers',
        summary: "List the tenant's users",
        tags: ['admin'],
        response: withProblems({ 200: answer('Every user, active or not (one page)', UserList) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await db.select().from(users).where(eq(users.tenantId, caller.tenantId)).orderBy(asc(users.email));
      return { items: rows.map(userView), nextCursor: null };
    },
  );

  app.get(
    '/api/users/:id',
    {
      schema: {
        operationId: 'getUser',
        summary: 'Read a user',
        tags: ['admin'],
        params: IdParams,
        response: withProblems({ 200: answer('The user', User) }, [404]),
      },
    },
    async (request) => userView(await load(callerOf(request), request.params.id)),
  );

  app.patch(
    '/api/users/:id',
    {
      schema: {
        operationId: 'updateUser',
        summary: "Change a user's name or roles, or deactivate or reactivate them",
        tags: ['admin'],
        params: IdParams,
        body: UserPatch,
        response: withProblems({ 200: answer('The user, changed', User) }, [404, 409, ...JSON_BODY]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const row = await load(caller, request.params.id);
      const b = request.body;
      await refuseLockout(caller, row, b);
      const set: Partial<typeof users.$inferInsert> = {};
      if (b.name !== undefined) set.name = b.name;
      if (b.roles !== undefined) set.roles = [...new Set(b.roles)];
      if (b.active !== undefined) set.deactivatedAt = b.active ? null : (row.deactivatedAt ?? new Date());
      if (!Object.keys(set).length) return userView(row);
      const updated = (
        await db
          .update(users)
          .set(set)
          .where(and(eq(users.id, row.id), eq(users.tenantId, caller.tenantId)))
          .returning()
      )[0]!;
      return userView(updated);
    },
  );

  app.delete(
    '/api/users/:id',
    {
      schema: {
        operationId: 'deactivateUser',
        summary: 'Deactivate a user: their keys fail at once',
        tags: ['admin'],
        params: IdParams,
        response: withProblems({ 204: noContent('Deactivated (or already inactive)') }, [404, 409]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const row = await load(caller, request.params.id);
      await refuseLockout(caller, row, { active: false });
      if (!row.deactivatedAt)
        await db
          .update(users)
          .set({ deactivatedAt: new Date() })
          .where(and(eq(users.id, row.id), eq(users.tenantId, caller.tenantId)));
      return reply.code(204).send();
    },
  );
};
