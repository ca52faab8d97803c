/**
 * Starts one Temporal dev server (in memory, headless, free ports) and bundles
 * the workflow code once for every test file; migrates DATABASE_URL's
 * database once when it is set.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { projectRoot } from '../config';
import { openDatabase } from '../db/client';
import { freePort } from '../lib/free-port';
import { startDevServer } from '../scripts/temporal';
import { workflowsPath } from '../worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    temporalCli: string;
  }
}

export { freePort } from '../lib/free-port';

export default async function setup(project: TestProject) {
  const dir = path.join(projectRoot, '.data', 'test');
  mkdirSync(dir, { recursive: true });
  const [server, bundle] = await Promise.all([
    startDevServer({
      port: await freePort(),
      headless: true,
      logFile: path.join(dir, `temporal-${process.pid}.log`),
      readyTimeoutMs: 180_000,
    }),
    bundleWorkflowCode({
      workflowsPath,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    }),
  ]);
  // One file per test run, so runs side by side (two checkouts' worth of work on one machine) never share a bundle.
  const bundlePath = path.join(dir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, bundle.code);
  if (process.env.DATABASE_URL) {
    const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
    await database.migrate();
    await database.close();
  }
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCli', server.cli);
  return async () => {
    await server.stop();
    rmSync(bundlePath, { force: true });
  };
}
