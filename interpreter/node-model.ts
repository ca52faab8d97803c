/**
 * The typed node model: a node's `data` parsed once (at publish, and when a
 * run starts) into a union discriminated by `type`, and by `action` for
 * action nodes, with every default applied here and nowhere else. Durations
 * come out in milliseconds.
 *
 * The stored definition keeps its own shape (React Flow nodes, unknown keys
 * an editor adds); these are the shapes the engine reads. Fields publish has
 * never checked (`label`, an approval's `notify`) are read as leniently as
 * the engine always read them, so no published definition stops parsing.
 *
 * Validation and the API read nodes with these schemas; the workflow reads them with node-reader.ts, the same model
 * without zod (which the workflow bundle must not carry). A change here is made there too: node-reader.test.ts holds
 * the two to the same output for generated nodes.
 */
import { z } from 'zod';
import { type Condition, checkCondition } from './conditions';
import { parseDuration } from './durations';
import { FormSchema } from './form-schema';
import { DEFAULT_MAX_ITERATIONS, type RetryOverrides } from './limits';
import { DEFAULT_APPROVAL_OUTCOMES, describeNode, FIXED_HANDLES, handlesOf, isApprovalChannel } from './node-handles';
import { EdgeSchema, type GraphNode, MAX_INT32, NODE_TYPES, type NodeType } from './schema';

// The engine's helpers live in node-handles.ts (no zod, for the workflow bundle); importers here still find them.
export { DEFAULT_APPROVAL_OUTCOMES, describeNode, handlesOf };
export type { ApprovalChannel } from './node-handles';

const NodeTypeSchema = z.enum(NODE_TYPES);

/** Marks the issue of a condition that failed to type: validation reports its problems in detail (checkCondition). */
export const CONDITION_ISSUE = 'conditionShape';

/** A condition as the engine evaluates it; its detailed problems come from checkCondition, with a path each. */
const ConditionSchema = z.custom<Condition>((value) => checkCondition(value, '').length === 0, {
  error: 'not a valid condition',
  params: { [CONDITION_ISSUE]: true },
});

const DURATION_HINT = '(e.g. "90s", "15m", "48h", "7d", "P2D")';

function toMs(value: unknown, ctx: z.RefinementCtx): number {
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: `"${String(value)}" is not a duration ${DURATION_HINT}` });
  return z.NEVER;
}

/** A duration written as text, in milliseconds. */
const DurationMs = z.string().transform(toMs);
/** A work node's timeout and retry intervals: text, or (as they have always been accepted) a number of seconds. */
const WorkDurationMs = z.unknown().transform(toMs);

const template = z.string();

const ATTEMPTS = 'maximumAttempts is a whole number from 1 to 100';

/** A node's `retry`: it overrides the workflow's `configuration.retry`, which overrides the defaults. */
const NodeRetrySchema = z
  .object(
    {
      maximumAttempts: z.number({ error: ATTEMPTS }).int(ATTEMPTS).min(1, ATTEMPTS).max(100, ATTEMPTS).optional(),
      initialInterval: WorkDurationMs.optional(),
      // Temporal refuses less than 1; a node has never been held to the workflow-level maximum of 10.
      backoffCoefficient: z.number().min(1).optional(),
      maximumInterval: WorkDurationMs.optional(),
    },
    { error: 'retry is an object like { "maximumAttempts": 3 }' },
  )
  .loose()
  .transform((retry): RetryOverrides => ({
    ...(retry.maximumAttempts !== undefined ? { maximumAttempts: retry.maximumAttempts } : {}),
    ...(retry.backoffCoefficient !== undefined ? { backoffCoefficient: retry.backoffCoefficient } : {}),
    ...(retry.initialInterval !== undefined ? { initialIntervalMs: retry.initialInterval } : {}),
    ...(retry.maximumInterval !== undefined ? { maximumIntervalMs: retry.maximumInterval } : {}),
  }));

/** Every node: `label` is for people (an editor may store anything there; only text is shown). */
const NodeData = z.object({ label: z.string().optional().catch(undefined) }).loose();

/** Nodes that do work outside the workflow take `retry` and `timeout` (WORK_TYPES). */
const WorkData = NodeData.extend({ retry: NodeRetrySchema.optional(), timeout: WorkDurationMs.optional() });

const ApprovalOutcomesSchema = z
  .array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'outcomes are lower_snake_case'))
  .min(1)
  .refine(
    (outcomes) => !outcomes.includes('expired') && !outcomes.includes('error'),
    '"expired" and "error" are reserved handles, not outcomes',
  )
  .refine((outcomes) => new Set(outcomes).size === outcomes.length, 'outcomes must be distinct')
  .default(() => [...DEFAULT_APPROVAL_OUTCOMES]);

/** How approvers are asked. Never checked at publish, so anything unreadable falls back to email, as it always did. */
const ApprovalNotifySchema = z
  .object({
    channels: z
      .array(z.unknown())
      .catch(() => ['email'])
      .transform((channels) => channels.filter(isApprovalChannel)),
    slackChannel: template.optional().catch(undefined),
  })
  .catch(() => ({ channels: ['email' as const] }));

const TriggerData = NodeData.extend({
  trigger: z
    .object({
      type: z.enum(['manual', 'webhook', 'schedule', 'event']),
      path: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a webhook path is letters, digits, ".", "_" and "-"')
        .optional(),
      secretRef: z.string().optional(),
      /** The secret before a rotation: both verify until it is removed. */
      previousSecretRef: z.string().optional(),
      /** How the sender signs: the platform's own scheme, or GitHub's, Stripe's or Slack's. */
      preset: z.enum(['generic', 'github', 'stripe', 'slack']).optional(),
      /** A template over the delivery (`{{ body.id }}`) naming it when the sender gives no delivery id. */
      idempotencyKey: z.string().optional(),
      cron: z.string().optional(),
      timezone: z.string().optional(),
      input: z.unknown().optional(),
      event: z.string().optional(),
      /** An event trigger's filter over the event. */
      condition: ConditionSchema.optional(),
    })
    .loose(),
});

