/**
 * Large values stay out of Temporal's history: a value whose JSON is larger
 * than the limit is stored in PostgreSQL (`large_payloads`) and replaced by a
 * reference `{ $ref: "payload:<id>", bytes }`. Activities that receive a
 * reference in their input (a later node rendering `{{ nodes.x.output.body }}`)
 * expand it before use, and the API expands references it shows.
 * Conditions cannot look inside a stored value; they see the reference.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from './client';
import { largePayloads } from './schema';

export interface PayloadRef {
  $ref: string;
  bytes: number;
}

const PREFIX = 'payload:';

export function isRef(value: unknown): value is PayloadRef {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as PayloadRef).$ref === 'string' &&
    (value as PayloadRef).$ref.startsWith(PREFIX) &&
    Object.keys(value).length === 2
  );
}

/** Stores `value` if it is too large to travel through history, and returns what should travel instead. */
export async function offload(
  db: Db,
  scope: { tenantId: string; runId: string; key: string },
  value: unknown,
  limit: number,
): Promise<unknown> {
  if (value === undefined) return value;
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json);
  if (bytes <= limit) return value;
  const id = createHash('sha256').update(`${scope.runId}\u0000${scope.key}`).digest('hex').slice(0, 40);
  await db
    .insert(largePayloads)
    .values({ id, tenantId: scope.tenantId, instanceId: scope.runId, body: value as object })
    .onConflictDoNothing();
  return { $ref: `${PREFIX}${id}`, bytes } satisfies PayloadRef;
}

/** Replaces every reference inside `value` by what it stands for. */
export async function expand(db: Db, tenantId: string, value: unknown): Promise<unknown> {
  const ids = new Set<string>();
  const collect = (v: unknown) => {
    if (isRef(v)) ids.add(v.$ref.slice(PREFIX.length));
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(value);
  if (ids.size === 0) return value;
  const rows = await db
    .select()
    .from(largePayloads)
    .where(and(eq(largePayloads.tenantId, tenantId), inArray(largePayloads.id, [...ids])));
  const bodies = new Map(rows.map((r) => [r.id, r.body]));
  const replace = (v: unknown): unknown => {
    if (isRef(v)) return bodies.get(v.$ref.slice(PREFIX.length)) ?? v;
    if (Array.isArray(v)) return v.map(replace);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)]));
    return v;
  };
  return replace(value);
}
