/**
 * A webhook delivery's writes, one statement on each side of the Temporal start.
 *
 * Before: claim the signature (a replay under another delivery id answers the run it first named), record the
 * delivery as `received`, and write the run's `pending` row, all or nothing in one round trip. After: mark the
 * delivery `started` and count it on the trigger.
 *
 * Why a crash between the start and the second write loses nothing and duplicates nothing: the run id is derived
 * from the delivery, so the sender's retry claims the same signature (its own run id: not a replay), finds the
 * delivery still `received` and the run row written, asks Temporal again, is told the id was started
 * (REJECT_DUPLICATE), and answers the same run as a duplicate, finishing the second write on the way. The run row
 * itself cannot be lost: it was written before the start, and the workflow's first projection write upserts it.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { RunFacts } from '../../runs/run-row';

export interface DeliveryClaim {
  triggerId: string;
  tenantId: string;
  deliveryId: string;
  /** The verified signature's fingerprint: the same signature is the same delivery, whatever id it carries. */
  signatureHash: string;
  runId: string;
  /** A signature older than this is forgotten: the same bytes may start a new run. */
  keepMs: number;
  /** The run's row, written `pending` with the claim; absent when no run can start (the claim is then released). */
  run?: RunFacts;
}

export type ClaimOutcome =
  /** The signature already answered another run: answer that one. */
  | { kind: 'replay'; runId: string }
  /** This delivery already started its run: answer it, ask nobody. */
  | { kind: 'started' }
  /** Go on and start: `runInserted` says whether this request wrote the run's row (else one was there already). */
  | { kind: 'claimed'; runInserted: boolean };

const jsonb = (value: unknown) => sql`${JSON.stringify(value ?? null)}::jsonb`;

function insertRun(run: RunFacts | undefined) {
  if (!run) return sql`select null::text as id where false`;
  return sql`insert into workflow_instances
      (id, tenant_id, workflow_id, workflow_version_id, version, priority, input, triggered_by, trigger_source, status)
    select ${run.runId}::text, ${run.tenantId}::uuid, ${run.workflowId}::uuid, ${run.versionId}::uuid,
      ${run.version}::integer, ${run.priority}::text, ${jsonb(run.input)}, ${run.triggeredBy}::text,
      ${run.triggerSource}::text, 'pending'
    from go
    on conflict do nothing
    returning id`;
}

interface ClaimRow {
  claimed: string | null;
  earlier: string | null;
  known: string | null;
  inserted: string | null;
}

/** Claims a verified delivery in one statement (see the file's comment). */
export async function claimDelivery(db: Db, claim: DeliveryClaim, attempt = 0): Promise<ClaimOutcome> {
  const cutoff = new Date(Date.now() - claim.keepMs).toISOString();
  const { triggerId, tenantId, deliveryId, signatureHash, runId } = claim;
  const result = await db.execute(sql`
    with sig as (
      insert into webhook_signatures (trigger_id, tenant_id, signature_hash, run_id)
      values (${triggerId}, ${tenantId}, ${signatureHash}, ${runId})
      on conflict (trigger_id, signature_hash) do update set run_id = excluded.run_id, seen_at = now()
        where webhook_signatures.seen_at < ${cutoff}::timestamptz
      returning run_id
    ),
    earlier as (
      select run_id from webhook_signatures
      where trigger_id = ${triggerId} and signature_hash = ${signatureHash} and seen_at >= ${cutoff}::timestamptz
    ),
    known as (
      select status from webhook_deliveries where trigger_id = ${triggerId} and delivery_id = ${deliveryId}
    ),
    go as (
      select 1 as ok
      where (exists (select 1 from sig) or exists (select 1 from earlier where run_id = ${runId}))
        and not exists (select 1 from known where status = 'started')
    ),
    delivery as (
      insert into webhook_deliveries (tenant_id, trigger_id, delivery_id, verified, run_id, status)
      select ${tenantId}::uuid, ${triggerId}::uuid, ${deliveryId}::text, true, ${runId}::text, 'received' from go
      where not exists (select 1 from known)
      on conflict do nothing
    ),
    run as (${insertRun(claim.run)})
    select (select run_id from sig) as claimed, (select run_id from earlier limit 1) as earlier,
      (select status from known) as known, (select id from run) as inserted`);
  // Both drivers (pg, PGlite) answer `{ rows }`.
  const row = (result as unknown as { rows: ClaimRow[] }).rows[0]!;
  if (!row.claimed && row.earlier && row.earlier !== runId) return { kind: 'replay', runId: row.earlier };
  if (!row.claimed && !row.earlier) {
    // Another request claimed this signature at the same moment: our statement waited for it but could not see its
    // row. Asking again sees it.
    if (attempt < 2) return claimDelivery(db, claim, attempt + 1);
    throw new Error('the delivery could not be claimed: its signature keeps changing hands');
  }
  if (row.known === 'started') return { kind: 'started' };
  return { kind: 'claimed', runInserted: row.inserted !== null };
}

/**
 * The run exists (started now, or by an earlier request that died before answering): mark and count it. Committed
 * without waiting for the disk (`synchronous_commit` off for this statement alone): losing it in a database crash
 * loses only a marker a redelivery writes again and a counter, never a run (see the file's comment).
 */
export async function recordStarted(db: Db, triggerId: string, deliveryId: string, created: boolean): Promise<void> {
  await db.execute(sql`
    with relaxed as (select set_config('synchronous_commit', 'off', true) as setting),
    delivered as (
      update webhook_deliveries set status = 'started', error = null
      where trigger_id = ${triggerId} and delivery_id = ${deliveryId} and status <> 'started'
    )
    update workflow_triggers set last_triggered = now(), trigger_count = trigger_count + 1
    where id = ${triggerId} and ${created}::boolean and exists (select 1 from relaxed)`);
}

/**
 * Refused (bad input, no published version, Temporal away): the sender may retry this delivery, so its signature
 * names no run yet, and the delivery says why.
 */
export async function releaseDelivery(
  db: Db,
  claim: Pick<DeliveryClaim, 'triggerId' | 'deliveryId' | 'signatureHash' | 'runId'>,
  reason: string,
): Promise<void> {
  await db.execute(sql`
    with released as (
      delete from webhook_signatures
      where trigger_id = ${claim.triggerId} and signature_hash = ${claim.signatureHash} and run_id = ${claim.runId}
    )
    update webhook_deliveries set status = 'refused', error = ${reason}
    where trigger_id = ${claim.triggerId} and delivery_id = ${claim.deliveryId} and status = 'received'`);
}

/** How many expired signatures one statement deletes: a sweep never holds a long lock on a busy table. */
const SWEEP_BATCH = 5000;

/**
 * Deletes the signatures older than `keepMs` (they no longer name a delivery: claimDelivery overwrites such a row),
 * a batch at a time; answers how many went. Deliveries themselves stay: they are the trigger's log.
 */
export async function sweepExpiredSignatures(db: Db, keepMs: number, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - keepMs).toISOString();
  let swept = 0;
  for (;;) {
    const result = await db.execute(sql`
      delete from webhook_signatures where (trigger_id, signature_hash) in (
        select trigger_id, signature_hash from webhook_signatures
        where seen_at < ${cutoff}::timestamptz limit ${SWEEP_BATCH})`);
    const deleted =
      (result as unknown as { rowCount?: number; affectedRows?: number }).rowCount ??
      (result as unknown as { affectedRows?: number }).affectedRows ??
      0;
    swept += deleted;
    if (deleted < SWEEP_BATCH) return swept;
  }
}