const ActionData = z.discriminatedUnion('action', [
  WorkData.extend({
    action: z.literal('http'),
    method: z.string().default('GET'),
    url: template,
    headers: z.record(z.string(), template).default({}),
    body: z.unknown().optional(),
    expectStatus: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  }),
  WorkData.extend({
    action: z.literal('set'),
    vars: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/, 'variable names are letters, digits, _ and -'), z.unknown()),
  }),
  WorkData.extend({
    action: z.literal('log'),
    message: z.unknown().optional(),
    level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  }),
]);

const IntegrationData = WorkData.extend({ provider: z.enum(['email', 'slack', 'http', 'webhook']) });

const NotificationData = WorkData.extend({
  channel: z.enum(['email', 'slack', 'webhook']),
  recipients: z.union([z.array(template), template]),
  subject: template.optional(),
  message: template,
});

const ConditionData = NodeData.extend({ condition: ConditionSchema.optional() });

const ApprovalData = NodeData.extend({
  approverRoles: z.array(z.string()).default([]),
  /** Templates: rendered when the approval is asked. */
  approverUsers: z.array(z.string()).default([]),
  quorum: z.number().int().min(1).max(MAX_INT32).default(1),
  expiresIn: DurationMs.optional(),
  reminderEvery: DurationMs.optional(),
  escalation: z.object({ after: DurationMs, toRoles: z.array(z.string()).min(1) }).optional(),
  message: template.optional(),
  outcomes: ApprovalOutcomesSchema,
  allowSelfApproval: z.boolean().default(false),
  notify: ApprovalNotifySchema,
  /** The data a decision carries (forms.ts); checked here at publish, and against each decision's data. */
  form: FormSchema.optional(),
  /** When the task is due, from when it is asked: shown in the inbox, with a reminder before it. */
  dueIn: DurationMs.optional(),
});

const DelayData = NodeData.extend({ duration: DurationMs.optional(), until: template.optional() });

const LoopData = NodeData.extend({
  forEach: z.string(),
  as: z.string().optional(),
  maxIterations: z.number().int().min(1).default(DEFAULT_MAX_ITERATIONS),
  concurrency: z.number().int().min(1).max(100).default(1),
});

const JoinData = NodeData.extend({ mode: z.enum(['all', 'any']).default('all') });

const SubworkflowData = WorkData.extend({
  workflowId: z.string(),
  version: z.number().int().min(1).max(MAX_INT32).optional(),
  input: z.unknown().default({}),
  wait: z.boolean().default(true),
});

const EndData = NodeData.extend({
  status: z.enum(['completed', 'failed', 'cancelled']).default('completed'),
  output: z.unknown().optional(),
});

/** The `data` schema of each node type (for checking a node's config elsewhere, e.g. a rendered notification). */
export const NodeDataSchemas = {
  trigger: TriggerData,
  action: ActionData,
  integration: IntegrationData,
  notification: NotificationData,
  condition: ConditionData,
  approval: ApprovalData,
  delay: DelayData,
  loop: LoopData,
  join: JoinData,
  subworkflow: SubworkflowData,
  end: EndData,
} satisfies Record<NodeType, z.ZodType>;

// A stored node without `data` has none to read (the structural schema defaults it the same way).
const typed = <T extends NodeType, D extends z.ZodType>(type: T, data: D) =>
  z.object({ id: z.string(), type: z.literal(type), data: z.preprocess((value) => value ?? {}, data) });

/** A node with its data parsed; other keys of the stored node (position, an editor's own) are not the engine's. */
export const TypedNodeSchema = z.discriminatedUnion('type', [
  typed('trigger', TriggerData),
  typed('action', ActionData),
  typed('integration', IntegrationData),
  typed('notification', NotificationData),
  typed('condition', ConditionData),
  typed('approval', ApprovalData),
  typed('delay', DelayData),
  typed('loop', LoopData),
  typed('join', JoinData),
  typed('subworkflow', SubworkflowData),
  typed('end', EndData),
]);

export type TypedNode = z.output<typeof TypedNodeSchema>;
export type NodeOf<T extends NodeType> = Extract<TypedNode, { type: T }>;
export type ActionNode = NodeOf<'action'>;

/** An edge with its condition typed. */
export const TypedEdgeSchema = EdgeSchema.extend({ condition: ConditionSchema.nullish() });
export type TypedEdge = z.output<typeof TypedEdgeSchema>;

/**
 * The handles of a node whose data did not parse, from the fields that decide them, so its edges are still
 * checked; undefined when those fields are themselves wrong (that problem is reported already).
 */
export function handlesOfUnparsed(node: GraphNode): Array<string | null> | undefined {
  const parsed = NodeTypeSchema.safeParse(node.type);
  if (!parsed.success) return undefined;
  const type = parsed.data;
  switch (type) {
    case 'condition':
      return node.data.condition === undefined ? [null] : ['true', 'false'];
    case 'approval': {
      const outcomes = ApprovalOutcomesSchema.safeParse(node.data.outcomes);
      return outcomes.success ? [...outcomes.data, 'expired'] : undefined;
    }
    default:
      return FIXED_HANDLES[type];
  }
}
