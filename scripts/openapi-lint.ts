/**
 * `npm run lint:openapi`: builds the app (no database or Temporal is reached: only the routes register), writes
 * its OpenAPI document to .data/openapi.json, and lints it with Redocly (`redocly.yaml`). Exits non-zero on any
 * error or warning, so the document stays clean.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { writeOpenApiDocument } from './openapi-document';
import { projectRoot } from './python-tools';

const file = path.join(projectRoot, '.data', 'openapi.json');
await writeOpenApiDocument(file);
process.stderr.write(`[lint:openapi] wrote ${path.relative(projectRoot, file)}\n`);
const redocly = path.join(projectRoot, 'node_modules', '.bin', 'redocly');
const result = spawnSync(
  redocly,
  ['lint', file, '--config', path.join(projectRoot, 'redocly.yaml'), '--max-problems', '200'],
  { stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
);
process.exit(result.status ?? 1);
