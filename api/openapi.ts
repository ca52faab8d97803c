/**
 * `/openapi.json` (OpenAPI 3.1) from the routes' zod schemas, telling what the routes really accept and answer:
 * every status with its body (api/schemas/), problem+json for errors, operationIds, summaries and tags.
 *
 * Two things the zod schemas cannot say are added here:
 * - @fastify/swagger marks every request body required; a route whose body schema accepts no body at all
 *   (`.nullish()`, `z.unknown()`) is documented with an optional body, so a client or a contract fuzzer reads
 *   the same rule the route applies.
 * - Routes that read their body as raw bytes (a stored document, a signed webhook) validate nothing before their
 *   own checks, so their bodies are described here only (RAW_BODIES).
 */
import type { SwaggerOptions } from '@fastify/swagger';
import { createJsonSchemaTransformObject, jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

type Transform = NonNullable<Extract<SwaggerOptions, { transform?: unknown }>['transform']>;
type TransformObject = NonNullable<Extract<SwaggerOptions, { transformObject?: unknown }>['transformObject']>;
type Operation = {
  operationId?: string;
  requestBody?: { required?: boolean; content?: unknown; description?: string };
};
type OpenApiDocument = {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
};

/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Bodies read as bytes by their route, by operationId. */
const RAW_BODIES: Record<string, NonNullable<Operation['requestBody']>> = {
  uploadDocument: {
    required: true,
    description: "The document's bytes, sent as they are; its Content-Type is kept (at most 10 MiB).",
    content: {
      'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      'application/pdf': { schema: { type: 'string', format: 'binary' } },
    },
  },
  receiveWebhook: {
    required: false,
    description:
      "The sender's payload, signed over its exact bytes (JSON, a form, or text; at most 1 MiB). It becomes the run's input unless the trigger maps one.",
    content: {
      'application/json': {
        schema: { type: 'object', additionalProperties: true },
        example: { action: 'opened', number: 42 },
      },
      'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: { type: 'string' } } },
    },
  },
};

export const TAGS = [
  { name: 'definitions', description: 'Workflow definitions: drafts, published versions, import and export' },
  { name: 'runs', description: 'Starting, watching and steering runs' },
  { name: 'approvals', description: 'The approval inbox and decisions' },
  { name: 'approval links', description: 'The signed links sent to approvers by email and Slack (no API key)' },
  { name: 'triggers', description: 'Schedules, webhooks and events' },
  { name: 'webhooks', description: 'Deliveries from other systems (signed; no API key)' },
  { name: 'integrations', description: 'The integration catalogue' },
  { name: 'variables', description: "A tenant's variables and secrets" },
  { name: 'documents', description: 'Stored documents, attached to emails by id' },
  { name: 'admin', description: 'Users, API keys and tenants' },
  { name: 'clients', description: 'The organisations a tenant runs work for' },
  { name: 'reports', description: "How a workflow's runs, steps and approvals went in a range" },
  { name: 'metrics', description: 'Prometheus metrics (METRICS_TOKEN or an admin key of the default tenant)' },
  { name: 'health', description: 'Liveness and readiness probes' },
];

/** Drops component schemas nothing refers to (zod's registry holds inputs and outputs of every route, used or not). */
function dropUnusedComponents(document: OpenApiDocument): void {
  const schemas = document.components?.schemas;
  if (!schemas) return;
  const refsIn = (value: unknown): string[] => {
    const text = JSON.stringify(value);
    return [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  };
  const used = new Set<string>();
  const queue = refsIn(document.paths);
  while (queue.length) {
    const name = queue.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    queue.push(...refsIn(schemas[name]));
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

export function openApiOptions(info: { title: string; version: string; description?: string }): SwaggerOptions {
  const optionalBodies = new Set<string>();
  const transform: Transform = (input) => {
    const body = input.schema?.body as ZodType | undefined;
    if (body && typeof body.safeParse === 'function' && body.safeParse(undefined).success) {
      for (const method of ([] as string[]).concat(input.route.method))
        optionalBodies.add(`${method.toLowerCase()} ${openApiPath(input.url)}`);
    }
    return jsonSchemaTransform(input);
  };
  const withComponents = createJsonSchemaTransformObject({});
  const transformObject: TransformObject = (documentObject) => {
    const document = withComponents(documentObject) as OpenApiDocument;
    for (const [path, operations] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.requestBody && optionalBodies.has(`${method} ${path}`)) operation.requestBody.required = false;
        const raw = operation.operationId ? RAW_BODIES[operation.operationId] : undefined;
        if (raw) operation.requestBody = raw;
      }
    }
    dropUnusedComponents(document);
    return document as never;
  };
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        ...info,
        description:
          info.description ??
          'Durable workflows and approvals on Temporal. Every error is RFC 9457 problem+json (`Problem`). Send `Authorization: Bearer <api key>` except where an operation says otherwise.',
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
      },
      servers: [{ url: '/', description: 'This server' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key (`gf_…`), made by POST /api/api-keys; or, when JWT sign-in is configured (AUTH_JWKS_URL), a JWT from the identity provider',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    transform,
    transformObject,
  };
}
