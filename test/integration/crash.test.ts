/**
 * The worker in a process of its own, killed with SIGKILL while sends are in
 * flight, twenty times over. Every run completes, and each sink counts at most
 * one duplicate of an intent per crash that landed while that intent was
 * mid-send (received by the sink, not yet recorded as sent): never more.
 * And a run waiting on an approval outlives a killed worker.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor } from '../../activities/messaging';
import { workflowNotifications } from '../../db/schema';
import { createHarness, eventually, type Harness } from '../harness';
import { Gate } from '../support/gate';
import { approvalDefinition } from '../support/graphs';
import { type HttpTarget, startHttpTarget } from '../support/http-target';
import { sharedDatabase, spawnWorker, type WorkerProcess } from '../support/processes';
import { type SlackApi, startSlackApi } from '../support/slack-api';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

const KILLS = 20;

let gate: Gate;
let smtp: SmtpSink;
let slack: SlackApi;
let target: HttpTarget;
let database: Awaited<ReturnType<typeof sharedDatabase>>;
let h: Harness;
let workerEnv: Record<string, string>;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  gate = new Gate();
  [smtp, slack, target, database] = await Promise.all([
    startSmtpSink(gate),
    startSlackApi(gate),
    startHttpTarget(undefined, gate),
    sharedDatabase(),
  ]);
  const env = {
    DATABASE_URL: database.url,
    SMTP_URL: smtp.url,
    SLACK_TOKEN: 'xoxb-crash-test',
    SLACK_API_URL: slack.url,
    HTTP_ALLOW_PRIVATE: 'true',
  };
  h = await createHarness(env, { inProcessWorker: false });
  workerEnv = { ...env, TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue };
});
afterAll(async () => {
  gate?.open();
  await Promise.all(workers.map((w) => w.kill()));
  await h?.close();
  await Promise.all([smtp?.close(), slack?.close(), target?.close()]);
  await database?.close();
});

describe('a worker killed mid-send', () => {
  it(
    `${KILLS} SIGKILLs: every run completes, and no sink counts a duplicate beyond the crashes that landed mid-send`,
    { timeout: 300_000 },
    async () => {
      const definition = {
        // Short attempts, so a killed attempt is retried soon; many of them, so twenty crashes cannot exhaust a send.
        configuration: { retry: { maximumAttempts: 100, initialInterval: '100ms', maximumInterval: '500ms' } },
        nodes: [
          { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
          {
            id: 'mail',
            type: 'integration',
            data: {
              provider: 'email',
              to: ['ops@example.com'],
              subject: 'mail {{ run.id }}',
              text: 'hello',
              timeout: '2s',
            },
          },
          {
            id: 'chat',
            type: 'integration',
            data: { provider: 'slack', channel: '#ops', text: 'chat {{ run.id }}', timeout: '2s' },
          },
          {
            id: 'call',
            type: 'action',
            data: {
              action: 'http',
              method: 'POST',
              url: `${target.url}/orders`,
              body: { run: '{{ run.id }}' },
              timeout: '2s',
            },
          },
          { id: 'e', type: 'end', data: {} },
        ],
        edges: [
          { id: 'e1', source: 't', target: 'mail' },
          { id: 'e2', source: 'mail', target: 'chat' },
          { id: 'e3', source: 'chat', target: 'call' },
          { id: 'e4', source: 'call', target: 'e' },
        ],
      };
      const workflowId = (
        await h.api(h.tenant.adminKey, {
          method: 'POST',
          url: '/api/workflows',
          payload: { name: 'Crash', definition },
        })
      ).json().id;
      expect(
        (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode,
      ).toBe(201);
      const runIds: string[] = [];
      const startRun = async () => {
        const res = await h.api(h.tenant.adminKey, {
          method: 'POST',
          url: `/api/workflows/${workflowId}/runs`,
          payload: {},
        });
        expect(res.statusCode).toBe(202);
        runIds.push(res.json().runId);
      };
      await Promise.all([startRun(), startRun(), startRun()]);

      const deliveries = (key: string) =>
        smtp.messages.filter((m) => m.messageId === messageIdFor(key)).length +
        slack.posts.filter((p) => `${p.text.replace(/^chat /, '')}:chat:1` === key).length +
        target.received.filter((r) => r.headers['idempotency-key'] === key).length;
      const total = () => smtp.messages.length + slack.posts.length + target.received.length;
      /** Per intent, how many crashes landed while it was mid-send. */
      const midSend = new Map<string, number>();

      // The next worker is always built and waiting, so a crash is followed by a poller at once.
      let next = spawnWorker(workerEnv, { wait: true });
      for (let kill = 0; kill < KILLS; kill++) {
        // Fresh work every round, so there is always a send to interrupt.
        await startRun();
        const before = total();
        // Even rounds: the sinks hold their answers, and the kill lands while the sender waits for one.
        // Odd rounds: answers flow, and the kill lands just after a send was answered, wherever the sender then is.
        if (kill % 2 === 0) gate.close();
        const worker = next;
        workers.push(worker);
        await worker.warm;
        worker.go();
        await worker.ready;
        next = spawnWorker(workerEnv, { wait: true });
        workers.push(next);
        if (kill % 2 === 0) await gate.holding();
        else await eventually(async () => total() > before, 5);
        await worker.kill();
        // Its sockets closed, everything it managed to send has been taken in by the sinks.
        await eventually(async () =>
          (await Promise.all([smtp, slack, target].map((s) => s.openConnections()))).every((n) => n === 0),
        );

        // Nobody writes the ledger now: what a sink has and the ledger does not call sent was mid-send.
        const rows = await h.database.db
          .select()
          .from(workflowNotifications)
          .where(inArray(workflowNotifications.instanceId, runIds));
        for (const row of rows) {
          if (row.status !== 'sent' && deliveries(row.idempotencyKey) > 0)
            midSend.set(row.idempotencyKey, (midSend.get(row.idempotencyKey) ?? 0) + 1);
        }
        gate.open();
      }

      await next.warm;
      next.go();
      const results = await Promise.all(runIds.map((id) => h.temporal.workflow.getHandle(id).result()));
      expect(results.map((r) => r.status)).toEqual(runIds.map(() => 'completed'));

      const rows = await h.database.db
        .select()
        .from(workflowNotifications)
        .where(inArray(workflowNotifications.instanceId, runIds));
      expect(rows).toHaveLength(runIds.length * 3);
      expect(
        rows
          .filter((r) => r.status !== 'sent')
          .map((r) => ({ key: r.idempotencyKey, status: r.status, error: r.error, retries: r.retryCount })),
      ).toEqual([]);
      for (const row of rows) {
        const count = deliveries(row.idempotencyKey);
        expect(count, `${row.idempotencyKey} delivered`).toBeGreaterThanOrEqual(1);
        expect(
          count - 1,
          `${row.idempotencyKey}: duplicates beyond its ${midSend.get(row.idempotencyKey) ?? 0} mid-send crashes`,
        ).toBeLessThanOrEqual(midSend.get(row.idempotencyKey) ?? 0);
      }
      // The held rounds each caught at least one send in flight: the crashes did land mid-send.
      expect([...midSend.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(KILLS / 2);
      // Each duplicate still carries its intent's key (Message-ID, Idempotency-Key), so a receiver can fold it.
      expect(new Set(smtp.messages.map((m) => m.messageId)).size).toBe(runIds.length);
      expect(new Set(target.received.map((r) => r.headers['idempotency-key'])).size).toBe(runIds.length);
    },
  );
});

