/**
 * The generated client (client/): its types are exactly what the server's OpenAPI document says today, and they
 * describe the real answers of a real server, spoken to over HTTP on loopback (no inject: the client's own fetch).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createGraphflowClient, type components, type GraphflowClient } from '../../client';
import { clientSchemaFile, clientSchemaSource } from '../../scripts/client-schema';
import { createHarness, type Harness, settled } from '../harness';

type RunStatus = components['schemas']['RunDetail']['status'];
type ProblemEntry = components['schemas']['ProblemEntry'];

describe('the committed client', () => {
  it("matches the server's OpenAPI document (a drift fails the build)", async () => {
    const generated = await clientSchemaSource();
    const committed = readFileSync(clientSchemaFile, 'utf8');
    expect(
      committed === generated,
      `client/schema.d.ts differs from what the server documents (${firstDifference(committed, generated)}): run npm run client:generate and commit the result`,
    ).toBe(true);
  });
});

/** Where two texts part, for a failure message that points at the change rather than printing thousands of lines. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? '<end of file>')}, server ${JSON.stringify(b[at] ?? '<end of file>')}`;
}

describe('the client against a real server', () => {
  let h: Harness;
  let api: GraphflowClient;

  beforeAll(async () => {
    h = await createHarness();
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    api = createGraphflowClient(address, h.tenant.adminKey);
  });
  // Closing the harness closes the app, and with it the listener.
  afterAll(async () => {
    await h?.close();
  });

  const definition = {
    nodes: [
      { id: 'start', type: 'trigger', data: { trigger: { type: 'manual' } } },
      { id: 'done', type: 'end', data: { output: { total: '{{ input.amount }}' } } },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'done' }],
    inputSchema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } },
  };

  async function publishedWorkflow(): Promise<string> {
    const created = await api.POST('/api/workflows', { body: { name: 'Client test', definition } });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    const id = created.data!.id;
    const published = await api.POST('/api/workflows/{id}/publish', { params: { path: { id } } });
    expect(published.response.status, JSON.stringify(published.error)).toBe(201);
    return id;
  }

  it('creates, publishes, starts and reads a run with typed answers', async () => {
    const id = await publishedWorkflow();

    const started = await api.POST('/api/workflows/{id}/runs', {
      params: { path: { id } },
      body: { input: { amount: 12 } },
    });
    if (!started.data) throw new Error(`the run did not start: ${JSON.stringify(started.error)}`);
    expectTypeOf(started.data.runId).toEqualTypeOf<string>();
    expect(started.response.status).toBe(202);
    expect(started.data).toMatchObject({ workflowId: id, version: 1, created: true });
    const { runId } = started.data;
    await settled(h, runId);

    const run = await api.GET('/api/runs/{runId}', { params: { path: { runId } } });
    if (!run.data) throw new Error(`the run could not be read: ${JSON.stringify(run.error)}`);
    expectTypeOf(run.data.status).toEqualTypeOf<RunStatus>();
    expect(run.data.status).toBe('completed');
    expect(run.data.id).toBe(runId);
  });

  it('reads a refused request as a typed problem', async () => {
    const id = await publishedWorkflow();

    const refused = await api.POST('/api/workflows/{id}/runs', {
      params: { path: { id } },
      body: { input: { amount: 'a lot' } },
    });
    expect(refused.data).toBeUndefined();
    if (!refused.error) throw new Error('a run with input that breaks the inputSchema was started');
    expectTypeOf(refused.error.status).toEqualTypeOf<number>();
    expectTypeOf(refused.error.errors).toEqualTypeOf<ProblemEntry[] | undefined>();
    expect(refused.response.status).toBe(400);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.error.status).toBe(400);
    expect(refused.error.errors?.length).toBeGreaterThan(0);
    expect(refused.error.errors?.[0]?.path).toMatch(/amount/);
  });

  it('sends its key: a client with a wrong key is refused with 401', async () => {
    const address = h.app.server.address();
    if (!address || typeof address === 'string') throw new Error('the server is not listening on a port');
    const stranger = createGraphflowClient(`http://127.0.0.1:${address.port}`, 'gf_not-a-real-key');
    const listed = await stranger.GET('/api/workflows');
    expect(listed.response.status).toBe(401);
    expect(listed.error?.status).toBe(401);
  });
});
