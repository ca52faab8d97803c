/** Versions are immutable; rollback, archive, clone, export and import keep them so. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, settled } from '../harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const graph = (label: string) => ({
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
    { id: 'end', type: 'end', data: { output: { label } } },
  ],
  edges: [{ id: 'e1', source: 't', target: 'end' }],
});

describe('versions', () => {
  it('lists, shows and rolls back versions, and a rollback runs the old definition', async () => {
    const key = h.tenant.adminKey;
    const id = (
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Versioned', definition: graph('one') },
      })
    ).json().id;
    await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish`, payload: { changeDescription: 'first' } });
    await h.api(key, {
      method: 'PUT',
      url: `/api/workflows/${id}`,
      payload: { name: 'Versioned', definition: graph('two') },
    });
    await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish`, payload: { changeDescription: 'second' } });

    const list = (await h.api(key, { method: 'GET', url: `/api/workflows/${id}/versions` })).json();
    expect(
      list.items.map((v: { version: number; changeDescription: string }) => [v.version, v.changeDescription]),
    ).toEqual([
      [2, 'second'],
      [1, 'first'],
    ]);
    const v1 = (await h.api(key, { method: 'GET', url: `/api/workflows/${id}/versions/1` })).json();
    expect(v1.definition.nodes[1].data.output).toEqual({ label: 'one' });
    expect((await h.api(key, { method: 'GET', url: `/api/workflows/${id}/versions/9` })).statusCode).toBe(404);

    const rollback = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/versions/1/rollback` });
    expect(rollback.statusCode).toBe(201);
    expect(rollback.json()).toMatchObject({
      version: 3,
      isRollbackVersion: true,
      rolledBackTo: 1,
      contentHash: v1.contentHash,
    });
    expect(
      (await h.api(key, { method: 'GET', url: `/api/workflows/${id}` })).json().definition.nodes[1].data.output,
    ).toEqual({ label: 'one' });

    const run = (await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } })).json();
    expect(run.version).toBe(3);
    await settled(h, run.runId);
    expect((await h.api(key, { method: 'GET', url: `/api/runs/${run.runId}` })).json().output).toEqual({
      label: 'one',
    });
  });

  it('an archived workflow starts no runs and publishes nothing; running runs are not touched', async () => {
    const key = h.tenant.adminKey;
    const id = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'Archived', definition: graph('x') } })
    ).json().id;
    await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` });
    const archived = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/archive` });
    expect(archived.json().status).toBe('archived');
    const run = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input: {} } });
    expect(run.statusCode).toBe(409);
    expect(run.json().detail).toContain('archived');
    expect((await h.api(key, { method: 'POST', url: `/api/workflows/${id}/publish` })).statusCode).toBe(409);
  });

  it('clones a draft, and exports and imports a workflow as one JSON document', async () => {
    const key = h.tenant.adminKey;
    const id = (
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Source', tags: ['hr'], definition: graph('src') },
      })
    ).json().id;
    const clone = await h.api(key, { method: 'POST', url: `/api/workflows/${id}/clone` });
    expect(clone.statusCode).toBe(201);
    expect(clone.json()).toMatchObject({ name: 'Source (copy)', status: 'draft', tags: ['hr'], latestVersion: null });
    expect(clone.json().definition).toEqual(
      (await h.api(key, { method: 'GET', url: `/api/workflows/${id}` })).json().definition,
    );

    const exported = await h.api(key, { method: 'GET', url: `/api/workflows/${id}/export` });
    expect(exported.headers['content-disposition']).toContain('source.json');
    const other = await h.newTenant();
    const imported = await h.api(other.adminKey, {
      method: 'POST',
      url: '/api/workflows/import',
      payload: exported.json(),
    });
    expect(imported.statusCode, imported.body).toBe(201);
    expect(imported.json()).toMatchObject({ name: 'Source', tags: ['hr'] });
    expect(
      (await h.api(other.adminKey, { method: 'POST', url: `/api/workflows/${imported.json().id}/publish` })).statusCode,
    ).toBe(201);
    expect((await h.api(other.adminKey, { method: 'GET', url: `/api/workflows/${id}/export` })).statusCode).toBe(404);

    const bad = await h.api(key, {
      method: 'POST',
      url: '/api/workflows/import',
      payload: { format: 'other/v9', definition: {} },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['body.definition.edges', 'body.definition.nodes', 'body.format', 'body.name']);
  });
});

describe('subworkflow references', () => {
  it('refuses a subworkflow that names a missing workflow, or that would call the workflow again through another', async () => {
    const key = h.tenant.adminKey;
    const sub = (workflowId: string) => ({
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        { id: 'call', type: 'subworkflow', data: { workflowId } },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'call' },
        { id: 'e2', source: 'call', target: 'e' },
      ],
    });
    const a = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'A', definition: graph('a') } })
    ).json().id;
    await h.api(key, { method: 'POST', url: `/api/workflows/${a}/publish` });
    const b = (
      await h.api(key, { method: 'POST', url: '/api/workflows', payload: { name: 'B', definition: sub(a) } })
    ).json().id;
    expect((await h.api(key, { method: 'POST', url: `/api/workflows/${b}/publish` })).statusCode).toBe(201);

    // A now wants to call B, which calls A.
    await h.api(key, { method: 'PUT', url: `/api/workflows/${a}`, payload: { name: 'A', definition: sub(b) } });
    const cycle = await h.api(key, { method: 'POST', url: `/api/workflows/${a}/publish` });
    expect(cycle.statusCode, cycle.body).toBe(422);
    expect(cycle.json().errors).toEqual([
      { path: 'nodes[1].data.workflowId', message: expect.stringContaining('would call this workflow again') },
    ]);

    await h.api(key, {
      method: 'PUT',
      url: `/api/workflows/${a}`,
      payload: { name: 'A', definition: sub('00000000-0000-4000-8000-000000000000') },
    });
    const missing = await h.api(key, { method: 'POST', url: `/api/workflows/${a}/publish` });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors[0].message).toContain('does not exist');
  });
});
