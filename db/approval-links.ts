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
  await db.insert(platformSettings).values({ key: KEY_NAME, value: randomBytes(32).toString('base64') }).onConflictDoNothing();
  const row = (await db.select().from(platformSettings).where(eq(platformSettings.key, KEY_NAME)).limit(1))[0]!;
  cached = { db, key: Buffer.from(row.value, 'base64') };
  return cached.key;
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export async function signApprovalLink(db: Db, claims: LinkClaims): Promise<string> {
  const payload = Buffer.from(JSON.stringify([claims.tenantId, claims.runId, claims.approvalId, claims.userId])).toString('base64url');
  return `${payload}.${mac(await signingKey(db), payload)}`;
}

/** The claims of a genuine token, or undefined for anything else. */
export async function verifyApprovalLink(db: Db, token: string): Promise<LinkClaims | undefined> {
  const [payload, signature] = token.split('.');
  if (!payload || !signature || token.length > 1000) return undefined;
  const expected = Buffer.from(mac(await signingKey(db), payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const [tenantId, runId, approvalId, userId] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as string[];
    if (!tenantId || !runId || !approvalId || !userId) return undefined;
    return { tenantId, runId, approvalId, userId };
  } catch {
    return undefined;
  }
}
