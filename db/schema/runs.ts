/**
 * The projection of every run (instances, steps, approvals, notifications), webhook deliveries, large payloads,
 * documents, idempotency keys, platform settings and the two reporting views.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  pgView,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenantId, users } from './access';
import { clientId } from './clients';
import { bytes, createdAt, oneOf, updatedAt } from './columns';
import { workflows, workflowVersions, workflowTriggers } from './definitions';
import {
  APPROVAL_STATUS_PATTERN,
  NOTIFICATION_STATUSES,
  PRIORITIES,
  RUN_STATUSES,
  STEP_STATUSES,
  TRIGGER_TYPES,
} from './statuses';
/** One move of a run to another version, as its history shows it. */
export interface RunMigration {
  at: string;
  by: string;
  fromVersion: number;
  toVersion: number;
  nodeMapping: Record<string, string>;
}

export const workflowInstances = pgTable(
  'workflow_instances',
  {
    /** The Temporal workflow id: a run found here is found under the same id in the Web UI. */
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    workflowVersionId: uuid('workflow_version_id')
      .notNull()
      .references(() => workflowVersions.id),
    version: integer('version').notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('pending'),
    priority: text('priority', { enum: PRIORITIES }).notNull().default('normal'),
    progress: integer('progress').notNull().default(0),
    currentSteps: text('current_steps')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /**
     * When `progress` and `currentSteps` were written (workflow time in ms, then a count within the run): projection
     * writes may land out of order, and an older one must not overwrite a newer.
     */
    progressAt: bigint('progress_at', { mode: 'number' }).notNull().default(0),
    progressCount: integer('progress_count').notNull().default(0),
    input: jsonb('input'),
    output: jsonb('output'),
    error: jsonb('error'),
    triggeredBy: text('triggered_by'),
    triggerSource: text('trigger_source', { enum: TRIGGER_TYPES }).notNull().default('manual'),
    /** Who the run is for: named at start, else its workflow's (the insert trigger of migration 0013). */
    clientId: clientId(),
    /** The run this one retries (`POST /api/runs/:id/retry`), if it does. */
    retryOf: text('retry_of'),
    /** Each move to another version of its workflow, oldest first (migration 0016; workflows/migration.ts). */
    migrations: jsonb('migrations')
      .$type<RunMigration[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Each runs-list filter pages by its own index ending in the keyset (created_at, id) (migration 0012); the
    // tenant and workflow ones also carry what the reports aggregate, as INCLUDE columns drizzle does not model.
    index('workflow_instances_tenant_created_id').on(t.tenantId, t.createdAt, t.id),
    index('workflow_instances_tenant_status_created_id').on(t.tenantId, t.status, t.createdAt, t.id),
    index('workflow_instances_workflow_created_id').on(t.workflowId, t.createdAt, t.id),
    index('workflow_instances_workflow_version').on(t.workflowId, t.version, t.createdAt, t.id),
    index('workflow_instances_tenant_triggered_by').on(t.tenantId, t.triggeredBy, t.createdAt, t.id),
    index('workflow_instances_tenant_client_created').on(t.tenantId, t.clientId, t.createdAt),
    check('workflow_instances_status_check', oneOf('status', RUN_STATUSES)),
    check('workflow_instances_priority_check', oneOf('priority', PRIORITIES)),
    check('workflow_instances_trigger_source_check', oneOf('trigger_source', TRIGGER_TYPES)),
    check('workflow_instances_progress_check', sql`progress between 0 and 100`),
  ],
);

export const workflowExecutions = pgTable(
  'workflow_executions',
  {
    /** `<runId>:<nodeId>:<visit>`: stable across activity retries, so a retried write updates, never duplicates. */
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    instanceId: text('instance_id')
      .notNull()
      .references(() => workflowInstances.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    label: text('label'),
    visit: integer('visit').notNull().default(1),
    /** Order of entry into the run's nodes: steps started in the same instant still list in the order they ran. */
    seq: integer('seq').notNull().default(0),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    handle: text('handle'),
    input: jsonb('input'),
    output: jsonb('output'),
    error: jsonb('error'),
    attempt: integer('attempt').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
  },
  (t) => [
    index('workflow_executions_instance').on(t.instanceId, t.startedAt),
    index('workflow_executions_tenant_node').on(t.tenantId, t.nodeId),
    check('workflow_executions_status_check', oneOf('status', STEP_STATUSES)),
    check('workflow_executions_attempt_check', sql`attempt >= 1`),
  ],
);

export const workflowApprovals = pgTable(
  'workflow_approvals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    instanceId: text('instance_id')
      .notNull()
      .references(() => workflowInstances.id, { onDelete: 'cascade' }),
    executionId: text('execution_id').references(() => workflowExecutions.id, { onDelete: 'set null' }),
    nodeId: text('node_id').notNull(),
    approverRoles: text('approver_roles')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    approverUsers: text('approver_users')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    quorum: integer('quorum').notNull().default(1),
    /** The node's outcomes (approval links offer them as buttons). */
    outcomes: text('outcomes')
      .array()
      .notNull()
      .default(sql`'{approved,rejected}'::text[]`),
    status: text('status').notNull().default('pending'),
    outcome: text('outcome'),
    message: text('message'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    decidedBy: text('decided_by'),
    rejectionReason: text('rejection_reason'),
    votes: jsonb('votes')
      .notNull()
      .default(sql`'[]'::jsonb`),
    notificationsSent: integer('notifications_sent').notNull().default(0),
    /** The form a decision fills in (interpreter/forms.ts), or null. */
    form: jsonb('form'),
    /** When the task is due (the node's `dueIn`); overdue tasks come first in the inbox. */
    dueAt: timestamp('due_at', { withTimezone: true }),
    /** The approver who took the task; others still may decide it. */
    claimedBy: text('claimed_by'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    /** Who handed their part to whom, as the run holds it: `[{ from, to, toEmail, at }]`. */
    delegations: jsonb('delegations')
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** The users holding a delegated part (the inbox's "mine" reads it). */
    delegates: text('delegates')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
  },
  (t) => [
    index('workflow_approvals_tenant_status').on(t.tenantId, t.status, t.requestedAt),
    index('workflow_approvals_instance').on(t.instanceId),
    index('workflow_approvals_execution').on(t.executionId),
    check('workflow_approvals_status_check', sql.raw(`status ~ '${APPROVAL_STATUS_PATTERN}'`)),
    check('workflow_approvals_quorum_check', sql`quorum >= 1`),
  ],
);

export const workflowNotifications = pgTable(
  'workflow_notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    instanceId: text('instance_id').references(() => workflowInstances.id, { onDelete: 'cascade' }),
    nodeId: text('node_id'),
    /** workflow id + node id + visit: one message per intent. */
    idempotencyKey: text('idempotency_key').notNull(),
    type: text('type').notNull(),
    channel: text('channel').notNull(),
    recipients: jsonb('recipients').notNull(),
    subject: text('subject'),
    message: text('message'),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    error: text('error'),
    retryCount: integer('retry_count').notNull().default(0),
    /**
     * What the send returned (an HTTP response), handed back to a retried activity that finds the intent already sent.
     */
    result: jsonb('result'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('workflow_notifications_key').on(t.tenantId, t.idempotencyKey),
    index('workflow_notifications_instance').on(t.instanceId),
    check('workflow_notifications_status_check', oneOf('status', NOTIFICATION_STATUSES)),
  ],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    triggerId: uuid('trigger_id')
      .notNull()
      .references(() => workflowTriggers.id, { onDelete: 'cascade' }),
    deliveryId: text('delivery_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    verified: boolean('verified').notNull().default(false),
    runId: text('run_id'),
    status: text('status').notNull(),
    error: text('error'),
  },
  (t) => [uniqueIndex('webhook_deliveries_trigger_delivery').on(t.triggerId, t.deliveryId)],
);

/**
 * Every verified signature a trigger accepted, with the run it answered: a delivery id outside the signature can
 * be swapped, so a signature seen again is the same delivery whatever id it carries. Kept for IDEMPOTENCY_TTL.
 */
export const webhookSignatures = pgTable(
  'webhook_signatures',
  {
    triggerId: uuid('trigger_id')
      .notNull()
      .references(() => workflowTriggers.id, { onDelete: 'cascade' }),
    tenantId: tenantId(),
    /**
     * SHA-256 of the preset and the signature that verified (which covers the body, and the timestamp where there is
     * one).
     */
    signatureHash: text('signature_hash').notNull(),
    runId: text('run_id').notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.triggerId, t.signatureHash] }), index('webhook_signatures_seen').on(t.seenAt)],
);

/** Stored node outputs too large to carry in Temporal history; referenced as `{ $ref: id }`. */
export const largePayloads = pgTable(
  'large_payloads',
  {
    id: text('id').notNull(),
    tenantId: tenantId(),
    instanceId: text('instance_id').notNull(),
    body: jsonb('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

/** Platform-wide settings, such as the key that signs approval links (made once, shared by every API process). */
export const platformSettings = pgTable('platform_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});

/** Idempotency-Key records for POSTs that create something (api-contract.md). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: tenantId(),
    key: text('key').notNull(),
    route: text('route').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    response: jsonb('response'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.route, t.key] }), index('idempotency_keys_created').on(t.createdAt)],
);

/** One row per run: step counts and duration (db/migrations, hand-written). */
export const executionSummary = pgView('vw_workflow_execution_summary', {
  instanceId: text('instance_id').notNull(),
  tenantId: uuid('tenant_id').notNull(),
  workflowId: uuid('workflow_id').notNull(),
  workflowName: text('workflow_name').notNull(),
  version: integer('version').notNull(),
  status: text('status').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  completedAt: timestamp('completed_at', { withTimezone: true }),
  durationSeconds: doublePrecision('duration_seconds'),
  stepsTotal: integer('steps_total').notNull(),
  stepsCompleted: integer('steps_completed').notNull(),
  stepsFailed: integer('steps_failed').notNull(),
  pendingApprovals: integer('pending_approvals').notNull(),
}).existing();

/** One row per workflow: run counts, success rate and duration percentiles. */
export const workflowPerformance = pgView('vw_workflow_performance', {
  tenantId: uuid('tenant_id').notNull(),
  workflowId: uuid('workflow_id').notNull(),
  workflowName: text('workflow_name').notNull(),
  totalRuns: integer('total_runs').notNull(),
  completedRuns: integer('completed_runs').notNull(),
  failedRuns: integer('failed_runs').notNull(),
  runningRuns: integer('running_runs').notNull(),
  successRate: doublePrecision('success_rate'),
  avgDurationSeconds: doublePrecision('avg_duration_seconds'),
  p50DurationSeconds: doublePrecision('p50_duration_seconds'),
  p95DurationSeconds: doublePrecision('p95_duration_seconds'),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }),
}).existing();

/** Stored documents (`POST /api/documents`): what an email node attaches by `documentId`. */
export const documents = pgTable(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    content: bytes('content').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('documents_tenant').on(t.tenantId, t.createdAt)],
);
