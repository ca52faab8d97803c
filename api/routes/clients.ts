/**
 * `GET/POST /api/clients`, `GET/PATCH/DELETE /api/clients/:id`: the organisations a tenant runs work for. Workflows
 * and runs name them by `clientId`; a client still named cannot be deleted (409, saying by what).
 */
import { and, desc, eq, ilike, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clients } from '../../db/schema';
import { callerOf } from '../auth';
import { once } from '../idempotency';
import { afterCursor, page, PageQuery } from '../pagination';
import { emailAddress, label, uuidOf } from '../params';
import { Client } from '../schemas/clients';
import { IdempotencyHeaders } from '../schemas/headers';
import { answer, JSON_BODY, noContent, withProblems } from '../schemas/problem';
import { pageOf } from '../schemas/resources';
import {
  clientView,
  deleteClient,
  duplicateName,
  isUniqueViolation,
  loadClient,
  type ClientRow,
} from '../services/clients';

const IdParams = z.object({ id: uuidOf('a client') });

const fields = {
  name: label(200),
  contactEmail: emailAddress.nullable().optional(),
  notes: z.string().max(2000).nullable().optional(),
};

const NewClient = z
  .object(fields)
  .strict()
  .meta({ examples: [{ name: 'Acme Corp', contactEmail: 'ops@acme.example' }] });

const ClientPatch = z
  .object({ ...fields, name: fields.name.optional() })
  .strict()
  .meta({ examples: [{ notes: 'Renewal due in March' }] });

export const clientRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/clients',
    {
      schema: {
        operationId: 'listClients',
        summary: "List the tenant's clients, newest first",
        tags: ['clients'],
        querystring: z.object({ q: z.string().max(200).optional(), ...PageQuery }).strict(),
        response: withProblems({ 200: answer('A page of clients', pageOf(Client, 'ClientPage')) }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const q = request.query;
      const where: SQL[] = [eq(clients.tenantId, caller.tenantId)];
      if (q.q) where.push(ilike(clients.name, `%${q.q.replace(/[%_\\]/g, '\\$&')}%`));
      const after = afterCursor(clients.createdAt, clients.id, q.cursor);
      if (after) where.push(after);
      const rows = await db
        .select()
        .from(clients)
        .where(and(...where))
        .orderBy(desc(clients.createdAt), desc(clients.id))
        .limit(q.limit + 1);
      const result = page<ClientRow>(rows, q.limit);
      return { items: result.items.map(clientView), nextCursor: result.nextCursor };
    },
  );

  app.post(
    '/api/clients',
    {
      schema: {
        operationId: 'createClient',
        summary: 'Add a client',
        tags: ['clients'],
        headers: IdempotencyHeaders,
        body: NewClient,
        response: withProblems({ 201: answer('The client, created', Client) }, [409, ...JSON_BODY]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      return once(db, caller, request, reply, async () => {
        const b = request.body;
        const row = (
          await db
            .insert(clients)
            .values({
              tenantId: caller.tenantId,
              name: b.name,
              contactEmail: b.contactEmail ?? null,
              notes: b.notes ?? null,
            })
            .onConflictDoNothing()
            .returning()
        )[0];
        if (!row) throw duplicateName(b.name);
        return { status: 201, body: clientView(row) };
      });
    },
  );

  app.get(
    '/api/clients/:id',
    {
      schema: {
        operationId: 'getClient',
        summary: 'Read a client',
        tags: ['clients'],
        params: IdParams,
        response: withProblems({ 200: answer('The client', Client) }, [404]),
      },
    },
    async (request) => clientView(await loadClient(db, callerOf(request).tenantId, request.params.id)),
  );

  app.patch(
    '/api/clients/:id',
    {
      schema: {
        operationId: 'updateClient',
        summary: "Change a client's name, contact or notes (null clears contact or notes)",
        tags: ['clients'],
        params: IdParams,
        body: ClientPatch,
        response: withProblems({ 200: answer('The client, changed', Client) }, [404, 409, ...JSON_BODY]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const row = await loadClient(db, caller.tenantId, request.params.id);
      const b = request.body;
      const set: Partial<typeof clients.$inferInsert> = {};
      if (b.name !== undefined) set.name = b.name;
      if (b.contactEmail !== undefined) set.contactEmail = b.contactEmail;
      if (b.notes !== undefined) set.notes = b.notes;
      if (!Object.keys(set).length) return clientView(row);
      try {
        const updated = (
          await db
            .update(clients)
            .set({ ...set, updatedAt: new Date() })
            .where(and(eq(clients.id, row.id), eq(clients.tenantId, caller.tenantId)))
            .returning()
        )[0]!;
        return clientView(updated);
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName(b.name ?? row.name);
        throw error;
      }
    },
  );

  app.delete(
    '/api/clients/:id',
    {
      schema: {
        operationId: 'deleteClient',
        summary: 'Delete a client that no workflow or run names',
        tags: ['clients'],
        params: IdParams,
        response: withProblems({ 204: noContent('Deleted') }, [404, 409]),
      },
    },
    async (request, reply) => {
      await deleteClient(db, callerOf(request).tenantId, request.params.id);
      return reply.code(204).send();
    },
  );
};
