/**
 * What the API answers, as zod schemas: the views the handlers build (api/routes/*), one component each.
 * Strict where the view is ours (a field added to a view and not here fails loudly in the tests), loose
 * where a stored row or a run's own data passes through.
 */
import { z } from 'zod';
import {
  APPROVAL_STATUS_PATTERN,
  DEFINITION_STATUSES,
  PRIORITIES,
  RUN_STATUSES,
  STEP_STATUSES,
  TRIGGER_TYPES,
  VARIABLE_TYPES,
} from '../../db/schema';
import { EdgeSchema, NODE_TYPES } from '../../interpreter/schema';

const moment = z.iso.datetime({ offset: true });
const nullableMoment = moment.nullable();
/** Any JSON a run or a definition carries. */
const json = z.unknown();
/**
 * `pending`, `expired`, `cancelled`, or the outcome decided, as itself (`approved`, `rejected`, `changes_requested` …).
 */
const ApprovalStatus = z
  .string()
  .regex(new RegExp(APPROVAL_STATUS_PATTERN))
  .meta({
    description: 'pending, expired, cancelled (with its run), or the outcome it was decided with',
    examples: ['pending', 'approved', 'changes_requested'],
  });

/** A page of a list: `nextCursor` is passed back as `?cursor=` for the next page, null on the last. */
export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

/** A node as the engine reads it (interpreter/schema.ts): `data` holds the type's own settings. */
export const GraphNode = z
  .object({
    id: z.string().min(1).max(200),
    type: z.enum(NODE_TYPES),
    position: z.object({ x: z.number(), y: z.number() }).partial().optional(),
    data: z
      .record(z.string(), json)
      .optional()
      .meta({ description: 'The settings of this node type (label, url, approvers, condition, ...)' }),
  })
  .loose()
  .meta({ id: 'GraphNode' });

export const GraphEdge = EdgeSchema.meta({ id: 'GraphEdge' });

/** A definition as stored; a draft may be unfinished, so only its shape is promised here. */
export const Definition = z
  .object({
    nodes: z.array(GraphNode),
    edges: z.array(GraphEdge),
    inputSchema: z.record(z.string(), json).optional(),
    configuration: z.record(z.string(), json).optional(),
  })
  .loose()
  .meta({ id: 'Definition' });

export const Workflow = z
  .strictObject({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    tags: z.array(z.string()),
    status: z.enum(DEFINITION_STATUSES),
    isTemplate: z.boolean(),
    clientId: z.uuid().nullable().meta({ description: 'The client this workflow is for (GET /api/clients)' }),
    latestVersion: z.number().int().nullable(),
    definition: json.meta({ description: 'The draft definition: `{ nodes, edges, inputSchema?, configuration? }`' }),
    createdAt: moment,
    updatedAt: moment,
  })
  .meta({ id: 'Workflow' });

