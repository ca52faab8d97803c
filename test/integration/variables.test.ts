/** Variables and secrets: secrets are stored encrypted, used only inside activities, and never shown. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowVariables } from '../../db/schema';
import { createHarness, type Harness, settled } from '../harness';
import { type HttpTarget, startHttpTarget } from '../support/http-target';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
let h: Harness;
let target: HttpTarget;
/** Every log line of this process at the most verbose level: the API's, the worker's, and the activities'. */
const logs: string[] = [];
beforeAll(async () => {
  target = await startHttpTarget();
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('TRACE', (entry) => logs.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)),
  });
  h = await createHarness(
    { SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'trace' },
    { logStream: { write: (line) => logs.push(line) } },
  );
});
afterAll(async () => {
  await h?.close();
  await target?.close();
});

describe('variables and secrets', () => {
  it('a secret in an HTTP header reaches the target, and appears nowhere in history, the database in clear, any API answer, or the logs', async () => {
    const key = h.tenant.adminKey;
    expect(
      (
        await h.api(key, { method: 'PUT', url: '/api/variables/API_TOKEN', payload: { type: 'secret', value: TOKEN } })
      ).json(),
    ).toMatchObject({ key: 'API_TOKEN', type: 'secret', value: null, secret: true });
    expect(
      (await h.api(key, { method: 'PUT', url: '/api/variables/REGION', payload: { type: 'string', value: 'eu-west' } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await h.api(key, { method: 'PUT', url: '/api/variables/LIMIT', payload: { type: 'number', value: 'ten' } }))
        .statusCode,
    ).toBe(400);

    const stored = await h.database.db.select().from(workflowVariables).where(eq(workflowVariables.key, 'API_TOKEN'));
    expect(JSON.stringify(stored)).not.toContain(TOKEN);

    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'call',
          type: 'action',
          data: {
            action: 'http',
            url: `${target.url}/private`,
            headers: { authorization: 'Bearer {{ secrets.API_TOKEN }}', 'x-region': '{{ vars.REGION }}' },
          },
        },
        {
          id: 'e',
          type: 'end',
          data: { output: { region: '{{ vars.REGION }}', status: '{{ nodes.call.output.status }}' } },
        },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'call' },
        { id: 'e2', source: 'call', target: 'e' },
      ],
    };
    const id = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Uses a secret', definition } })
    ).json().id;
    expect((await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(201);
    const runId = (
      await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })
    ).json().runId;
    await settled(h, runId);

    const call = target.received.find((r) => r.url === '/private')!;
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.headers['x-region']).toBe('eu-west');

    const json = execFileSync(
      inject('temporalCli'),
      ['workflow', 'show', '--workflow-id', runId, '--output', 'json', '--address', inject('temporalAddress')],
      { encoding: 'utf8' },
    );
    const decoded = [...json.matchAll(/"data":\s*"([^"]+)"/g)]
      .map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'))
      .join('\n');
    expect(decoded).toContain('{{ secrets.API_TOKEN }}');
    expect(`${json}${decoded}`).not.toContain(TOKEN);

    const answers = await Promise.all([
      h.api(key, { method: 'GET', url: `/api/runs/${runId}` }),
      h.api(key, { method: 'GET', url: `/api/runs/${runId}/history` }),
      h.api(key, { method: 'GET', url: '/api/variables' }),
      h.api(key, { method: 'GET', url: '/api/variables/API_TOKEN' }),
    ]);
    for (const a of answers) expect(a.body).not.toContain(TOKEN);
    expect(answers[0]!.json().output).toEqual({ region: 'eu-west', status: 200 });
    // The logs did capture this run (so a leak would show), and the secret is not in them.
    expect(logs.some((line) => line.includes('/api/variables/API_TOKEN'))).toBe(true);
    expect(logs.some((line) => line.includes(runId))).toBe(true);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('refuses secrets outside work nodes at publish, and a missing secret fails the node with its name', async () => {
    const key = h.tenant.adminKey;
    const leaky = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'e', type: 'end', data: { output: { oops: '{{ secrets.API_TOKEN }}' } } },
      ],
      edges: [{ id: 'e1', source: 't', target: 'e' }],
    };
    const id = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Leaky', definition: leaky } })
    ).json().id;
    const refused = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0]).toMatchObject({
      path: 'nodes[1].data.output.oops',
      message: expect.stringContaining('secrets may only be used'),
    });

    const missing = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'call',
          type: 'action',
          data: { action: 'http', url: `${target.url}/x`, headers: { authorization: '{{ secrets.NOPE }}' } },
        },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'call' },
        { id: 'e2', source: 'call', target: 'e' },
      ],
    };
    const id2 = (
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Missing secret', definition: missing },
      })
    ).json().id;
    await h.api(key, { method: 'POST', url: `/api/workflows/${id2}/publish` });
    const runId = (
      await h.api(key, { method: 'POST', url: `/api/workflows/${id2}/runs`, payload: { input: {} } })
    ).json().runId;
    await settled(h, runId);
    const run = (await h.api(key, { method: 'GET', url: `/api/runs/${runId}` })).json();
    expect(run.status).toBe('failed');
    expect(run.error.message).toContain('secret "NOPE" is not set');
  });
});
