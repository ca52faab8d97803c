/**
 * The world of the approval benches (approval-latency, approval-concurrency): a published graph that waits on one
 * approval, a manager with an API key to decide it, runs of it waiting on their approvals, and hand-written baseline
 * workflows waiting on a bare Update.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { workflowExecutions } from '../db/schema';
import type { BenchEnvironment } from './environment';

const definition = {
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
    // Approvers are not emailed here: the benches measure the decision path, not SMTP.
    { id: 'ask', type: 'approval', data: { approverRoles: ['manager'], notify: { channels: [] } } },
    { id: 'next', type: 'action', data: { action: 'set', vars: { done: true } } },
    { id: 'e', type: 'end', data: {} },
  ],
  edges: [
    { id: 'e1', source: 't', target: 'ask' },
    { id: 'e2', source: 'ask', sourceHandle: 'approved', target: 'next' },
    { id: 'e3', source: 'ask', sourceHandle: 'rejected', target: 'e' },
    { id: 'e4', source: 'next', target: 'e' },
  ],
};

export interface ApprovalBench {
  manager: { id: string; email: string };
  /** The manager's bearer header: decisions go through the API as theirs. */
  asManager: { authorization: string };
  /** Starts `n` runs (`parallel` at a time) and answers once each waits on its approval. */
  waitingRuns(n: number, parallel?: number): Promise<{ runs: string[]; approvals: string[] }>;
  /** Starts `n` hand-written workflows, each waiting on one `bareDecide` Update. */
  bareWaiting(n: number): Promise<string[]>;
  /** When the node after the approval started (ms since epoch), once it has. */
  nextStarted(runId: string): Promise<number>;
}

/** Runs `work` over `items`, `parallel` at a time, keeping the order of the answers. */
export async function inParallel<T, R>(items: T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
  return results;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function setUpApprovalBench(env: BenchEnvironment): Promise<ApprovalBench> {
  const { app, client, auth, database } = env;
  const post = async (url: string, payload?: unknown) => {
    const res = await app.inject({ method: 'POST', url, headers: auth, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`POST ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json();
  };
  const workflowId = (await post('/api/workflows', { name: 'Approval bench', definition })).id as string;
  await post(`/api/workflows/${workflowId}/publish`);
  const manager = await post('/api/users', {
    email: `manager-${randomUUID()}@bench.local`,
    name: 'M',
    roles: ['manager'],
  });
  const managerKey = (await post('/api/api-keys', { userId: manager.id })).key as string;

  const approvalOf = async (runId: string): Promise<string> => {
    for (;;) {
      const res = await app.inject({ method: 'GET', url: `/api/approvals?runId=${runId}`, headers: auth });
      if (res.statusCode !== 200) throw new Error(`GET /api/approvals answered ${res.statusCode}: ${res.body}`);
      const item = res.json().items[0];
      if (item) return item.id as string;
      await pause(20);
    }
  };
  return {
    manager,
    asManager: { authorization: `Bearer ${managerKey}` },
    async waitingRuns(n, parallel = 1) {
      const indexes = Array.from({ length: n }, (_, i) => i);
      const runs = await inParallel(
        indexes,
        parallel,
        async () => (await post(`/api/workflows/${workflowId}/runs`, { input: {} })).runId as string,
      );
      // Every run waits on its approval before any clock starts.
      const approvals = await inParallel(runs, parallel, approvalOf);
      return { runs, approvals };
    },
    async bareWaiting(n) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = `bare-${randomUUID()}`;
        await client.workflow.start('bareApproval', { taskQueue: env.taskQueue, workflowId: id });
        ids.push(id);
      }
      return ids;
    },
    async nextStarted(runId) {
      for (;;) {
        const at = (
          await database.db
            .select({ at: workflowExecutions.startedAt })
            .from(workflowExecutions)
            .where(and(eq(workflowExecutions.instanceId, runId), eq(workflowExecutions.nodeId, 'next')))
            .limit(1)
        )[0]?.at;
        if (at) return at.getTime();
        await pause(2);
      }
    },
  };
}
