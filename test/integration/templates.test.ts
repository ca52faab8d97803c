/**
 * The template library: the shipped templates (examples/*.json) all validate as they would be published, the list
 * holds them and the tenant's own templates (never another tenant's), and using one makes a new draft that
 * publishes; unknown, foreign and malformed ids are refused without writing anything.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDefinition } from '../../interpreter/validate';
import { checkSchema } from '../../runs/input-schema';
import { readShippedTemplates } from '../../api/services/templates';
import { triggerToEnd } from '../support/graphs';
import { createHarness, type Harness } from '../harness';

let h: Harness;
let key: string;

const graph = triggerToEnd;

beforeAll(async () => {
  h = await createHarness();
  key = h.tenant.adminKey;
});
afterAll(async () => {
  await h?.close();
});

interface TemplateItem {
  id: string;
  source: string;
  name: string;
  nodeCount: number;
}
const list = async (as = key) =>
  (await h.api(as, { method: 'GET', url: '/api/templates' })).json().items as TemplateItem[];

const workflowCount = async () =>
  (await h.api(key, { method: 'GET', url: '/api/workflows?limit=500' })).json().items.length as number;

describe('shipped templates', () => {
  it('ships the four examples, an access request and an incident response, each valid to publish', () => {
    const shipped = readShippedTemplates();
    expect(shipped.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'shipped:purchase-order',
        'shipped:employee-onboarding',
        'shipped:bug-report-triage',
        'shipped:vulnerability-remediation',
        'shipped:access-request',
        'shipped:incident-response',
      ]),
    );
    for (const template of shipped) {
      const definition = { ...template.definition, name: template.name, category: template.category };
      const result = validateDefinition(definition, { selfId: randomUUID(), knownWorkflowIds: new Set() });
      expect(result.errors, template.id).toEqual([]);
      expect(checkSchema(template.definition.inputSchema), template.id).toEqual([]);
    }
  });
});

describe('template library', () => {
  it("lists the shipped templates and the tenant's own, never another tenant's", async () => {
    const mine = await h.api(key, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: `House template ${randomUUID()}`, definition: graph, isTemplate: true },
    });
    expect(mine.statusCode, mine.body).toBe(201);
    const other = await h.newTenant();
    const theirs = await h.api(other.adminKey, {
      method: 'POST',
      url: '/api/workflows',
      payload: { name: 'Their template', definition: graph, isTemplate: true },
    });

    const items = await list();
    expect(items.filter((t) => t.source === 'shipped')).toHaveLength(readShippedTemplates().length);
    expect(items).toContainEqual(
      expect.objectContaining({ id: mine.json().id, source: 'workflow', nodeCount: 2, name: mine.json().name }),
    );
    expect(items.map((t) => t.id)).not.toContain(theirs.json().id);
    expect(items.find((t) => t.id === 'shipped:incident-response')).toMatchObject({ name: 'Incident response' });
  });

  it('makes a new draft from a shipped template, which publishes', async () => {
    const used = await h.api(key, {
      method: 'POST',
      url: '/api/templates/shipped:access-request/use',
      payload: { name: 'Access to the CRM' },
    });
    expect(used.statusCode, used.body).toBe(201);
    const draft = used.json();
    expect(draft).toMatchObject({ name: 'Access to the CRM', status: 'draft', isTemplate: false, latestVersion: null });
    expect(draft.definition.nodes.map((n: { id: string }) => n.id)).toContain('security');
    expect(draft.definition.name).toBeUndefined();
    const published = await h.api(key, { method: 'POST', url: `/api/workflows/${draft.id}/publish` });
    expect(published.statusCode, published.body).toBe(201);

    // The template's own name when none is given.
    const named = await h.api(key, { method: 'POST', url: '/api/templates/shipped:incident-response/use' });
    expect(named.statusCode, named.body).toBe(201);
    expect(named.json().name).toBe('Incident response');
  });

  it("makes a draft from the tenant's own template and leaves the template as it was", async () => {
    const template = (
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Own template', definition: graph, isTemplate: true, tags: ['house'] },
      })
    ).json();
    const client = (
      await h.api(key, { method: 'POST', url: '/api/clients', payload: { name: 'Template client' } })
    ).json();
    const used = await h.api(key, {
      method: 'POST',
      url: `/api/templates/${template.id}/use`,
      payload: { clientId: client.id },
    });
    expect(used.statusCode, used.body).toBe(201);
    expect(used.json()).toMatchObject({
      name: 'Own template',
      tags: ['house'],
      isTemplate: false,
      clientId: client.id,
    });
    expect(used.json().id).not.toBe(template.id);
    expect((await h.api(key, { method: 'GET', url: `/api/workflows/${template.id}` })).json()).toEqual(template);
  });

  it("answers 404 for another tenant's template, a workflow not marked template and an unknown id, writing nothing", async () => {
    const other = await h.newTenant();
    const theirs = (
      await h.api(other.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Foreign template', definition: graph, isTemplate: true },
      })
    ).json().id as string;
    const plain = (
      await h.api(key, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Not a template', definition: graph },
      })
    ).json().id as string;
    const before = await workflowCount();
    for (const id of [theirs, plain, randomUUID(), 'shipped:nope', 'shipped:..%2F..%2Fpackage', 'ok']) {
      const res = await h.api(key, { method: 'POST', url: `/api/templates/${id}/use`, payload: {} });
      expect(res.statusCode, `${id}: ${res.body}`).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await workflowCount()).toBe(before);
  });

  it('refuses bad input to use a template with 400 listing every problem, writing nothing', async () => {
    const before = await workflowCount();
    const res = await h.api(key, {
      method: 'POST',
      url: '/api/templates/shipped:purchase-order/use',
      payload: { name: '  ', clientId: 'nope', extra: true },
    });
    expect(res.statusCode).toBe(400);
    const paths = (res.json().errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.clientId']));
    expect(paths.length).toBeGreaterThanOrEqual(3);

    const other = await h.newTenant();
    const foreign = (
      await h.api(other.adminKey, { method: 'POST', url: '/api/clients', payload: { name: 'Foreign client' } })
    ).json().id;
    const refused = await h.api(key, {
      method: 'POST',
      url: '/api/templates/shipped:purchase-order/use',
      payload: { clientId: foreign },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors[0].path).toBe('body.clientId');
    const tooLong = await h.api(key, { method: 'POST', url: `/api/templates/${'x'.repeat(300)}/use` });
    expect(tooLong.statusCode).toBe(400);
    expect(await workflowCount()).toBe(before);
  });

  it('lets a viewer browse templates but not use them', async () => {
    const viewer = await h.newUser(h.tenant, ['viewer']);
    expect((await list(viewer.key)).length).toBeGreaterThanOrEqual(6);
    const refused = await h.api(viewer.key, { method: 'POST', url: '/api/templates/shipped:purchase-order/use' });
    expect(refused.statusCode).toBe(403);
  });
});
