/**
 * `npm run client:generate`: writes the typed client's types (client/schema.d.ts) from the API's OpenAPI document.
 * Run it after changing a route's schemas and commit the result; test/integration/client.test.ts fails while the
 * committed file and the server disagree.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { clientSchemaFile, clientSchemaSource } from './client-schema';
import { projectRoot } from './python-tools';

writeFileSync(clientSchemaFile, await clientSchemaSource());
process.stderr.write(`[client:generate] wrote ${path.relative(projectRoot, clientSchemaFile)}\n`);
