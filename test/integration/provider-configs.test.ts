/**
 * Each provider checks its config, as rendered for the run, against the schema publish checked it with: a config
 * that does not fit fails at once as `InvalidConfig` (never retried) and nothing is sent or recorded. A statement
 * the database refuses is permanent too. Everything is real: Temporal, PostgreSQL, an SMTP sink, a Slack API, a target.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { type temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowNotifications } from '../../db/schema';
import { createWorker } from '../../worker';
import { createHarness, type Harness, publishAndRun, settled } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';
import { type SlackApi, startSlackApi } from '../support/slack-api';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let target: HttpTarget;
let smtp: SmtpSink;
let slack: SlackApi;
beforeAll(async () => {
  [target, smtp, slack] = await Promise.all([startHttpTarget(), startSmtpSink(), startSlackApi()]);
  h = await createHarness({
    SECRETS_KEY: randomBytes(32).toString('base64'),
    SMTP_URL: smtp.url,
    SLACK_TOKEN: 'xoxb-provider-configs',
    SLACK_API_URL: slack.url,
  });
});
afterAll(async () => {
  await h?.close();
  await Promise.all([target?.close(), smtp?.close(), slack?.close()]);
});

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const NON_RETRYABLE = 'RETRY_STATE_NON_RETRYABLE_FAILURE';

/**
 * The activity failures a workflow's history holds: the failure's type, the attempt it failed on, and why it stopped.
 */
async function activityFailures(
  workflowId: string,
): Promise<Array<{ type: string | null | undefined; attempt: number | null | undefined; retryState: string }>> {
  const { events } = await h.temporal.workflow.getHandle(workflowId).fetchHistory();
  const started = new Map<string, HistoryEvent>();
  for (const e of events ?? []) if (e.activityTaskStartedEventAttributes) started.set(String(e.eventId), e);
  return (events ?? [])
    .filter((e) => e.activityTaskFailedEventAttributes)
    .map((e) => {
      const failed = e.activityTaskFailedEventAttributes!;
      const start = started.get(String(failed.startedEventId));
      // The enum arrives as a number from the SDK's decoder; its name is what a person reads.
      const state = failed.retryState as unknown as number | string;
      return {
        type: failed.failure?.applicationFailureInfo?.type,
        attempt: start?.activityTaskStartedEventAttributes?.attempt,
        retryState: typeof state === 'number' ? retryStateName(state) : String(state),
      };
    });
}

const retryStateName = (n: number) =>
  [
    'RETRY_STATE_UNSPECIFIED',
    'RETRY_STATE_IN_PROGRESS',
    'RETRY_STATE_NON_RETRYABLE_FAILURE',
    'RETRY_STATE_TIMEOUT',
    'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED',
    'RETRY_STATE_RETRY_POLICY_NOT_SET',
    'RETRY_STATE_INTERNAL_SERVER_ERROR',
    'RETRY_STATE_CANCEL_REQUESTED',
  ][n] ?? String(n);

/** A graph that does `node`'s work with a retry policy that would retry, and ends by its error edge with the error. */
function graphWith(data: Record<string, unknown>, type = 'integration') {
  return {
    nodes: [
      { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
      {
        id: 'work',
        type,
        data: { ...data, retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 1 } },
      },
      { id: 'ok', type: 'end', data: {} },
      { id: 'failed', type: 'end', data: { output: { error: '{{ nodes.work.error }}' } } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'work' },
      { id: 'e2', source: 'work', target: 'ok' },
      { id: 'e3', source: 'work', sourceHandle: 'error', target: 'failed' },
    ],
  };
}

/** Runs the graph; answers the node's error and the activity's failures from history. */
async function runToError(name: string, definition: object, input: unknown) {
  const runId = await publishAndRun(h, name, definition, input);
  await settled(h, runId);
  const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
  const ledger = await h.database.db
    .select()
    .from(workflowNotifications)
    .where(eq(workflowNotifications.instanceId, runId));
  return { run, error: run.output?.error, failures: await activityFailures(runId), ledger };
}

function expectOneAttemptInvalidConfig(result: Awaited<ReturnType<typeof runToError>>, path: string) {
  expect(result.error).toMatchObject({ type: 'InvalidConfig', message: expect.stringContaining(path) });
  expect(result.failures).toEqual([{ type: 'InvalidConfig', attempt: 1, retryState: NON_RETRYABLE }]);
  // Nothing was recorded as an intent: the config was refused before the ledger was opened.
  expect(result.ledger).toEqual([]);
}

