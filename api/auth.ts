/**
 * API keys: `Authorization: Bearer <key>`. A key belongs to a user in a
 * tenant and carries that user's roles. Keys are random (32 bytes), so a
 * SHA-256 of the key is a safe lookup hash; the key itself is never stored.
 * A bearer JWT, when JWT sign-in is configured, stands for a user the same
 * way (api/jwt-verifier.ts, api/jwt-caller.ts).
 * Which routes need a key, and which roles, is api/permissions.ts's to say
 * (enforced by api/access.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client';
import { apiKeys, tenants, users } from '../db/schema';
import { HttpProblem } from './errors';
import { callerFromClaims } from './jwt-caller';
import { looksLikeJwt, type JwtVerifier } from './jwt-verifier';

export interface Caller {
  tenantId: string;
  userId: string;
  email: string;
  roles: string[];
  keyId: string;
  isBootstrap: boolean;
}

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function newApiKey(): string {
  return `gf_${randomBytes(32).toString('base64url')}`;
}

const unauthorized = (detail: string) => new HttpProblem(401, 'unauthorized', detail);

const UNKNOWN_KEY = 'This API key is unknown or has been revoked.';

/** `jwt` checks bearer JWTs; without it (no AUTH_JWKS_URL) a JWT is refused like any unknown key. */
export async function authenticate(db: Db, header: string | undefined, jwt?: JwtVerifier): Promise<Caller> {
  if (!header) throw unauthorized('No credentials: send `Authorization: Bearer <api key>`.');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must be `Bearer <api key>`.');
  const token = match[1] as string;
  if (looksLikeJwt(token)) {
    if (!jwt) throw unauthorized(UNKNOWN_KEY);
    return callerFromClaims(db, await jwt(token));
  }
  const rows = await db
    .select({
      keyId: apiKeys.id,
      tenantId: apiKeys.tenantId,
      userId: users.id,
      email: users.email,
      roles: users.roles,
      isBootstrap: apiKeys.isBootstrap,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      deactivatedAt: users.deactivatedAt,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.keyHash, hashKey(token)), isNull(apiKeys.revokedAt)))
    .limit(1);
  const row = rows[0];
  if (!row) throw unauthorized(UNKNOWN_KEY);
  const now = Date.now();
  if (row.expiresAt && row.expiresAt.getTime() <= now)
    throw unauthorized('This API key has expired; ask an admin for a new one.');
  if (row.deactivatedAt) throw unauthorized("This API key's user has been deactivated.");
  await noteUse(db, row.keyId, row.lastUsedAt, now);
  const { expiresAt: _expiresAt, lastUsedAt: _lastUsedAt, deactivatedAt: _deactivatedAt, ...caller } = row;
  return caller;
}

/**
 * `lastUsedAt` is written at most once a minute per key: a busy key costs one small write a minute, not one per
 * request.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

async function noteUse(db: Db, keyId: string, lastUsedAt: Date | null, now: number): Promise<void> {
  if (lastUsedAt && now - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  const staleBefore = new Date(now - LAST_USED_RESOLUTION_MS);
  try {
    // Conditional, so concurrent requests of one key write once between them.
    await db
      .update(apiKeys)
      .set({ lastUsedAt: new Date(now) })
      .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))));
  } catch {
    // A bookkeeping write never refuses a valid key.
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthorized('No credentials.');
  return request.caller;
}

/**
 * Ensures ADMIN_API_KEY is the admin key of the default tenant, creating the
 * tenant and its admin user on a fresh install. Safe to run on every start.
 */
export async function ensureBootstrapAdmin(db: Db, adminKey: string): Promise<{ tenantId: string; userId: string }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727274002)`);
    let tenant = (await tx.select().from(tenants).where(eq(tenants.isDefault, true)).limit(1))[0];
    if (!tenant) tenant = (await tx.insert(tenants).values({ name: 'Default', isDefault: true }).returning())[0]!;
    let admin = (
      await tx
        .select()
        .from(users)
        .where(and(eq(users.tenantId, tenant.id), eq(users.email, 'admin@localhost')))
        .limit(1)
    )[0];
    if (!admin)
      admin = (
        await tx
          .insert(users)
          .values({ tenantId: tenant.id, email: 'admin@localhost', name: 'Administrator', roles: ['admin'] })
          .returning()
      )[0]!;
    const hash = hashKey(adminKey);
    const existing = (await tx.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1))[0];
    if (!existing) {
      // A changed ADMIN_API_KEY replaces the old bootstrap key rather than adding a second one.
      await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.isBootstrap, true), isNull(apiKeys.revokedAt)));
      await tx.insert(apiKeys).values({
        tenantId: tenant.id,
        userId: admin.id,
        name: 'ADMIN_API_KEY',
        keyHash: hash,
        prefix: adminKey.slice(0, 8),
        isBootstrap: true,
      });
    } else if (existing.revokedAt) {
      await tx.update(apiKeys).set({ revokedAt: null }).where(eq(apiKeys.id, existing.id));
    }
    return { tenantId: tenant.id, userId: admin.id };
  });
}
