/**
 * workflow-thread.cjs, preloaded into worker processes as `npm run worker` does: the SDK's promise hook is left out of
 * the workflow thread, so the stack trace query says stack traces are off, and the run goes on as before. With
 * WORKFLOW_STACK_TRACES=on the SDK's hook is back and the query answers the run's stacks. This test fails if an SDK
 * upgrade moves what the preload reaches into.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, type Harness } from '../harness';
import { approvalDefinition } from '../support/graphs';
import { sharedDatabase, spawnWorker, type WorkerProcess } from '../support/processes';

let database: Awaited<ReturnType<typeof sharedDatabase>>;
let h: Harness;
let workerEnv: Record<string, string>;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  database = await sharedDatabase();
  const env = { DATABASE_URL: database.url };
  h = await createHarness(env, { inProcessWorker: false });
  workerEnv = { ...env, TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue };
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await h?.close();
  await database?.close();
});

const stackTrace = (runId: string) => h.temporal.workflow.getHandle(runId).query<string>('__stack_trace');

describe('the workflow thread of a worker process', () => {
  it('leaves the promise hook out unless WORKFLOW_STACK_TRACES=on, and the run completes either way', async () => {
    const manager = await h.newUser(h.tenant, ['manager']);
    const definition = approvalDefinition({ approverRoles: ['manager'], expiresIn: '1h', message: 'Ship it?' });
    const key = h.tenant.adminKey;
    const workflowId = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Ship', definition } })
    ).json().id;
    expect((await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode).toBe(201);
    const tuned = spawnWorker(workerEnv);
    workers.push(tuned);
    const runId = (await h.api(key, { method: 'POST', url: `/api/workflows/${workflowId}/runs`, payload: {} })).json()
      .runId as string;
    const approval = await eventually(
      async () =>
        (await h.api(key, { method: 'GET', url: `/api/approvals?runId=${runId}&status=pending` })).json().items[0],
    );
    await expect(stackTrace(runId)).rejects.toThrow(/stack traces are not enabled/);

    // The same run on a worker with the SDK's hook: it replays, and its stacks name the workflow's own code.
    await tuned.kill();
    const hooked = spawnWorker({ ...workerEnv, WORKFLOW_STACK_TRACES: 'on' });
    workers.push(hooked);
    await hooked.ready;
    expect(await eventually(() => stackTrace(runId).catch(() => undefined))).toMatch(/approval-wait/);

    const decided = await h.api(manager.key, {
      method: 'POST',
      url: `/api/approvals/${approval.id}/decision`,
      payload: { decision: 'approve' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(await h.temporal.workflow.getHandle(runId).result()).toMatchObject({ status: 'completed' });
  });
});
