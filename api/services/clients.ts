/**
 * A tenant's clients: the organisations its work is for. Workflows and runs name them by id; a body naming a client
 * is checked here to name one of the caller's tenant (another tenant's id is refused exactly as an unknown one).
 */
import { and, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { clients, workflowInstances, workflows } from '../../db/schema';
import { badRequest, conflict, notFound } from '../errors';

export type ClientRow = typeof clients.$inferSelect;

export const clientView = (row: ClientRow) => ({
  id: row.id,
  name: row.name,
  contactEmail: row.contactEmail,
  notes: row.notes,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export async function findClient(db: Db, tenantId: string, id: string): Promise<ClientRow | undefined> {
  return (
    await db
      .select()
      .from(clients)
      .where(and(eq(clients.id, id), eq(clients.tenantId, tenantId)))
      .limit(1)
  )[0];
}

export async function loadClient(db: Db, tenantId: string, id: string): Promise<ClientRow> {
  const row = await findClient(db, tenantId, id);
  if (!row) throw notFound('Client', id);
  return row;
}

/**
 * The client id a request body names, checked to be the tenant's: null and undefined pass through (no client, or
 * leave as it is). `path` is where the body holds it, for the problem's `errors`.
 */
export async function checkedClientId<T extends string | null | undefined>(
  db: Db,
  tenantId: string,
  clientId: T,
  path = 'body.clientId',
): Promise<T> {
  if (clientId === null || clientId === undefined) return clientId;
  if (!(await findClient(db, tenantId, clientId)))
    throw badRequest('The request names a client this tenant does not have; nothing was changed.', [
      { path, message: `no client "${clientId}" in this tenant (GET /api/clients lists them)` },
    ]);
  return clientId;
}

/** PostgreSQL's unique_violation, however drizzle wraps it. */
export const isUniqueViolation = (error: unknown): boolean => {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === '23505' || e?.cause?.code === '23505';
};
/** PostgreSQL's foreign_key_violation: a row began to name the client between the check and the delete. */
const isForeignKeyViolation = (error: unknown): boolean => {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === '23503' || e?.cause?.code === '23503';
};

export const duplicateName = (name: string) =>
  conflict(`The tenant already has a client named "${name}"; client names are unique.`, { name });

/** What still names a client: its workflows and runs (a few workflow ids, so the caller can go and change them). */
export async function clientUsage(db: Db, tenantId: string, id: string) {
  const [workflowCount, runCount, named] = await Promise.all([
    db
      .select({ n: count() })
      .from(workflows)
      .where(and(eq(workflows.tenantId, tenantId), eq(workflows.clientId, id))),
    db
      .select({ n: count() })
      .from(workflowInstances)
      .where(and(eq(workflowInstances.tenantId, tenantId), eq(workflowInstances.clientId, id))),
    db
      .select({ id: workflows.id })
      .from(workflows)
      .where(and(eq(workflows.tenantId, tenantId), eq(workflows.clientId, id)))
      .limit(20),
  ]);
  return { workflows: workflowCount[0]!.n, runs: runCount[0]!.n, workflowIds: named.map((w) => w.id) };
}

/** Deletes a client nothing names; a client in use is a 409 saying what uses it, and stays. */
export async function deleteClient(db: Db, tenantId: string, id: string): Promise<void> {
  await loadClient(db, tenantId, id);
  const inUse = async () => {
    const usage = await clientUsage(db, tenantId, id);
    return conflict(
      `The client is still named by ${usage.workflows} workflow(s) and ${usage.runs} run(s); ` +
        'move or delete those first. Nothing was deleted.',
      { usedBy: usage },
    );
  };
  const usage = await clientUsage(db, tenantId, id);
  if (usage.workflows || usage.runs) throw await inUse();
  try {
    await db.delete(clients).where(and(eq(clients.id, id), eq(clients.tenantId, tenantId)));
  } catch (error) {
    if (isForeignKeyViolation(error)) throw await inUse();
    throw error;
  }
}
