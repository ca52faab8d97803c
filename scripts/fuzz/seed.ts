/**
 * The fuzz's world: a tenant of its own with an admin key, and one of every
 * object the API names by id (workflows with versions, a run waiting on an
 * approval, a variable, a document, a spare key), so the fuzzer's requests
 * reach the handlers' real work instead of stopping at 404.
 */
import { approvalDefinition } from '../../test/support/graphs';
import { inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { hashKey, newApiKey } from '../../api/auth';
import type { Database } from '../../db/client';
import { apiKeys, tenants, users } from '../../db/schema';

export interface FuzzSeed {
  tenantId: string;
  adminKey: string;
  /** Ids that exist, by kind: the fuzzer draws parameters from them. */
  ids: {
    workflow: string[];
    archivable: string[];
    approval: string[];
    document: string[];
    apiKey: string[];
    user: string[];
    run: string[];
    version: number[];
    variable: string[];
    event: string[];
  };
}

/**
 * An approval only admins may decide, announced nowhere (no mail, no Slack: the fuzz talks to nothing but loopback).
 */
const approvalGraph = approvalDefinition({
  label: 'Decide',
  approverRoles: ['admin'],
  expiresIn: '1h',
  notify: { channels: [] },
});

export const FUZZ_EVENT = 'fuzz.ping';

/** Trigger → end, started by an event: the cheapest run, so fuzzed events and runs cost the worker next to nothing. */
const eventGraph = {
  nodes: [
    { id: 't', type: 'trigger', data: { trigger: { type: 'event', event: FUZZ_EVENT } } },
    { id: 'done', type: 'end', data: { output: { ok: true } } },
  ],
  edges: [{ id: 'e1', source: 't', target: 'done' }],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function seedFuzzTenant(app: FastifyInstance, database: Database): Promise<FuzzSeed> {
  const { db } = database;
  // Marked bootstrap so POST /api/tenants is fuzzed past its 403; the key lives only in this process and is revoked at
  // the end.
  const tenant = (
    await db
      .insert(tenants)
      .values({ name: `fuzz-${Date.now()}` })
      .returning()
  )[0]!;
  const admin = (
    await db
      .insert(users)
      .values({ tenantId: tenant.id, email: 'fuzz-admin@localhost', name: 'Fuzz admin', roles: ['admin'] })
      .returning()
  )[0]!;
  const adminKey = newApiKey();
  await db.insert(apiKeys).values({
    tenantId: tenant.id,
    userId: admin.id,
    name: 'fuzz admin',
    keyHash: hashKey(adminKey),
    prefix: adminKey.slice(0, 8),
    isBootstrap: true,
  });

  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${adminKey}`, ...headers },
      ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object }),
    });
    if (response.statusCode >= 300)
      throw new Error(`seeding: ${method} ${url} answered ${response.statusCode}: ${response.body}`);
    return response.json() as Record<string, unknown>;
  };

  const approvalWorkflow = await call('POST', '/api/workflows', { name: 'Fuzz approval', definition: approvalGraph });
  const approvalWorkflowId = approvalWorkflow.id as string;
  await call('POST', `/api/workflows/${approvalWorkflowId}/publish`, { changeDescription: 'first' });
  // A second version, so rollback and version reads have somewhere to go.
  await call('PUT', `/api/workflows/${approvalWorkflowId}`, {
    name: 'Fuzz approval',
    description: 'second version',
    definition: {
      ...approvalGraph,
      nodes: approvalGraph.nodes.map((n) =>
        n.id === 'ask' ? { ...n, data: { ...n.data, label: 'Decide again' } } : n,
      ),
    },
  });
  await call('POST', `/api/workflows/${approvalWorkflowId}/publish`, { changeDescription: 'second' });

  const eventWorkflow = await call('POST', '/api/workflows', { name: 'Fuzz event', definition: eventGraph });
  await call('POST', `/api/workflows/${eventWorkflow.id as string}/publish`, {});
  const archivable = await call('POST', '/api/workflows', { name: 'Fuzz archive target', definition: eventGraph });

  const run = await call('POST', `/api/workflows/${approvalWorkflowId}/runs`, { input: { what: 'fuzz' } });
  const runId = run.runId as string;
  let approvalId: string | undefined;
  for (let tries = 0; !approvalId && tries < 300; tries++) {
    const list = await call('GET', `/api/approvals?runId=${encodeURIComponent(runId)}`);
    approvalId = (list.items as { id: string }[] | undefined)?.[0]?.id;
    if (!approvalId) await sleep(100);
  }
  if (!approvalId) throw new Error(`seeding: run ${runId} never asked for its approval (is the worker polling?)`);

  await call('PUT', '/api/variables/fuzz_var', { type: 'string', value: 'seeded' });
  const document = await call('POST', '/api/documents?filename=seed.txt', 'seeded document', {
    'content-type': 'text/plain',
  });
  // A key of its own for DELETE /api/api-keys/:id to revoke: revoking the admin key would end the fuzz in 401s.
  const spare = await call('POST', '/api/api-keys', { userId: admin.id, name: 'fuzz spare' });

  return {
    tenantId: tenant.id,
    adminKey,
    ids: {
      workflow: [approvalWorkflowId, eventWorkflow.id as string],
      archivable: [archivable.id as string],
      approval: [approvalId],
      document: [document.id as string],
      apiKey: [spare.id as string],
      user: [admin.id],
      run: [runId],
      version: [1, 2],
      variable: ['fuzz_var'],
      event: [FUZZ_EVENT],
    },
  };
}

/** Notes every tenant the fuzzer makes through POST /api/tenants (their admin keys are printed in its report). */
export function trackCreatedTenants(app: FastifyInstance): Set<string> {
  const created = new Set<string>();
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url === '/api/tenants' && reply.statusCode === 201 && typeof payload === 'string') {
      const id = (JSON.parse(payload) as { id?: unknown }).id;
      if (typeof id === 'string') created.add(id);
    }
    return payload;
  });
  return created;
}

/**
 * Revokes the keys of the fuzz tenant and of the tenants the fuzzer made, so a database that outlives the fuzz
 * (DATABASE_URL) keeps no usable key that was printed or held here.
 */
export async function revokeFuzzKeys(database: Database, tenantIds: string[]): Promise<void> {
  if (tenantIds.length)
    await database.db.update(apiKeys).set({ revokedAt: new Date() }).where(inArray(apiKeys.tenantId, tenantIds));
}
