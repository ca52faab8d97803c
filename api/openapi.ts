/**
 * `/openapi.json` from the routes' zod schemas, telling what the routes
 * really accept. @fastify/swagger marks every request body required; a route
 * whose body schema accepts no body at all (`.nullish()`, `z.unknown()`) is
 * documented with an optional body, so a client or a contract fuzzer reads
 * the same rule the route applies.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';

type Transform = NonNullable<Extract<SwaggerOptions, { transform?: unknown }>['transform']>;
type OpenApiDocument = { paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>> };

/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function openApiOptions(info: { title: string; version: string }): SwaggerOptions {
  const optionalBodies = new Set<string>();
  const transform: Transform = (input) => {
    const body = input.schema?.body as ZodType | undefined;
    if (body && typeof body.safeParse === 'function' && body.safeParse(undefined).success) {
      for (const method of ([] as string[]).concat(input.route.method)) optionalBodies.add(`${method.toLowerCase()} ${openApiPath(input.url)}`);
    }
    return jsonSchemaTransform(input);
  };
  return {
    openapi: {
      info,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform,
    transformObject: (documentObject) => {
      const document = ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as OpenApiDocument;
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations)) {
          if (operation.requestBody && optionalBodies.has(`${method} ${path}`)) operation.requestBody.required = false;
        }
      }
      return document as never;
    },
  };
}
