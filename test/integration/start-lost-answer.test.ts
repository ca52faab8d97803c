/**
 * A start whose answer never came: Temporal's deadline passed, so the API cannot tell from the call alone whether the
 * run started. It asks Temporal (a describe) and answers what is true: the run when it started, a clean 503 with the
 * row taken back when it did not, and a 503 that keeps the row when Temporal does not answer that either, so a retry
 * with the same Idempotency-Key starts that very run. The faults are injected in the real gRPC channel to a real
 * server, by a client interceptor that drops a call or turns its answer into DEADLINE_EXCEEDED.
 */
import { InterceptingCall, Metadata, status, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createHarness, settled, type Harness } from '../harness';
import { triggerToEnd } from '../support/graphs';

type Fault = 'none' | 'answer-lost' | 'start-never-sent' | 'server-silent';
let fault: Fault = 'none';

const START = /\/StartWorkflowExecution$/;
const DESCRIBE = /\/DescribeWorkflowExecution$/;
const deadlineExceeded = () => ({
  code: status.DEADLINE_EXCEEDED,
  details: 'Deadline exceeded (injected by the test)',
  metadata: new Metadata(),
});

/** Fails a call with DEADLINE_EXCEEDED without starting it: the server never hears of it. */
const dropped: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start: (_metadata, listener) => setImmediate(() => listener.onReceiveStatus(deadlineExceeded())),
    sendMessage: () => {},
    halfClose: () => {},
    cancel: () => {},
  });

const injectFaults: Interceptor = (options, nextCall) => {
  const path = options.method_definition.path;
  if (fault === 'start-never-sent' && START.test(path)) return dropped(options, nextCall);
  if (fault === 'server-silent' && (START.test(path) || DESCRIBE.test(path))) return dropped(options, nextCall);
  if (fault === 'answer-lost' && START.test(path)) {
    // The server starts the run; its answer is lost on the way back.
    return new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) =>
        next(metadata, {
          onReceiveStatus: (received, passOn) => passOn(received.code === status.OK ? deadlineExceeded() : received),
        }),
    });
  }
  return new InterceptingCall(nextCall(options));
};

let h: Harness;
let app: FastifyInstance;
let connection: Connection;
let workflowId: string;

beforeAll(async () => {
  h = await createHarness();
  connection = await Connection.connect({ address: h.config.temporal.address!, interceptors: [injectFaults] });
  app = await buildApp({
    config: h.config,
    database: h.database,
    temporal: new Client({ connection, namespace: h.config.temporal.namespace }),
    logger: false,
  });
  const key = h.tenant.adminKey;
  workflowId = (
    await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Lost', definition: triggerToEnd } })
  ).json().id as string;
  expect((await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode).toBe(201);
});

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await h?.close();
});

const start = (idempotencyKey: string) =>
  app.inject({
    method: 'POST',
    url: `/api/workflows/${workflowId}/runs`,
    headers: { authorization: `Bearer ${h.tenant.adminKey}`, 'idempotency-key': idempotencyKey },
    payload: { input: {} },
  });

const runsOfWorkflow = async () =>
  (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs?workflowId=${workflowId}&limit=100` })).json()
    .items as Array<{ id: string; status: string }>;

async function executionsOf(runId: string): Promise<number> {
  let count = 0;
  for await (const _ of h.temporal.workflow.list({ query: `WorkflowId = "${runId}"` })) count++;
  return count;
}

describe('a start whose answer was lost', () => {
  it('answers the run when the server started it after all, and starts nothing twice', async () => {
    fault = 'answer-lost';
    const answered = await start('lost-answer');
    fault = 'none';
    expect(answered.statusCode, answered.body).toBe(202);
    const runId = answered.json().runId as string;
    await settled(h, runId);
    expect(await executionsOf(runId)).toBe(1);
    expect((await runsOfWorkflow()).filter((r) => r.id === runId)).toHaveLength(1);
  });

  it('answers 503 and takes its row back when the start never reached the server; the retry starts one run', async () => {
    const before = (await runsOfWorkflow()).length;
    fault = 'start-never-sent';
    const refused = await start('never-sent');
    fault = 'none';
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.json()).toMatchObject({ unavailable: 'temporal_unavailable' });
    expect(refused.json().detail).toContain('Nothing was started');
    expect(await runsOfWorkflow()).toHaveLength(before);

    const retried = await start('never-sent');
    expect(retried.statusCode, retried.body).toBe(202);
    await settled(h, retried.json().runId as string);
    expect(await runsOfWorkflow()).toHaveLength(before + 1);
  });

  it('keeps the row when the server answers neither call, and the retry with the same key starts that run', async () => {
    fault = 'server-silent';
    const unknown = await start('server-silent');
    fault = 'none';
    expect(unknown.statusCode, unknown.body).toBe(503);
    expect(unknown.json().detail).toMatch(/not known whether run (run-[0-9a-f-]+) started/);
    const runId = /not known whether run (run-[0-9a-f-]+) started/.exec(unknown.json().detail as string)![1]!;
    expect((await runsOfWorkflow()).find((r) => r.id === runId)?.status).toBe('pending');

    const retried = await start('server-silent');
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.json().runId).toBe(runId);
    await settled(h, runId);
    expect(await executionsOf(runId)).toBe(1);
  });
});
