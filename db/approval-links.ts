/**
 * Signed approval links: a token bound to tenant, run, approval and approver,
 * signed with HMAC-SHA256 by a key kept in `platform_settings` (made once and
 * shared by every process). The link carries no power of its own beyond one
 * vote by that approver while the approval is open; the vote itself makes it
 * single-use, since an approver votes once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { platformSettings } from './schema';

export interface LinkClaims {
  tenantId: string;
  runId: string;
  approvalId: string;
  userId: string;
}

const KEY_NAME = 'approval_link_key';
let cached: { db: Db; key: Buffer } | undefined;

async function signingKey(db: Db): Promise<Buffer> {
  if (cached?.db === db) return cached.key;
  await db
    .insert(platformSettings)
    .values({ key: KEY_NAME, value: randomBytes(32).toString('base64') })
    .onConflictDoNothing();
  const row = (await db.select().from(platformSettings).where(eq(platformSettings.key, KEY_NAME)).limit(1))[0]!;
  cached = { db, key: Buffer.from(row.value, 'base64') };
  return cached.key;
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export async function signApprovalLink(db: Db, claims: LinkClaims): Promise<string> {
  const payload = Buffer.from(
    JSON.stringify([claims.tenantId, claims.runId, claims.approvalId, claims.userId]),
  ).toString('base64url');
  return `${payload}.${mac(await signingKey(db), payload)}`;
}

/** Two base64url parts joined by one dot, at most 1,000 characters: nothing else could be a token we issued. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,956}\.[A-Za-z0-9_-]{43}$/;

/**
 * The claims of a token exactly as we issued it, or undefined for anything
 * else: the whole token is compared (in constant time) with the one we would
 * sign for its payload, so a suffix, a second dot or a re-encoded signature
 * is refused.
 */
export async function verifyApprovalLink(db: Db, token: string): Promise<LinkClaims | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const payload = token.slice(0, token.indexOf('.'));
  const expected = Buffer.from(`${payload}.${mac(await signingKey(db), payload)}`);
  const given = Buffer.from(token);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(claims) || claims.length !== 4 || !claims.every((c) => typeof c === 'string' && c.length > 0))
      return undefined;
    const [tenantId, runId, approvalId, userId] = claims as string[];
    return { tenantId: tenantId!, runId: runId!, approvalId: approvalId!, userId: userId! };
  } catch {
    return undefined;
  }
}
