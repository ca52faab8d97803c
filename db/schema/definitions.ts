/**
 * Workflow definitions: drafts, published versions, their nodes, edges and triggers, and the tenant's variables.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Definition } from '../../interpreter/schema';
import { tenantId, users } from './access';
import { clientId } from './clients';
import { createdAt, oneOf, updatedAt } from './columns';
import { DEFINITION_STATUSES, TRIGGER_TYPES } from './statuses';
export const workflows = pgTable(
  'workflows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    description: text('description'),
    category: text('category').notNull().default('custom'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    status: text('status', { enum: DEFINITION_STATUSES }).notNull().default('draft'),
    /** The draft definition (definition-format.md). */
    workflowData: jsonb('workflow_data').notNull(),
    isTemplate: boolean('is_template').notNull().default(false),
    clientId: clientId(),
    latestVersion: integer('latest_version'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('workflows_tenant_status').on(t.tenantId, t.status, t.updatedAt),
    index('workflows_tenant_client').on(t.tenantId, t.clientId),
    check('workflows_status_check', oneOf('status', DEFINITION_STATUSES)),
  ],
);

export const workflowVersions = pgTable(
  'workflow_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** The published definition: immutable once written, and valid when it was (so its shape is the structural one). */
    workflowData: jsonb('workflow_data').$type<Definition>().notNull(),
    /** SHA-256 of the canonical JSON of workflowData. */
    contentHash: text('content_hash').notNull(),
    changeDescription: text('change_description'),
    isRollbackVersion: boolean('is_rollback_version').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('workflow_versions_number').on(t.workflowId, t.version),
    check('workflow_versions_positive', sql`version > 0`),
  ],
);

export const workflowNodes = pgTable(
  'workflow_nodes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    workflowVersionId: uuid('workflow_version_id')
      .notNull()
      .references(() => workflowVersions.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    nodeType: text('node_type').notNull(),
    label: text('label'),
    config: jsonb('config').notNull(),
    position: jsonb('position'),
  },
  (t) => [uniqueIndex('workflow_nodes_version_node').on(t.workflowVersionId, t.nodeId)],
);

export const workflowEdges = pgTable(
  'workflow_edges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    workflowVersionId: uuid('workflow_version_id')
      .notNull()
      .references(() => workflowVersions.id, { onDelete: 'cascade' }),
    edgeId: text('edge_id').notNull(),
    sourceNodeId: text('source_node_id').notNull(),
    targetNodeId: text('target_node_id').notNull(),
    sourceHandle: text('source_handle'),
    condition: jsonb('condition'),
    isDefault: boolean('is_default').notNull().default(false),
    position: integer('position').notNull(),
  },
  (t) => [uniqueIndex('workflow_edges_version_edge').on(t.workflowVersionId, t.edgeId)],
);

export const workflowTriggers = pgTable(
  'workflow_triggers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    workflowVersionId: uuid('workflow_version_id')
      .notNull()
      .references(() => workflowVersions.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').notNull(),
    triggerType: text('trigger_type', { enum: TRIGGER_TYPES }).notNull(),
    config: jsonb('config').notNull(),
    /** Webhook path, unique among the tenant's active triggers: the public URL is /hooks/<tenant id>/<path>. */
    path: text('path'),
    eventName: text('event_name'),
    isActive: boolean('is_active').notNull().default(true),
    lastTriggered: timestamp('last_triggered', { withTimezone: true }),
    triggerCount: integer('trigger_count').notNull().default(0),
    /**
     * Deliveries refused (bad or missing signature): counted, not stored one by one, so strangers cannot fill the
     * database.
     */
    rejectedCount: integer('rejected_count').notNull().default(0),
    lastRejectedAt: timestamp('last_rejected_at', { withTimezone: true }),
    lastRejectionReason: text('last_rejection_reason'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('workflow_triggers_active_tenant_path')
      .on(t.tenantId, t.path)
      .where(sql`${t.isActive} and ${t.path} is not null`),
    index('workflow_triggers_event').on(t.tenantId, t.eventName),
    check('workflow_triggers_type_check', oneOf('trigger_type', TRIGGER_TYPES)),
  ],
);

export const VARIABLE_TYPES = ['string', 'number', 'boolean', 'json', 'secret'] as const;

/**
 * Per-tenant variables (`{{ vars.NAME }}`) and secrets (`{{ secrets.NAME }}`). A secret's value is stored only
 * encrypted (AES-256-GCM under SECRETS_KEY, with the key's id for rotation) and never returned by the API.
 */
export const workflowVariables = pgTable(
  'workflow_variables',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    key: text('key').notNull(),
    type: text('type', { enum: VARIABLE_TYPES }).notNull(),
    value: jsonb('value'),
    encrypted: text('encrypted'),
    keyId: text('key_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('workflow_variables_tenant_key').on(t.tenantId, t.key),
    check('workflow_variables_type_check', oneOf('type', VARIABLE_TYPES)),
    check('workflow_variables_secret_encrypted', sql`(type = 'secret') = (encrypted is not null)`),
  ],
);
