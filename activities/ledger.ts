/**
 * The intent ledger: one `workflow_notifications` row per side-effecting
 * intent (a message, or an HTTP call that is not GET/HEAD/OPTIONS),
 * keyed by run id + step key (stable across retries and continue-as-new).
 * A send is recorded before it happens and marked after; a retried activity
 * that finds its intent already `sent` returns the stored result instead of
 * sending again.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { workflowNotifications } from '../db/schema';

export interface Intent {
  tenantId: string;
  runId: string | null;
  nodeId: string | null;
  idempotencyKey: string;
  type: string;
  channel: 'email' | 'slack' | 'webhook' | 'http';
  recipients: string[];
  subject: string | null;
  message: string | null;
}

export type NotificationRow = typeof workflowNotifications.$inferSelect;

export function createLedger(db: Db) {
  const where = (tenantId: string, key: string) =>
    and(eq(workflowNotifications.tenantId, tenantId), eq(workflowNotifications.idempotencyKey, key));
  return {
    /** The intent's row, created `pending` on first sight. */
    async open(intent: Intent): Promise<NotificationRow> {
      await db
        .insert(workflowNotifications)
        .values({
          tenantId: intent.tenantId,
          instanceId: intent.runId,
          nodeId: intent.nodeId,
          idempotencyKey: intent.idempotencyKey,
          type: intent.type,
          channel: intent.channel,
          recipients: intent.recipients,
          subject: intent.subject,
          message: intent.message,
        })
        .onConflictDoNothing();
      return (
        await db.select().from(workflowNotifications).where(where(intent.tenantId, intent.idempotencyKey)).limit(1)
      )[0]!;
    },
    async sent(tenantId: string, key: string, result?: unknown): Promise<NotificationRow> {
      return (
        await db
          .update(workflowNotifications)
          .set({ status: 'sent', sentAt: new Date(), error: null, ...(result === undefined ? {} : { result }) })
          .where(where(tenantId, key))
          .returning()
      )[0]!;
    },
    /** Part of an intent done (a message posted to some of its channels): kept, so a retry does only the rest. */
    async progress(tenantId: string, key: string, result: unknown): Promise<void> {
      await db.update(workflowNotifications).set({ result }).where(where(tenantId, key));
    },
    async attemptFailed(tenantId: string, key: string, error: string): Promise<void> {
      await db
        .update(workflowNotifications)
        .set({ retryCount: sql`${workflowNotifications.retryCount} + 1`, error })
        .where(where(tenantId, key));
    },
    /** After the last attempt: the intent failed for good. */
    async failed(tenantId: string, key: string, error: string): Promise<void> {
      await db
        .update(workflowNotifications)
        .set({ status: 'failed', error })
        .where(and(where(tenantId, key), eq(workflowNotifications.status, 'pending')));
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
