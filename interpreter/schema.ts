/**
 * The definition format (definition-format.md) as zod schemas and types:
 * the structure as it is stored. It is lenient about `data` (so validation
 * can report every semantic problem at once); the typed node model
 * (node-model.ts) parses each node's data.
 */
import { z } from 'zod';
import { MAX_JSON_DEPTH, tooDeepAt } from './json-walk';

export { isNodeType, MAX_INT32, NODE_TYPES, type NodeType } from './node-types';

const jsonObject = z.record(z.string(), z.unknown());

/** The largest graph a definition may hold: validated, published and run within the big-graph bench's targets. */
export const MAX_NODES = 5000;
export const MAX_EDGES = 10_000;

export const NodeSchema = z
  .object({
    id: z.string().min(1, 'a node needs an id').max(200),
    type: z.string(),
    position: z.object({ x: z.number(), y: z.number() }).partial().loose().optional(),
    data: jsonObject.default({}),
  })
  .loose();

export const EdgeSchema = z
  .object({
    id: z.string().min(1, 'an edge needs an id').max(200),
    source: z.string().min(1),
    target: z.string().min(1),
    sourceHandle: z.string().nullish(),
    targetHandle: z.string().nullish(),
    condition: z.unknown().optional(),
    isDefault: z.boolean().optional(),
  })
  .loose();

export const RetrySchema = z
  .object({
    maximumAttempts: z.number().int().min(1).max(100).optional(),
    initialInterval: z.string().optional(),
    backoffCoefficient: z.number().min(1).max(10).optional(),
    maximumInterval: z.string().optional(),
  })
  .strict();

export const ConfigurationSchema = z
  .object({
    timeout: z.string().optional(),
    retry: RetrySchema.optional(),
    maxNodeVisits: z.number().int().min(1).max(100_000).optional(),
    /** Workflow-level notifications: told when the run completes or fails, an approval is requested, or a node errs. */
    notifications: z
      .array(
        z
          .object({
            on: z.array(z.enum(['completed', 'failed', 'approval_requested', 'error'])).min(1),
            channel: z.enum(['email', 'slack', 'webhook']),
            recipients: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
            subject: z.string().optional(),
            message: z.string().min(1),
          })
          .strict(),
      )
      .max(20)
      .optional(),
  })
  .loose();

export const DefinitionSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(10_000).optional(),
    category: z.string().max(100).optional(),
    tags: z.array(z.string().max(100)).max(50).optional(),
    inputSchema: jsonObject.optional(),
    configuration: ConfigurationSchema.optional(),
    nodes: z.array(NodeSchema).max(MAX_NODES, `at most ${MAX_NODES} nodes`),
    edges: z.array(EdgeSchema).max(MAX_EDGES, `at most ${MAX_EDGES} edges`),
    viewport: z.unknown().optional(),
  })
  .loose()
  .superRefine((definition, ctx) => {
    // Measured without recursion, before anything recursive (templates, conditions, hashing) walks the definition.
    const at = tooDeepAt(definition, MAX_JSON_DEPTH);
    if (at) ctx.addIssue({ code: 'custom', path: [...at], message: `nested more than ${MAX_JSON_DEPTH} levels deep` });
  });

export type GraphNode = z.infer<typeof NodeSchema>;
export type GraphEdge = z.infer<typeof EdgeSchema>;
export type Definition = z.infer<typeof DefinitionSchema>;
export type RetryConfig = z.infer<typeof RetrySchema>;

/** Node types that do work outside the workflow and so take `retry`, `timeout` and an `error` edge. */
export const WORK_TYPES: ReadonlySet<string> = new Set(['action', 'integration', 'notification', 'subworkflow']);
