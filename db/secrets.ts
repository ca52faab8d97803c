/**
 * The secrets store: per-tenant secrets encrypted with AES-256-GCM under
 * SECRETS_KEY (32 bytes, base64). Each value records the id of the key that
 * sealed it, so SECRETS_KEY can rotate with the old key kept as
 * SECRETS_KEY_PREVIOUS until everything is re-saved. Values are opened only
 * inside activities and the webhook route; they never enter Temporal history,
 * logs or API answers.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { resolveSecret } from '../lib/env-secrets';
import type { Db } from './client';
import { SECRET_MARKER } from '../interpreter/secret-refs';
import { redactorFor, type Redactor } from '../lib/redact';
import { tenants, workflowVariables } from './schema';

export interface SecretKeys {
  current: Buffer | undefined;
  previous: Buffer | undefined;
  /** ENV_SECRETS: the environment variables the default tenant may name as secrets (none when unset). */
  envSecrets?: ReadonlySet<string>;
}

export function parseKey(base64: string | undefined, name: string): Buffer | undefined {
  if (!base64) return undefined;
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32)
    throw new Error(
      `${name} must be 32 bytes, base64-encoded (e.g. \`openssl rand -base64 32\`); it decodes to ${key.length}`,
    );
  return key;
}

export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 12);

export function seal(keys: SecretKeys, plaintext: string): { encrypted: string; keyId: string } {
  if (!keys.current) throw new Error('SECRETS_KEY is not set: secrets cannot be stored');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.current, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { encrypted: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'), keyId: keyIdOf(keys.current) };
}

export function open(keys: SecretKeys, encrypted: string, keyId: string | null): string {
  const key = [keys.current, keys.previous].find((k) => k && keyIdOf(k) === keyId);
  if (!key)
    throw new Error(`the key that sealed this secret (${keyId}) is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS`);
  const raw = Buffer.from(encrypted, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/** A tenant's secret by name, or undefined. */
export async function readSecret(
  db: Db,
  keys: SecretKeys,
  tenantId: string,
  name: string,
): Promise<string | undefined> {
  const row = (
    await db
      .select()
      .from(workflowVariables)
      .where(
        and(
          eq(workflowVariables.tenantId, tenantId),
          eq(workflowVariables.key, name),
          eq(workflowVariables.type, 'secret'),
        ),
      )
      .limit(1)
  )[0];
  return row?.encrypted ? open(keys, row.encrypted, row.keyId) : undefined;
}

/**
 * A secret by name for signing and verifying webhooks: the tenant's store first, then, for the default tenant
 * only, the process environment, but only names the operator listed in ENV_SECRETS (so no tenant can sign with
 * ADMIN_API_KEY, HOME or another tenant's deployment secret). Undefined when neither has it.
 */
export async function findSecret(
  db: Db,
  keys: SecretKeys,
  tenantId: string,
  name: string | undefined,
): Promise<string | undefined> {
  if (!name) return undefined;
  const stored = await readSecret(db, keys, tenantId, name).catch(() => undefined);
  if (stored !== undefined) return stored;
  if (!keys.envSecrets?.has(name) || !(await isDefaultTenant(db, tenantId))) return undefined;
  return resolveSecret(name);
}

async function isDefaultTenant(db: Db, tenantId: string): Promise<boolean> {
  const row = (
    await db.select({ isDefault: tenants.isDefault }).from(tenants).where(eq(tenants.id, tenantId)).limit(1)
  )[0];
  return row?.isDefault === true;
}

/** The secrets an activity filled in, and how to take their values out of anything it is about to let go of. */
export interface FilledSecrets<T> {
  value: T;
  redact: Redactor;
}

/**
 * Replaces every secret marker (interpreter/secret-refs.ts) in the strings of `value` with the tenant's secret;
 * unknown names fail. Only markers are filled: `{{ secrets.NAME }}` written in run-time data stays text.
 */
export async function fillSecrets<T>(db: Db, keys: SecretKeys, tenantId: string, value: T): Promise<FilledSecrets<T>> {
  const names = new Set<string>();
  const collect = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(SECRET_MARKER)) names.add(m[1] as string);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(value);
  if (names.size === 0) return { value, redact: redactorFor(new Map()) };
  const found = new Map<string, string>();
  for (const name of names) {
    const secret = await readSecret(db, keys, tenantId, name);
    if (secret === undefined)
      throw new Error(`secret "${name}" is not set for this tenant (PUT /api/variables/${name} with type "secret")`);
    found.set(name, secret);
  }
  const replace = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(SECRET_MARKER, (_, name: string) => found.get(name) ?? '');
    if (Array.isArray(v)) return v.map(replace);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)]));
    return v;
  };
  return { value: replace(value) as T, redact: redactorFor(found) };
}
