/**
 * The organisations a tenant runs work for. Workflows and runs may name one (`client_id`); a run left without one
 * takes its workflow's (a trigger in migration 0013), so lists, the board and reports can filter by client.
 */
import { pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantId } from './access';
import { createdAt, updatedAt } from './columns';

export const clients = pgTable(
  'clients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    contactEmail: text('contact_email'),
    notes: text('notes'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('clients_tenant_name').on(t.tenantId, t.name)],
);

/** A workflow's or run's client: no cascade, so a client still in use cannot be deleted from under them. */
export const clientId = () => uuid('client_id').references(() => clients.id);