describe('a send whose rendered config does not fit its provider schema', () => {
  it('fails an email with no subject once rendered at once, as InvalidConfig, and sends no mail', async () => {
    const result = await runToError(
      'Email, subject from input',
      graphWith({ provider: 'email', to: 'a@example.com', subject: '{{ input.subject }}', text: 'hello' }),
      {},
    );
    expectOneAttemptInvalidConfig(result, 'subject');
    expect(smtp.messages).toHaveLength(0);
  });

  it('fails an email whose recipients render to an empty list at once, as InvalidConfig, and sends no mail', async () => {
    const result = await runToError(
      'Email, to from input',
      graphWith({ provider: 'email', to: '{{ input.to }}', subject: 's', text: 'hello' }),
      { to: [] },
    );
    expectOneAttemptInvalidConfig(result, 'to');
    expect(smtp.messages).toHaveLength(0);
  });

  it('fails a Slack message with no text once rendered at once, as InvalidConfig, and posts nothing', async () => {
    const result = await runToError(
      'Slack, text from input',
      graphWith({ provider: 'slack', channel: '#general', text: '{{ input.text }}' }),
      {},
    );
    expectOneAttemptInvalidConfig(result, 'text');
    expect(slack.posts).toHaveLength(0);
  });

  it('fails an HTTP call with a method HTTP does not have at once, as InvalidConfig, and calls nothing', async () => {
    const result = await runToError(
      'HTTP, bad method',
      graphWith({ action: 'http', method: 'FETCH', url: `${target.url}/never` }, 'action'),
      {},
    );
    expectOneAttemptInvalidConfig(result, 'method');
    expect(target.received).toHaveLength(0);
  });

  it('fails a webhook with no URL once rendered at once, as InvalidConfig, and calls nothing', async () => {
    const result = await runToError(
      'Webhook, url from input',
      graphWith({ provider: 'webhook', url: '{{ input.url }}', body: { a: 1 } }),
      {},
    );
    expectOneAttemptInvalidConfig(result, 'url');
    expect(target.received).toHaveLength(0);
  });

  it('fails a notification with no message once rendered at once, as InvalidConfig, and sends no mail', async () => {
    const result = await runToError(
      'Notification, message from input',
      graphWith({ channel: 'email', recipients: ['a@example.com'], message: '{{ input.message }}' }, 'notification'),
      {},
    );
    expectOneAttemptInvalidConfig(result, 'message');
    expect(smtp.messages).toHaveLength(0);
  });

  it('names every problem with its path, and never the value given (a filled-in secret stays out of the failure)', async () => {
    const secret = `sk-${randomUUID()}`;
    expect(
      (
        await h.api(h.tenant.adminKey, {
          method: 'PUT',
          url: '/api/variables/PROVIDER_TEST_TOKEN',
          payload: { type: 'secret', value: secret },
        })
      ).statusCode,
    ).toBe(200);
    const definition = graphWith(
      {
        action: 'http',
        method: 'FETCH',
        url: '{{ input.url }}',
        headers: { authorization: 'Bearer {{ secrets.PROVIDER_TEST_TOKEN }}' },
        expectStatus: 200,
      },
      'action',
    );
    const result = await runToError('HTTP, bad method with a secret', definition, {});
    expectOneAttemptInvalidConfig(result, 'url');
    expect(result.error.message).toContain('method');
    expect(JSON.stringify(result.run)).not.toContain(secret);
    expect(target.received).toHaveLength(0);
  });

  it('still sends a config whose templates render to values of another type, shown as text', async () => {
    const runId = await publishAndRun(
      h,
      'Slack, number text',
      graphWith({ provider: 'slack', channel: '{{ input.channel }}', text: '{{ input.count }}' }),
      { channel: '#ops', count: 42 },
    );
    await settled(h, runId);
    const run = (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('completed');
    expect(slack.posts.at(-1)).toMatchObject({ channel: '#ops', text: '42' });
  });
});

describe('a statement the database refuses', () => {
  let worker: Worker;
  let connection: NativeConnection;
  let running: Promise<void>;
  const taskQueue = `probe-${randomUUID()}`;
  beforeAll(async () => {
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const config = { ...h.config, temporal: { ...h.config.temporal, taskQueue } };
    worker = await createWorker({
      config,
      database: h.database,
      connection,
      workflowsPath: path.join(import.meta.dirname, '../support/activity-probe.workflow.ts'),
    });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
  });

  it('fails a send for a run id the database cannot hold at once, as InvalidInput, instead of retrying for ever', async () => {
    // The ledger keys intents by tenant (a uuid): "bench" is no uuid, which no retry can change.
    const workflowId = `probe-${randomUUID()}`;
    const handle = await h.temporal.workflow.start('probeHttpRequest', {
      taskQueue,
      workflowId,
      args: [
        {
          tenantId: 'bench',
          runId: 'bench',
          idempotencyKey: `bench:${workflowId}`,
          method: 'POST',
          url: `${target.url}/bench`,
        },
      ],
    });
    await expect(handle.result()).rejects.toThrow();
    expect(await activityFailures(workflowId)).toEqual([
      { type: 'InvalidInput', attempt: 1, retryState: NON_RETRYABLE },
    ]);
    expect(target.received.filter((r) => r.url === '/bench')).toHaveLength(0);
  });

  it('fails a message for a run that does not exist at once, as ConstraintViolation', async () => {
    const workflowId = `probe-${randomUUID()}`;
    const input = {
      tenantId: h.tenant.tenantId,
      runId: `no-such-run-${randomUUID()}`,
      nodeId: 'n',
      idempotencyKey: `ghost:${workflowId}`,
      kind: 'integration',
      config: { provider: 'slack', channel: '#ghost', text: 'boo' },
    };
    const handle = await h.temporal.workflow.start('probeSendMessage', { taskQueue, workflowId, args: [input] });
    await expect(handle.result()).rejects.toThrow();
    expect(await activityFailures(workflowId)).toEqual([
      { type: 'ConstraintViolation', attempt: 1, retryState: NON_RETRYABLE },
    ]);
    expect(slack.posts.filter((p) => p.channel === '#ghost')).toHaveLength(0);
  });
});
