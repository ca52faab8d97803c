/**
 * `GET /api/node-types`: every node type an editor may place, with its help text, the handles it leaves by, and its
 * `data` as JSON Schema generated from the zod schemas the engine parses with (interpreter/node-model.ts), so the
 * designer's property panel and the engine never disagree on a field. Help comes from interpreter/node-help.ts.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NODE_HELP } from '../../interpreter/node-help';
import { DEFAULT_APPROVAL_OUTCOMES, handlesOfUnparsed, NodeDataSchemas } from '../../interpreter/node-model';
import { INTEGRATIONS } from '../../interpreter/integrations';
import { NODE_TYPES, type GraphNode, type NodeType } from '../../interpreter/schema';
import { answer, withProblems } from '../schemas/problem';

type JsonSchema = Record<string, unknown>;
const Handle = z.string().nullable().meta({ description: 'A handle name; null is the plain "done" handle' });

const HandleRule = z
  .discriminatedUnion('rule', [
    z.strictObject({ rule: z.literal('fixed'), handles: z.array(Handle) }),
    z
      .strictObject({
        rule: z.literal('each-value'),
        field: z.string(),
        default: z.array(z.string()),
        after: z.array(Handle),
      })
      .meta({ description: "One handle per value of `field` (default when unset), then `after`'s" }),
    z
      .strictObject({ rule: z.literal('when-set'), field: z.string(), set: z.array(Handle), unset: z.array(Handle) })
      .meta({ description: '`set` when `field` is present in the data, else `unset`' }),
  ])
  .meta({ id: 'NodeHandles', description: 'How the handles a node leaves by follow from its data' });

const NodeTypeView = z
  .strictObject({
    type: z.string(),
    title: z.string(),
    help: z.string(),
    acceptsEdges: z.boolean(),
    handles: HandleRule,
    schema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema (draft 2020-12) of the node's data" }),
  })
  .meta({ id: 'NodeType', description: 'A node type, as an editor needs it' });

const handlesFor = (type: NodeType, data: Record<string, unknown>) =>
  handlesOfUnparsed({ id: 'sample', type, data } as GraphNode) ?? [];

/** Read off the engine's own handlesOf, by asking it about sample data, so the rule is stated once. */
function handleRule(type: NodeType): z.output<typeof HandleRule> {
  if (type === 'approval') {
    const probe = 'probe_outcome';
    const after = handlesFor(type, { outcomes: [probe] }).filter((h) => h !== probe);
    return { rule: 'each-value', field: 'outcomes', default: [...DEFAULT_APPROVAL_OUTCOMES], after };
  }
  if (type === 'condition')
    return {
      rule: 'when-set',
      field: 'condition',
      set: handlesFor(type, { condition: {} }),
      unset: handlesFor(type, {}),
    };
  return { rule: 'fixed', handles: handlesFor(type, {}) };
}

/** An integration node's data is its provider's config beside `provider`: one branch per provider, like actions'. */
function integrationSchema(): z.ZodType {
  const branches = INTEGRATIONS.map(({ provider, config }) => {
    const configShape = config instanceof z.ZodObject ? (config.shape as z.ZodRawShape) : {};
    return NodeDataSchemas.integration.extend({ ...configShape, provider: z.literal(provider) });
  });
  return z.discriminatedUnion('provider', branches as never);
}

/** `required` lists what must be written: a field that falls back (`.catch`) is not, though zod 4 says it is. */
function dropFallbackRequirements(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }) {
  const { zodSchema, jsonSchema } = ctx;
  if (!(zodSchema instanceof z.ZodObject) || !Array.isArray(jsonSchema.required)) return;
  const shape = zodSchema.shape as Record<string, z.ZodType>;
  jsonSchema.required = (jsonSchema.required as string[]).filter(
    (key) => !shape[key] || !shape[key].safeParse(undefined).success,
  );
  if ((jsonSchema.required as string[]).length === 0) delete jsonSchema.required;
}

/** Sets `description` on the property at a dotted path, in every branch of a union. */
function describe(schema: JsonSchema, path: string[], text: string): void {
  for (const branch of (schema.oneOf ?? schema.anyOf ?? []) as JsonSchema[]) describe(branch, path, text);
  const [key, ...rest] = path;
  const property = (schema.properties as Record<string, JsonSchema> | undefined)?.[key!];
  if (!property) return;
  if (rest.length === 0) property.description ??= text;
  else describe(property, rest, text);
}

function dataSchema(type: NodeType): JsonSchema {
  const zodSchema = type === 'integration' ? integrationSchema() : NodeDataSchemas[type];
  const { $schema: _dialect, ...schema } = z.toJSONSchema(zodSchema, {
    io: 'input',
    // Conditions and durations accepted as text or seconds have no JSON Schema: the designer edits them as JSON.
    unrepresentable: 'any',
    override: (ctx) => dropFallbackRequirements(ctx as never),
  }) as JsonSchema;
  describe(schema, ['label'], 'A name for people, shown on the canvas.');
  for (const [path, text] of Object.entries(NODE_HELP[type].fields)) describe(schema, path.split('.'), text);
  return schema;
}

export const nodeTypeRoutes: FastifyPluginAsyncZod = async (app) => {
  // The same for every caller and every request: computed once.
  const items = NODE_TYPES.map((type) => ({
    type,
    title: NODE_HELP[type].title,
    help: NODE_HELP[type].help,
    acceptsEdges: NODE_HELP[type].acceptsEdges,
    handles: handleRule(type),
    schema: dataSchema(type),
  }));

  app.get(
    '/api/node-types',
    {
      schema: {
        operationId: 'listNodeTypes',
        summary: 'Every node type: help, handles, and the JSON Schema of its data',
        tags: ['definitions'],
        response: withProblems({
          200: answer('Every node type', z.strictObject({ items: z.array(NodeTypeView) }).meta({ id: 'NodeTypeList' })),
        }),
      },
    },
    async () => ({ items }),
  );
};
