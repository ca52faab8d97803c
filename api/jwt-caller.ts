/**
 * Which user a verified JWT stands for: the user whose email is the token's
 * `email` claim (compared without case), or whose id is its `sub`. The user's
 * tenant is the caller's tenant; an email known in several tenants needs a
 * `tenant` claim (the tenant's id) to pick one. Roles, and refusing a
 * deactivated user, are as for API keys: the user row decides, not the token.
 */
import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { JWTPayload } from 'jose';
import type { Db } from '../db/client';
import { users } from '../db/schema';
import type { Caller } from './auth';
import { HttpProblem } from './errors';

/** Control characters (PostgreSQL refuses NUL) and lone surrogates: nothing an identity is spelled with. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const UNUSABLE = /[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** More matches than this for one token is no sign-in anyone meant; the answer is "ambiguous" either way. */
const MAX_CANDIDATES = 20;

const unauthorized = (detail: string) => new HttpProblem(401, 'unauthorized', detail);

/** A text claim that can go into a query as it is; anything else refuses the token rather than failing the query. */
function textClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.length || value.length > 320 || UNUSABLE.test(value)) {
    throw unauthorized(`This token's \`${name}\` claim is not a usable text.`);
  }
  return value;
}

/** Who the token says it is, as the conditions that find that user. */
function identityConditions(claims: JWTPayload): SQL[] {
  const conditions: SQL[] = [];
  const email = textClaim(claims, 'email');
  // A provider that says the address is unverified is not vouching for it.
  if (email && claims.email_verified !== false) conditions.push(sql`lower(${users.email}) = lower(${email})`);
  const sub = textClaim(claims, 'sub');
  if (sub && UUID.test(sub)) conditions.push(eq(users.id, sub.toLowerCase()));
  return conditions;
}

export async function callerFromClaims(db: Db, claims: JWTPayload): Promise<Caller> {
  const conditions = identityConditions(claims);
  if (!conditions.length)
    throw unauthorized('This token names no user: it needs a verified `email` claim, or a `sub` that is a user id.');
  const tenantClaim = textClaim(claims, 'tenant')?.toLowerCase();
  // Narrowed in the query, not after it: an email known in many tenants would fill the candidate limit before the
  // tenant named here was reached. A tenant claim that is no tenant id names nobody.
  if (tenantClaim !== undefined && !UUID.test(tenantClaim))
    throw unauthorized("No user of this API matches this token's `email` or `sub`; ask an admin to add you.");

  const found = await db
    .select({
      userId: users.id,
      tenantId: users.tenantId,
      email: users.email,
      roles: users.roles,
      deactivatedAt: users.deactivatedAt,
    })
    .from(users)
    .where(tenantClaim === undefined ? or(...conditions) : and(or(...conditions), eq(users.tenantId, tenantClaim)))
    .limit(MAX_CANDIDATES);

  if (!found.length)
    throw unauthorized("No user of this API matches this token's `email` or `sub`; ask an admin to add you.");

  // A user deactivated in one tenant does not make their sign-in to another ambiguous.
  const active = found.filter((user) => user.deactivatedAt === null);
  if (!active.length) throw unauthorized("This token's user has been deactivated.");
  if (active.length > 1) {
    const tenantCount = new Set(active.map((user) => user.tenantId)).size;
    throw unauthorized(
      tenantCount > 1
        ? `This token's user is known in ${tenantCount} tenants, so which one it signs in to is ambiguous; add a \`tenant\` claim with the tenant's id.`
        : 'This token matches several users of one tenant (emails differing only in case, or an `email` and a `sub` naming different users); it signs in nobody.',
    );
  }
  const user = active[0]!;
  return {
    tenantId: user.tenantId,
    userId: user.userId,
    email: user.email,
    roles: user.roles,
    // No key row stands behind a token; this names the token (or, without a `jti`, its subject) for whoever reads it.
    keyId: `jwt:${textClaim(claims, 'jti') ?? textClaim(claims, 'sub') ?? user.userId}`,
    isBootstrap: false,
  };
}
