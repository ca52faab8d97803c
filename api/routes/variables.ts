/**
 * `GET/PUT/DELETE /api/variables[/:key]`: a tenant's variables and secrets.
 * A secret is written once and never read back: answers show that it is set,
 * never its value.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { secretKeysOf } from '../../config';
import { seal } from '../../db/secrets';
import { VARIABLE_TYPES, workflowVariables } from '../../db/schema';
import { callerOf } from '../auth';
import { badRequest, conflict, notFound } from '../errors';
import { answer, JSON_BODY, noContent, withProblems } from '../schemas/problem';
import { Variable } from '../schemas/resources';

type VariableRow = typeof workflowVariables.$inferSelect;

const KeyParams = z.object({
  key: z.string().regex(/^[A-Za-z_][\w-]{0,99}$/, 'names are letters, digits, _ and -, starting with a letter or _'),
});

function view(row: VariableRow) {
  return {
    key: row.key,
    type: row.type,
    ...(row.type === 'secret' ? { value: null, secret: true, keyId: row.keyId } : { value: row.value, secret: false }),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const VALUE_CHECK: Record<(typeof VARIABLE_TYPES)[number], (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  json: () => true,
  secret: (v) => typeof v === 'string' && v.length > 0,
};

export const variableRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;

  app.get(
    '/api/variables',
    {
      schema: {
        operationId: 'listVariables',
        summary: "List the tenant's variables and secrets (never a secret's value)",
        tags: ['variables'],
        response: withProblems({
          200: answer(
            'Every variable (one page)',
            z.strictObject({ items: z.array(Variable), nextCursor: z.null() }).meta({ id: 'VariablePage' }),
          ),
        }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await db
        .select()
        .from(workflowVariables)
        .where(eq(workflowVariables.tenantId, caller.tenantId))
        .orderBy(asc(workflowVariables.key));
      return { items: rows.map(view), nextCursor: null };
    },
  );

  app.get(
    '/api/variables/:key',
    {
      schema: {
        operationId: 'getVariable',
        summary: 'Read a variable (a secret shows only that it is set)',
        tags: ['variables'],
        params: KeyParams,
        response: withProblems({ 200: answer('The variable', Variable) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const row = (
        await db
          .select()
          .from(workflowVariables)
          .where(and(eq(workflowVariables.tenantId, caller.tenantId), eq(workflowVariables.key, request.params.key)))
          .limit(1)
      )[0];
      if (!row) throw notFound('Variable', request.params.key);
      return view(row);
    },
  );

  app.put(
    '/api/variables/:key',
    {
      schema: {
        operationId: 'putVariable',
        summary: 'Create or replace a variable or secret',
        tags: ['variables'],
        params: KeyParams,
        body: z
          .object({ type: z.enum(VARIABLE_TYPES), value: z.unknown() })
          .strict()
          .meta({
            examples: [
              { type: 'string', value: 'https://erp.example.com' },
              { type: 'secret', value: 's3cr3t-token' },
            ],
          }),
        response: withProblems({ 200: answer('The variable as stored', Variable) }, [409, ...JSON_BODY]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { type, value } = request.body;
      if (!VALUE_CHECK[type](value))
        throw badRequest(`The value does not match type "${type}".`, [
          { path: 'body.value', message: `expected a ${type === 'secret' ? 'non-empty string' : type}` },
        ]);
      let stored: { value: unknown; encrypted: string | null; keyId: string | null } = {
        value: value ?? null,
        encrypted: null,
        keyId: null,
      };
      if (type === 'secret') {
        const keys = secretKeysOf(app.config);
        if (!keys.current)
          throw conflict(
            'Secrets cannot be stored: set SECRETS_KEY (32 bytes, base64; `openssl rand -base64 32`) on the API and the workers.',
          );
        stored = { value: null, ...seal(keys, value as string) };
      }
      const row = (
        await db
          .insert(workflowVariables)
          .values({ tenantId: caller.tenantId, key: request.params.key, type, ...stored })
          .onConflictDoUpdate({
            target: [workflowVariables.tenantId, workflowVariables.key],
            set: { type, ...stored, updatedAt: new Date() },
          })
          .returning()
      )[0]!;
      return view(row);
    },
  );

  app.delete(
    '/api/variables/:key',
    {
      schema: {
        operationId: 'deleteVariable',
        summary: 'Delete a variable or secret',
        tags: ['variables'],
        params: KeyParams,
        response: withProblems({ 204: noContent('Deleted') }, [404]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const deleted = await db
        .delete(workflowVariables)
        .where(and(eq(workflowVariables.tenantId, caller.tenantId), eq(workflowVariables.key, request.params.key)))
        .returning({ key: workflowVariables.key });
      if (!deleted.length) throw notFound('Variable', request.params.key);
      return reply.code(204).send();
    },
  );
};
