/**
 * An `Idempotency-Key` on a run start names the run it first started, for IDEMPOTENCY_TTL, whatever became of
 * that run; then it may start another. Kept in the same table as the API's other keys (route `start-run <id>`).
 */
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import { stableHash } from '../lib/canonical-json';
import { Conflict } from '../lib/domain-errors';

export interface RunKeyClaim {
  tenantId: string;
  workflowId: string;
  key: string;
  /** What was asked for: a repeat must ask for the same. */
  request: unknown;
  /** The run id to use if the key is new. */
  runId: string;
}

/**
 * The run an Idempotency-Key names: the one it first started while the key is remembered (a repeat with
 * another input is a conflict), or `claim.runId` for a new key. Claimed before anything starts, so concurrent
 * repeats all name one run, and a start that died half-way is finished by the retry under the same run id.
 */
export async function claimRunKey(db: Db, ttlMs: number, claim: RunKeyClaim): Promise<string> {
  const route = `start-run ${claim.workflowId}`;
  const requestHash = stableHash(claim.request);
  // Expired keys are deleted lazily, by the next claim (one indexed delete; usually nothing to do).
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - ttlMs)));
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      tenantId: claim.tenantId,
      route,
      key: claim.key,
      requestHash,
      statusCode: 202,
      response: { runId: claim.runId },
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length) return claim.runId;
  const previous = (
    await db
      .select()
      .from(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.tenantId, claim.tenantId),
          eq(idempotencyKeys.route, route),
          eq(idempotencyKeys.key, claim.key),
        ),
      )
      .limit(1)
  )[0];
  // Expired and deleted by another request between our insert and this read: claim it again.
  if (!previous) return claimRunKey(db, ttlMs, claim);
  if (previous.requestHash !== requestHash) {
    throw new Conflict(
      'This Idempotency-Key already started a run with a different input, version or priority. Use a new key for a new run.',
      { runId: (previous.response as { runId?: string } | null)?.runId },
    );
  }
  return (previous.response as { runId: string }).runId;
}