describe('a worker killed while a run waits on an approval', () => {
  it('the worker SIGKILLed, a new one started, then the decision made: the run continues by the approved edge', async () => {
    const manager = await h.newUser(h.tenant, ['manager']);
    const definition = approvalDefinition({ approverRoles: ['manager'], expiresIn: '1h', message: 'Patch the host?' });
    const workflowId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: '/api/workflows', payload: { name: 'Patch', definition } })
    ).json().id;
    expect(
      (await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/publish` })).statusCode,
    ).toBe(201);
    const first = spawnWorker(workerEnv);
    workers.push(first);
    const runId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${workflowId}/runs`, payload: {} })
    ).json().runId as string;
    const approval = await eventually(
      async () =>
        (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/approvals?runId=${runId}&status=pending` })).json()
          .items[0],
    );
    await first.kill();

    const second = spawnWorker(workerEnv);
    workers.push(second);
    await second.ready;
    const decided = await h.api(manager.key, {
      method: 'POST',
      url: `/api/approvals/${approval.id}/decision`,
      payload: { decision: 'approve', comment: 'go' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(await h.temporal.workflow.getHandle(runId).result()).toMatchObject({
      status: 'completed',
      output: { outcome: 'approved' },
    });
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.approvals[0]).toMatchObject({
      status: 'approved',
      votes: [expect.objectContaining({ userId: manager.userId, comment: 'go' })],
    });
  });
});
