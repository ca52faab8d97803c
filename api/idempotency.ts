/**
 * `Idempotency-Key` on POSTs that create something: the same key with the
 * same body answers the first result again; with a different body, 409.
 * A key is remembered for IDEMPOTENCY_TTL, whatever became of what it made;
 * expired keys are deleted lazily, by the next request that claims one.
 */
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import type { Caller } from './auth';
import { badRequest, conflict } from './errors';
import { stableHash } from '../lib/canonical-json';

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || key.length > 200)
    throw badRequest('Idempotency-Key must be 1 to 200 characters.', [
      { path: 'headers.idempotency-key', message: 'must be 1 to 200 characters' },
    ]);
  return key;
}

/** An unfinished first attempt older than this is taken to have died. */
const STALE_AFTER_MS = 30_000;

/** Deletes the keys older than the TTL (one indexed delete; usually nothing to do). */
async function forgetExpired(db: Db, ttlMs: number): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - ttlMs)));
}

/**
 * Runs `create` once per key: a repeat answers the stored status and body.
 * `create` returns the status and body to send.
 */
export async function once(
  db: Db,
  caller: Caller,
  request: FastifyRequest,
  reply: FastifyReply,
  create: () => Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const key = idempotencyKeyOf(request);
  if (!key) {
    const result = await create();
    return reply.code(result.status).send(result.body);
  }
  const route = `${request.method} ${request.routeOptions.url ?? request.url}:${JSON.stringify(request.params ?? {})}`;
  const requestHash = stableHash(request.body);
  await forgetExpired(db, request.server.config.idempotencyTtlMs);
  const where = and(
    eq(idempotencyKeys.tenantId, caller.tenantId),
    eq(idempotencyKeys.route, route),
    eq(idempotencyKeys.key, key),
  );
  const inserted = await db
    .insert(idempotencyKeys)
    .values({ tenantId: caller.tenantId, route, key, requestHash })
    .onConflictDoNothing()
    .returning();
  if (inserted.length === 0) {
    const previous = (await db.select().from(idempotencyKeys).where(where).limit(1))[0];
    if (previous && previous.requestHash !== requestHash) {
      throw conflict('This Idempotency-Key was used before with a different body. Use a new key for a new request.');
    }
    if (previous?.statusCode)
      return reply.code(previous.statusCode).header('idempotent-replayed', 'true').send(previous.response);
    if (previous && Date.now() - previous.createdAt.getTime() > STALE_AFTER_MS) {
      // The first attempt died mid-way (process killed): take it over.
      await db.delete(idempotencyKeys).where(where);
      return once(db, caller, request, reply, create);
    }
    throw conflict('A request with this Idempotency-Key is still being processed; retry in a moment.');
  }
  try {
    const result = await create();
    await db
      .update(idempotencyKeys)
      .set({ statusCode: result.status, response: result.body as object })
      .where(where);
    return reply.code(result.status).send(result.body);
  } catch (error) {
    // A refused request may be retried with the same key once its problem is fixed.
    await db.delete(idempotencyKeys).where(where);
    throw error;
  }
}
