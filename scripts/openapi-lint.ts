/**
 * `npm run lint:openapi`: builds the app (no database or Temporal is reached: only the routes register), writes
 * its OpenAPI document to .data/openapi.json, and lints it with Redocly (`redocly.yaml`). Exits non-zero on any
 * error or warning, so the document stays clean.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { projectRoot } from './python-tools';

export async function writeOpenApiDocument(file: string): Promise<void> {
  // Building registers routes only; nothing below asks the database or Temporal anything.
  const app = await buildApp({ config: loadConfig(), database: {} as never, temporal: {} as never, logger: false });
  await app.ready();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
}

const file = path.join(projectRoot, '.data', 'openapi.json');
await writeOpenApiDocument(file);
process.stderr.write(`[lint:openapi] wrote ${path.relative(projectRoot, file)}\n`);
const redocly = path.join(projectRoot, 'node_modules', '.bin', 'redocly');
const result = spawnSync(redocly, ['lint', file, '--config', path.join(projectRoot, 'redocly.yaml'), '--max-problems', '200'], { stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
process.exit(result.status ?? 1);
