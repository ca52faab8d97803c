/**
 * The API's OpenAPI document, built from the routes themselves: the one source the linter (`npm run lint:openapi`)
 * and the generated client (`npm run client:generate`) both read, so they can never describe two different APIs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';

export type OpenApiDocument = ReturnType<Awaited<ReturnType<typeof buildApp>>['swagger']>;

export async function buildOpenApiDocument(): Promise<OpenApiDocument> {
  // Building registers routes only; nothing below asks the database or Temporal anything. The configuration is the
  // defaults, not this shell's environment, so every machine builds the same document.
  const app = await buildApp({ config: loadConfig({}), database: {} as never, temporal: {} as never, logger: false });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
}

export async function writeOpenApiDocument(file: string): Promise<void> {
  const document = await buildOpenApiDocument();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}
