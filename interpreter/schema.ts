/**
 * The definition format (definition-format.md) as zod schemas and types.
 * The structural schema is lenient about `data` (so validation can report
 * every semantic problem at once); per-type data schemas check the rest.
 */
import { z } from 'zod';
import { MAX_JSON_DEPTH, tooDeepAt } from './json-walk';

export const NODE_TYPES = ['trigger', 'action', 'integration', 'notification', 'condition', 'approval', 'delay', 'loop', 'join', 'subworkflow', 'end'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const jsonObject = z.record(z.string(), z.unknown());

/** The largest number a PostgreSQL `integer` column holds: versions and quorums beyond it could not be stored or looked up. */
export const MAX_INT32 = 2_147_483_647;

export const NodeSchema = z.object({
  id: z.string().min(1, 'a node needs an id').max(200),
  type: z.string(),
  position: z.object({ x: z.number(), y: z.number() }).partial().optional(),
  data: jsonObject.default({}),
}).loose();

export const EdgeSchema = z.object({
  id: z.string().min(1, 'an edge needs an id').max(200),
  source: z.string().min(1),
  target: z.string().min(1),
  sourceHandle: z.string().nullish(),
  targetHandle: z.string().nullish(),
  condition: z.unknown().optional(),
  isDefault: z.boolean().optional(),
}).loose();

export const RetrySchema = z.object({
  maximumAttempts: z.number().int().min(1).max(100).optional(),
  initialInterval: z.string().optional(),
  backoffCoefficient: z.number().min(1).max(10).optional(),
  maximumInterval: z.string().optional(),
}).strict();

export const ConfigurationSchema = z.object({
  timeout: z.string().optional(),
  retry: RetrySchema.optional(),
  maxNodeVisits: z.number().int().min(1).max(100_000).optional(),
  /** Workflow-level notifications: told when the run completes or fails, an approval is requested, or a node errs. */
  notifications: z.array(z.object({
    on: z.array(z.enum(['completed', 'failed', 'approval_requested', 'error'])).min(1),
    channel: z.enum(['email', 'slack', 'webhook']),
    recipients: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
    subject: z.string().optional(),
    message: z.string().min(1),
  }).strict()).max(20).optional(),
}).loose();

export const DefinitionSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(10_000).optional(),
  category: z.string().max(100).optional(),
  tags: z.array(z.string().max(100)).max(50).optional(),
  inputSchema: jsonObject.optional(),
  configuration: ConfigurationSchema.optional(),
  nodes: z.array(NodeSchema).max(1000, 'at most 1000 nodes'),
  edges: z.array(EdgeSchema).max(5000, 'at most 5000 edges'),
  viewport: z.unknown().optional(),
}).loose().superRefine((definition, ctx) => {
  // Measured without recursion, before anything recursive (templates, conditions, hashing) walks the definition.
  const at = tooDeepAt(definition, MAX_JSON_DEPTH);
  if (at) ctx.addIssue({ code: 'custom', path: [...at], message: `nested more than ${MAX_JSON_DEPTH} levels deep` });
});

export type GraphNode = z.infer<typeof NodeSchema>;
export type GraphEdge = z.infer<typeof EdgeSchema>;
export type Definition = z.infer<typeof DefinitionSchema>;
export type RetryConfig = z.infer<typeof RetrySchema>;

const template = z.string();
const durationText = z.string();

/** `data` of each node type; unknown keys are kept (an editor may store its own). */
export const NodeDataSchemas: Record<NodeType, z.ZodType> = {
  trigger: z.object({
    trigger: z.object({
      type: z.enum(['manual', 'webhook', 'schedule', 'event']),
      path: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a webhook path is letters, digits, ".", "_" and "-"').optional(),
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
    }).loose(),
  }).loose(),
  action: z.discriminatedUnion('action', [
    z.object({ action: z.literal('http'), method: z.string().optional(), url: template, headers: z.record(z.string(), template).optional(), body: z.unknown().optional(), expectStatus: z.union([z.number().int(), z.array(z.number().int())]).optional() }).loose(),
    z.object({ action: z.literal('set'), vars: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/, 'variable names are letters, digits, _ and -'), z.unknown()) }).loose(),
    z.object({ action: z.literal('log'), message: z.unknown().optional(), level: z.enum(['debug', 'info', 'warn', 'error']).optional() }).loose(),
  ]),
  integration: z.object({ provider: z.enum(['email', 'slack', 'http', 'webhook']) }).loose(),
  notification: z.object({ channel: z.enum(['email', 'slack', 'webhook']), recipients: z.union([z.array(template), template]), subject: template.optional(), message: template }).loose(),
  condition: z.object({ condition: z.unknown().optional() }).loose(),
  approval: z.object({
    approverRoles: z.array(z.string()).optional(),
    approverUsers: z.array(z.string()).optional(),
    quorum: z.number().int().min(1).max(MAX_INT32).optional(),
    expiresIn: durationText.optional(),
    reminderEvery: durationText.optional(),
    escalation: z.object({ after: durationText, toRoles: z.array(z.string()).min(1) }).optional(),
    message: template.optional(),
    outcomes: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'outcomes are lower_snake_case')).min(1).optional(),
    allowSelfApproval: z.boolean().optional(),
  }).loose(),
  delay: z.object({ duration: durationText.optional(), until: template.optional() }).loose(),
  loop: z.object({ forEach: z.string(), as: z.string().optional(), maxIterations: z.number().int().min(1).optional(), concurrency: z.number().int().min(1).max(100).optional() }).loose(),
  join: z.object({ mode: z.enum(['all', 'any']).default('all') }).loose(),
  subworkflow: z.object({ workflowId: z.string(), version: z.number().int().min(1).max(MAX_INT32).optional(), input: z.unknown().optional(), wait: z.boolean().optional() }).loose(),
  end: z.object({ status: z.enum(['completed', 'failed', 'cancelled']).default('completed'), output: z.unknown().optional() }).loose(),
};

/** Node types that do work outside the workflow and so take `retry`, `timeout` and an `error` edge. */
export const WORK_TYPES: ReadonlySet<string> = new Set(['action', 'integration', 'notification', 'subworkflow']);

/** Handles a node may leave by. `null` is the plain "done" handle. */
export function handlesOf(node: GraphNode): Array<string | null> {
  const data = node.data as Record<string, unknown>;
  switch (node.type) {
    case 'trigger': case 'delay': case 'join': return [null];
    case 'action': case 'integration': case 'notification': case 'subworkflow': return [null, 'error'];
    case 'condition': return data.condition === undefined ? [null] : ['true', 'false'];
    case 'approval': {
      const outcomes = Array.isArray(data.outcomes) ? (data.outcomes as string[]) : ['approved', 'rejected'];
      return [...outcomes, 'expired'];
    }
    case 'loop': return ['body', 'done'];
    default: return [];
  }
}

/** A short name for messages: the label when there is one. */
export function describeNode(node: GraphNode): string {
  const label = (node.data as Record<string, unknown>).label;
  return typeof label === 'string' && label ? `"${node.id}" (${label})` : `"${node.id}"`;
}
