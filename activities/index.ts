/**
 * `createActivities(deps)`: every activity the worker registers, built from
 * the dependencies worker.ts provides.
 */
import type { Db } from '../db/client';
import type { SecretKeys } from '../db/secrets';
import { refusalsArePermanent } from './errors';
import { createHttpActivities } from './http';
import { createLedger } from './ledger';
import { createMessagingActivities, type MessagingConfig } from './messaging';
import { createPeriodReportActivities } from './period-reports';
import { createProjectionActivities, type ProjectionBatch } from './projection';
import { carryingRecords } from './carried-records';

export interface ActivityDeps {
  db: Db;
  messaging: MessagingConfig;
  maxInlineOutputBytes: number;
  httpAllowPrivate: boolean;
  secretKeys: SecretKeys;
  /** Starts the workflows listening for a platform event (worker.ts wires runs/events.ts in). */
  emitEvent?: (tenantId: string, name: string, payload: unknown, idempotencyKey: string) => Promise<unknown>;
}

export function createActivities(deps: ActivityDeps) {
  const ledger = createLedger(deps.db);
  const projection = createProjectionActivities(deps.db);
  const emitEvent = async (tenantId: string, event: NonNullable<ProjectionBatch['events']>[number]) => {
    await deps.emitEvent?.(tenantId, event.name, event.payload, event.idempotencyKey);
  };
  const messaging = refusalsArePermanent(createMessagingActivities(ledger, deps.messaging, deps.db, deps.secretKeys));
  const http = refusalsArePermanent(
    createHttpActivities(
      {
        db: deps.db,
        maxInlineBytes: deps.maxInlineOutputBytes,
        allowPrivate: deps.httpAllowPrivate,
        secretKeys: deps.secretKeys,
      },
      ledger,
    ),
  );
  return {
    ...projection,
    ...messaging,
    ...http,
    /** A run's records of one workflow task, then the platform events it emits (each start keyed: none twice). */
    async recordBatch(batch: ProjectionBatch): Promise<void> {
      await projection.recordBatch(batch);
      for (const event of batch.events ?? []) await emitEvent(batch.tenantId, event);
    },
    // Work that sends: a statement the database refuses (a malformed value, a broken constraint) is not tried again.
    // They carry their run's step records, and write them if the work is slow (carried-records.ts).
    sendMessage: carryingRecords(projection.recordBatch, messaging.sendMessage),
    httpRequest: carryingRecords(projection.recordBatch, http.httpRequest),
    ...refusalsArePermanent(
      createPeriodReportActivities({
        db: deps.db,
        ledger,
        smtpUrl: deps.messaging.smtpUrl,
        smtpFrom: deps.messaging.smtpFrom,
        httpAllowPrivate: deps.messaging.httpAllowPrivate,
      }),
    ),
    /**
     * Does nothing: a run that has worked long without waiting calls it so that its workflow task ends
     * (workflows/pacing.ts).
     */
    async pause(): Promise<void> {},
    /**
     * `run.completed`, `run.failed`, `approval.expired`: one start per listening workflow, keyed so a retry starts
     * nothing twice.
     */
    async emitEvent(input: {
      tenantId: string;
      name: string;
      payload: unknown;
      idempotencyKey: string;
    }): Promise<void> {
      await emitEvent(input.tenantId, input);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