export const ValidationReport = z
  .strictObject({
    valid: z.boolean(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
    warnings: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .meta({ id: 'ValidationReport' });

export const Published = z
  .strictObject({
    version: z.number().int(),
    contentHash: z.string(),
    changeDescription: z.string().nullable(),
    createdAt: moment,
    unchanged: z
      .boolean()
      .meta({ description: 'True when the draft equals the latest version: nothing new was published' }),
  })
  .meta({ id: 'Published' });

const versionFields = {
  version: z.number().int(),
  contentHash: z.string(),
  changeDescription: z.string().nullable(),
  isRollbackVersion: z.boolean(),
  createdBy: z.uuid().nullable(),
  createdAt: moment,
};
export const VersionSummary = z.strictObject(versionFields).meta({ id: 'VersionSummary' });
export const Version = z
  .strictObject({
    ...versionFields,
    definition: Definition.meta({ description: 'The published definition (validated at publish)' }),
  })
  .meta({ id: 'Version' });
export const RolledBack = z
  .strictObject({ ...versionFields, rolledBackTo: z.number().int(), unchanged: z.boolean() })
  .meta({ id: 'RolledBack' });

export const ExportDocumentView = z
  .strictObject({
    format: z.literal('graphflow.workflow/v1'),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    tags: z.array(z.string()),
    isTemplate: z.boolean(),
    definition: json,
    exportedVersion: z.number().int().nullable(),
  })
  .meta({ id: 'WorkflowExport' });

export const StartedRun = z
  .strictObject({
    runId: z.string(),
    workflowId: z.uuid(),
    version: z.number().int(),
    status: z.string(),
    created: z.boolean().meta({
      description: 'False when this Idempotency-Key or delivery already started the run: nothing new was started',
    }),
  })
  .meta({
    id: 'StartedRun',
    examples: [
      {
        runId: 'run-6f1c2b0e',
        workflowId: '0b6f4c1e-8a8f-4f55-9d0c-3f2f4f7a1b2c',
        version: 3,
        status: 'pending',
        created: true,
      },
    ],
  });

/** `from: "failed"` resumes at the failed step(s); without it, a retry is a fresh run of the same input and version. */
export const RetryRequest = z
  .strictObject({
    from: z.enum(['failed']).optional().meta({
      description:
        'failed: resume a failed run at its failed step(s); completed steps keep their outputs and are not done again',
    }),
  })
  .nullish();
const CarriedStep = z
  .strictObject({ stepKey: z.string(), nodeId: z.string(), nodeType: z.string(), visit: z.number().int() })
  .meta({ id: 'CarriedStep' });
export const RetriedRun = z
  .strictObject({
    ...StartedRun.shape,
    retryOf: z.string(),
    carriedOver: z.array(CarriedStep).optional().meta({
      description: "With from: failed, the failed run's completed steps the new run takes over instead of doing again",
    }),
  })
  .meta({ id: 'RetriedRun' });
const nodeId = z.string().min(1).max(200);
export const MigrateRequest = z
  .strictObject({
    version: z
      .number()
      .int()
      .min(1)
      .max(2_147_483_647)
      .meta({ description: "A published version of the run's workflow" }),
    nodeMapping: z
      .record(nodeId, nodeId)
      .refine((mapping) => Object.keys(mapping).length <= 5000, 'at most 5,000 nodes can be mapped')
      .optional()
      .meta({ description: 'Old node id → new node id, for nodes the new version renamed; others keep their ids' }),
  })
  .meta({ id: 'MigrateRequest' });
export const MigratedRun = z
  .strictObject({
    runId: z.string(),
    status: z.literal('migrating'),
    fromVersion: z.number().int(),
    toVersion: z.number().int(),
    waitingAt: z.array(z.string()).meta({ description: 'The nodes the run waits at, as the new version names them' }),
  })
  .meta({ id: 'MigratedRun' });
export const RunSignalled = z
  .strictObject({ runId: z.string(), status: z.enum(['cancelling', 'paused', 'running']) })
  .meta({ id: 'RunSignalled' });

const runFields = {
  id: z.string(),
  workflowId: z.uuid(),
  version: z.number().int(),
  status: z.enum(RUN_STATUSES),
  priority: z.enum(PRIORITIES),
  progress: z.number().int(),
  currentSteps: z.array(z.string()),
  input: json,
  output: json,
  error: json,
  startedAt: nullableMoment,
  completedAt: nullableMoment,
  createdAt: moment,
  triggeredBy: z.string().nullable(),
  triggerSource: z.enum(TRIGGER_TYPES),
  clientId: z.uuid().nullable().meta({ description: "The client the run is for: named at start, else its workflow's" }),
  retryOf: z.string().nullable().meta({ description: 'The run this one retries (POST /api/runs/:id/retry), if any' }),
};
export const Run = z.strictObject(runFields).meta({ id: 'Run' });

export const Step = z
  .strictObject({
    id: z.string(),
    nodeId: z.string(),
    nodeType: z.string(),
    label: z.string().nullable(),
    visit: z.number().int(),
    status: z.enum(STEP_STATUSES),
    handle: z.string().nullable(),
    input: json,
    output: json,
    error: json,
    attempt: z.number().int(),
    startedAt: moment,
    completedAt: nullableMoment,
    durationMs: z.number().int().nullable(),
  })
  .meta({ id: 'Step' });

/** Stored rows shown as they are (their times are ISO strings once sent). */
const storedRow = (id: string, fields: z.ZodRawShape) => z.object(fields).loose().meta({ id });

export const RunDetail = z
  .strictObject({
    ...runFields,
    steps: z.array(Step),
    approvals: z.array(storedRow('RunApproval', { id: z.uuid(), nodeId: z.string(), status: ApprovalStatus })),
    notifications: z.array(storedRow('RunNotification', { id: z.uuid(), channel: z.string(), status: z.string() })),
  })
  .meta({ id: 'RunDetail' });

const Vote = z.object({ userId: z.string(), decision: z.string() }).loose().meta({ id: 'Vote' });

export const RunState = z
  .object({
    status: z.string(),
    activeNodes: z.array(z.string()).optional(),
    pendingApprovals: z.array(
      z.object({ approvalId: z.string(), nodeId: z.string(), votes: z.array(Vote).optional() }).loose(),
    ),
    progress: z.number().optional(),
    finished: z.boolean().optional(),
  })
  .loose()
  .meta({
    id: 'RunState',
    description: 'What a running run holds now (asked of the run itself); `finished` when it has ended',
  });

export const RunHistory = z
  .strictObject({
    runId: z.string(),
    events: z.array(
      z.strictObject({
        at: moment,
        type: z.string(),
        nodeId: z.string().optional(),
        detail: z.record(z.string(), json),
      }),
    ),
  })
  .meta({ id: 'RunHistory' });

const approvalFields = {
  id: z.uuid(),
  runId: z.string(),
  nodeId: z.string(),
  status: ApprovalStatus,
  outcome: z.string().nullable(),
  approverRoles: z.array(z.string()),
  approverUsers: z.array(z.string()),
  quorum: z.number().int(),
  outcomes: z.array(z.string()).meta({ description: 'The decisions an approver may give (one button each)' }),
  message: z.string().nullable(),
  requestedAt: moment,
  respondedAt: nullableMoment,
  expiresAt: nullableMoment,
  decidedBy: z.string().nullable(),
  rejectionReason: z.string().nullable(),
  votes: z.array(Vote),
  form: z
    .record(z.string(), json)
    .nullable()
    .meta({ description: 'The form a decision fills in (JSON Schema subset), or null: then a decision takes no data' }),
  dueAt: nullableMoment.meta({ description: "When the task is due (the node's dueIn)" }),
  overdue: z.boolean(),
  claimedBy: z.string().nullable().meta({ description: 'The approver who claimed the task' }),
  claimedAt: nullableMoment,
  delegations: z
    .array(z.object({ from: z.string(), to: z.string(), toEmail: z.string(), at: z.string() }).loose())
    .meta({ description: 'Approvers who handed their part to another user: the delegate votes in their stead' }),
};
export const Approval = z.strictObject(approvalFields).meta({ id: 'Approval' });
export const ApprovalDetail = z
  .strictObject({
    ...approvalFields,
    label: z.string().nullable(),
    run: z.strictObject({
      id: z.string(),
      workflowId: z.uuid(),
      workflowName: z.string(),
      version: z.number().int(),
      status: z.enum(RUN_STATUSES),
      input: json,
      triggeredBy: z.string().nullable(),
    }),
    canDecide: z.boolean(),
  })
  .meta({ id: 'ApprovalDetail' });

export const Variable = z
  .strictObject({
    key: z.string(),
    type: z.enum(VARIABLE_TYPES),
    value: json.meta({ description: 'null for a secret: its value is never read back' }),
    secret: z.boolean(),
    keyId: z.string().nullable().optional(),
    updatedAt: moment,
  })
  .meta({ id: 'Variable' });

export const DocumentInfo = z
  .strictObject({
    id: z.uuid(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    createdBy: z.uuid().nullable(),
    createdAt: moment,
  })
  .meta({ id: 'Document' });

export const Schedule = z
  .strictObject({
    scheduleId: z.string(),
    workflowId: z.uuid(),
    workflowName: z.string(),
    workflowStatus: z.enum(DEFINITION_STATUSES),
    nodeId: z.string(),
    cron: z.string().nullable(),
    timezone: z.string().nullable(),
    paused: z.boolean().nullable(),
    note: z.string().nullable(),
    nextRunTimes: z.array(moment),
    recentRuns: z.array(z.strictObject({ scheduledAt: moment, runId: z.string() })),
  })
  .meta({ id: 'Schedule' });

export const Webhook = z
  .strictObject({
    workflowId: z.uuid(),
    workflowName: z.string(),
    workflowStatus: z.enum(DEFINITION_STATUSES),
    nodeId: z.string(),
    path: z.string().nullable(),
    url: z.string(),
    preset: z.string(),
    triggerCount: z.number().int(),
    lastTriggered: nullableMoment,
    rejectedCount: z.number().int(),
    lastRejectedAt: nullableMoment,
    lastRejectionReason: z.string().nullable(),
  })
  .meta({ id: 'Webhook' });

export const Integration = z
  .strictObject({
    provider: z.string(),
    label: z.string(),
    actions: z.array(z.strictObject({ action: z.string(), configSchema: z.record(z.string(), json) })),
  })
  .meta({ id: 'Integration' });

export const EventAccepted = z
  .strictObject({
    event: z.string(),
    runs: z.array(
      z.strictObject({
        workflowId: z.uuid(),
        workflowName: z.string(),
        runId: z.string().optional(),
        status: z.enum(['started', 'duplicate', 'skipped', 'refused']),
        reason: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'EventAccepted' });

export const HookAccepted = z.strictObject({ runId: z.string(), duplicate: z.boolean() }).meta({ id: 'HookAccepted' });
